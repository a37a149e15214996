#!/usr/bin/env bash
# The fair GPU training-step comparison of issue 20, ours against HF transformers + PEFT, in one
# call on the GPU machine: builds bench/gpu_throughput.cpp against the machine's LibTorch (the
# Debian dependencies unpacked by ../shared/tools/gpu-deps.sh into .gpu-deps/, carried), then runs
# shapes x methods x {ours eager, ours CUDA graph, HF eager, HF torch.compile default,
# reduce-overhead, max-autotune} with the same shape, mask and dtype flags on both sides.
#   bash bench/run_fair_throughput.sh OUT_DIR [BUDGET_SECONDS=540]
# Environment, with defaults:
#   SHAPES="bert-base:32:128 bert-base:64:256 roberta-large:32:256"   (preset:batch:seq)
#   METHODS=lora,prefix,ia3,full    ours also times `frozen`, the reference of step / frozen
#   HF_MODES="eager default reduce-overhead max-autotune"
#   MASK=none (none|ones|padded)  DTYPE=fp32-autocast (fp32-autocast|bf16-weights)
#   PROFILE_METHOD=lora             profiled on both sides, every mode, every shape
#   SKIP_OURS=0                     1: HF only (a second call that fills in compile modes)
#   COMPILE_SHARE_MIN=120           seconds: the least one compile process (shape, mode) is given
#   REPEATS=1                       rounds of ours and HF eager, alternating (the table's median)
#   OURS_FLAGS=                     more flags for gpu_throughput (--device cpu --steps 2: a check
#                                   of this script on a machine without a GPU)
# The budget covers the build too. Stages run cheapest first (ours and HF eager at every shape,
# then HF's compile modes shape by shape), each process bounded by `timeout`, each compile process
# by an equal share of what is left (at least COMPILE_SHARE_MIN), so a slow max-autotune cannot
# starve the rest. What a call could not reach, the table lists as not measured: a second call
# with SKIP_OURS=1 and those SHAPES and HF_MODES fills it in. Every row is
# appended to OUT_DIR/results.jsonl as it is measured and OUT_DIR/table.md is rewritten after each
# stage: a run killed at the call's limit still leaves a table. Writes 6 files: results.jsonl,
# table.md, kernels.txt and kernels.json (per-kernel GPU time, bench/fair_throughput.py kernels),
# traces.tar.gz (the profiler traces, when under 15 MB) and logs.tar.gz (build and stderr logs).
# Tables from several calls combine: python3 bench/fair_throughput.py table A/results.jsonl B/results.jsonl
set -uo pipefail
cd "$(dirname "$0")/.." || exit
out=$1; budget=${2:-540}
start=$(date +%s); deadline=$((start + budget - 25))  # 25 s kept for the kernel tables and tarballs
SHAPES=${SHAPES:-"bert-base:32:128 bert-base:64:256 roberta-large:32:256"}
METHODS=${METHODS:-lora,prefix,ia3,full}
HF_MODES=${HF_MODES:-"eager default reduce-overhead max-autotune"}
MASK=${MASK:-none}; DTYPE=${DTYPE:-fp32-autocast}; PROFILE_METHOD=${PROFILE_METHOD:-lora}; SKIP_OURS=${SKIP_OURS:-0}
COMPILE_SHARE_MIN=${COMPILE_SHARE_MIN:-120}; REPEATS=${REPEATS:-1}; OURS_FLAGS=${OURS_FLAGS:-}
work=$(mktemp -d /tmp/fair_throughput.XXXX); logs=$work/logs; traces=$work/traces
mkdir -p "$out" "$logs" "$traces"
results=$out/results.jsonl; : >> "$results"
export PYTHONUNBUFFERED=1
left() { local l=$((deadline - $(date +%s))); [ $l -lt 1 ] && l=1; echo $l; }  # timeout 0 would mean none
checkpoint() {
  python3 bench/fair_throughput.py table "$results" > "$out/table.md" 2>> "$logs/table.err"
  tar czf "$out/logs.tar.gz" -C "$work" logs 2> /dev/null
  echo "== $1 ($(($(date +%s) - start)) s)"
}
shape_flags() {  # preset:batch:seq -> the flags both sides take
  IFS=: read -r p b s <<< "$1"
  echo "--preset $p --batch $b --seq $s --mask $MASK --dtype $DTYPE"
}

ours_ok=0
if [ "$SKIP_OURS" != 1 ]; then
  deps=$PWD/.gpu-deps/usr
  torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
  if cmake -S . -B build-gpu -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DAUTOPEFT_BUILD_BENCH=ON \
       -DAUTOPEFT_BUILD_TESTS=OFF -DAUTOPEFT_BUILD_EXAMPLES=OFF \
       -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu" \
       -DCMAKE_INCLUDE_PATH="$deps/include" > "$logs/configure.log" 2>&1 \
     && cmake --build build-gpu -j 16 --target gpu_throughput > "$logs/build.log" 2>&1; then
    ours_ok=1
    checkpoint "ours built"
  else
    grep -E "error|Error" "$logs/configure.log" "$logs/build.log" | head -20
    checkpoint "ours: build failed, HF side only"
  fi
fi

hf_run() {  # shape, mode, seconds, profile (1 or 0)
  local tag=${1//:/_} rc=0 prof=()
  [ "$4" = 1 ] && prof=(--profile-dir "$traces/$tag" --profile-methods "$PROFILE_METHOD")
  # shellcheck disable=SC2046
  timeout -k 10 "$3" python3 bench/fair_throughput.py hf $(shape_flags "$1") --methods "$METHODS" --modes "$2" \
    "${prof[@]}" --deadline "$(($(date +%s) + $3))" >> "$results" 2>> "$logs/hf.$tag.$2.err" || rc=$?
  if [ $rc != 0 ]; then
    echo "== HF $1 $2: exit $rc (see logs/hf.$tag.$2.err)"
    local why="failed: the process exited with $rc before this method's row (logs/hf.$tag.$2.err)"
    [ $rc = 124 ] || [ $rc = 137 ] && why="killed: its time share of $3 s ran out while compiling or timing"
    # shellcheck disable=SC2046
    python3 bench/fair_throughput.py hf $(shape_flags "$1") --methods "$METHODS" --modes "$2" \
      --fill-missing "$results" --reason "$why" > "$work/missing.jsonl" && cat "$work/missing.jsonl" >> "$results"
  fi
  checkpoint "HF $1 $2"
}

# The eager steps are bound by the host's operator dispatch, which varies from minute to minute,
# so ours and HF eager alternate, shape by shape, REPEATS times; the table takes the median.
for r in $(seq 1 "$REPEATS"); do
  for shape in $SHAPES; do
    [ "$(left)" -gt 20 ] || { echo "== $shape, repeat $r: not run, budget spent"; continue; }
    tag=${shape//:/_}; mkdir -p "$traces/$tag"
    if [ $ours_ok = 1 ]; then
      extra=""; [ "$r.$shape" = "1.${SHAPES%% *}" ] && extra=",setup,graph-check"  # once is enough
      prof=(); [ "$r" = 1 ] && prof=(--profile-dir "$traces/$tag" --profile-methods "$PROFILE_METHOD")
      # shellcheck disable=SC2046,SC2086  # the flags are words to split
      timeout -k 10 "$(left)" ./build-gpu/bench/gpu_throughput $(shape_flags "$shape") \
        --methods "frozen,$METHODS$extra" --modes eager,graph "${prof[@]}" $OURS_FLAGS \
        >> "$results" 2>> "$logs/ours.$tag.err" || echo "== ours $shape: exit $? (see logs/ours.$tag.err)"
      checkpoint "ours $shape, repeat $r"
    fi
    case " $HF_MODES " in *" eager "*) hf_run "$shape" eager "$(left)" "$([ "$r" = 1 ] && echo 1 || echo 0)" ;; esac
  done
done

# Shape by shape, so that the shapes measured are complete. Each compile process gets an equal
# share of the time left, but never less than COMPILE_SHARE_MIN (or all that is left): a share too
# short to compile BERT-base once would measure nothing at all.
compiles=()
for shape in $SHAPES; do for mode in $HF_MODES; do [ "$mode" = eager ] || compiles+=("$shape $mode"); done; done
n=${#compiles[@]}
for job in "${compiles[@]}"; do
  read -r shape mode <<< "$job"
  share=$(($(left) / n)); n=$((n - 1))
  [ "$share" -lt "$COMPILE_SHARE_MIN" ] && share=$COMPILE_SHARE_MIN
  [ "$share" -gt "$(left)" ] && share=$(left)
  if [ "$share" -lt 30 ]; then echo "== HF $shape $mode: not run, $share s left for it"; continue; fi
  hf_run "$shape" "$mode" "$share" 1
done

python3 bench/fair_throughput.py kernels "$results" --json "$out/kernels.json" > "$out/kernels.txt" 2>> "$logs/kernels.err"
tar czf "$work/traces.tar.gz" -C "$work" traces 2> /dev/null
if [ "$(stat -c %s "$work/traces.tar.gz")" -lt 15000000 ]; then cp "$work/traces.tar.gz" "$out/"; else echo "== traces.tar.gz over 15 MB: not kept"; fi
checkpoint "done"
# The table last: the device tool returns the end of the output.
cat "$out/kernels.txt"
echo
cat "$out/table.md"
