#!/usr/bin/env bash
# AutoPEFT against the hand-designed PEFT methods on the GPU machine, the whole experiment of
# docs/results/autopeft_vs_baselines.md in one resumable command:
#   bash bench/autopeft_vs_baselines.sh WORK_DIR
# Each step leaves a marker in WORK_DIR and is skipped when run again; every trained run is a
# line in WORK_DIR/runs/*.jsonl the moment it finishes, and every trial a row of its study store,
# so the command continues a killed run. DEADLINE=SECONDS stops every process after that many
# seconds and exits 0 with the state resumable ("stopped at the deadline"): the experiment can
# run in slices on a machine that is lent for minutes at a time (bench/autopeft_vs_baselines_slice.sh).
#   1. build: autopeft and autopeft_vs_baselines (BUILD_TARGETS: autopeft_cli autopeft_vs_baselines)
#      against the machine's LibTorch (CUDA), with the
#      Debian dependencies that ../shared/tools/gpu-deps.sh unpacked into .gpu-deps/ (give it
#      wordnet-base fortunes fortunes-min, so the corpus equals a Debian machine's);
#   2. the backbone: BACKBONE (default: the shipped default backbone, share/backbones/tiny_long-*);
#   3. search and baselines, all at once: per task three AutoPEFT studies, each in its own store,
#        <task>        the default space (SA/PA/PT, LoRA, (IA)³, the learning rate), multi-fidelity:
#                      TRIALS trials, INITIAL initial points then MOBO batches of BATCH, rungs
#                      FIDELITIES, promotion 1 in ETA;
#        <task>-paper  the paper's space (SA/PA/PT sizes, one switch per layer; rate LR), the same
#                      budget and rungs (PAPER=false skips it);
#        <task>-sf     the default space at one fidelity, SF_TRIALS trials of SEARCH_SAMPLES x
#                      SEARCH_EPOCHS (for hypervolume against GPU-seconds; SF_TRIALS=0 skips it);
#      beside the hand-designed baselines (autopeft_vs_baselines --methods all, SEEDS seeds,
#      SEARCH_SHARDS processes), each at the rate of LR_GRID whose probe runs (seeds LR_SEEDS) are
#      best on dev in the mean: two passes, probes then the rest;
#   4. fronts: the Pareto configurations of <task> and <task>-paper (autopeft pareto), written as
#      the configurations to re-train: on their own task, and SOURCE's default-space front on
#      every other task;
#   5. re-train them with SEEDS seeds, at the baselines' fidelity (SHARDS processes).
# All processes share one GPU: the models are small and the steps bound by the host's operator
# dispatch, so several processes keep the GPU busier than one. The cost objective is the
# stored-parameter count (a prefix folded) on both sides.
# bench/autopeft_vs_baselines.py makes the tables and plots from WORK_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "$1")
mkdir -p "$work"/{logs,runs,search,fronts}

TASKS=${TASKS:-wn_supersense wn_hypernym wn_paraphrase wn_pos fortune_category}
SOURCE=${SOURCE:-wn_supersense}            # the task whose configurations are transferred
TRIALS=${TRIALS:-96}; INITIAL=${INITIAL:-16}; BATCH=${BATCH:-4}
FIDELITIES=${FIDELITIES:-8000x1,8000x2}; ETA=${ETA:-3}
INITIAL_AT_TOP=${INITIAL_AT_TOP:-false}    # true: the hand-designed initial configurations at the top rung
INITIAL_METHODS=${INITIAL_METHODS:-lora8,lora16,ia3,pfeiffer,parallel}  # the default space's hand-designed initial configurations
PAPER=${PAPER:-true}
SF_TRIALS=${SF_TRIALS:-48}; SEARCH_SAMPLES=${SEARCH_SAMPLES:-8000}; SEARCH_EPOCHS=${SEARCH_EPOCHS:-2}
FINAL_SAMPLES=${FINAL_SAMPLES:-8000}; FINAL_EPOCHS=${FINAL_EPOCHS:-2}
LR=${LR:-0.003}; FULL_LR=${FULL_LR:-0.0001}; MAX_SEQ=${MAX_SEQ:-64}
LR_GRID=${LR_GRID:-0.0001,0.0003,0.001,0.003,0.01}   # the baselines' rates (full fine-tuning's too); empty: LR and FULL_LR
LR_SEEDS=${LR_SEEDS:-0,100}                # the probe seeds: a rate is chosen by its mean dev metric over them
SEEDS=${SEEDS:-5}; SHARDS=${SHARDS:-14}; SEARCH_SHARDS=${SEARCH_SHARDS:-8}; DEVICE=${DEVICE:-cuda}
DEADLINE=${DEADLINE:-0}
tasks_csv=$(echo $TASKS | tr ' ' ',')
if [ ! -f "$work/settings.env" ]; then
  { for v in TASKS SOURCE TRIALS INITIAL BATCH FIDELITIES ETA INITIAL_AT_TOP INITIAL_METHODS PAPER SF_TRIALS SEARCH_SAMPLES SEARCH_EPOCHS FINAL_SAMPLES \
             FINAL_EPOCHS LR FULL_LR LR_GRID LR_SEEDS MAX_SEQ SEEDS SHARDS SEARCH_SHARDS DEVICE; do
      echo "$v=\"${!v}\""; done; } > "$work/settings.env"
else
  source "$work/settings.env"  # a continued run keeps the settings it started with
  tasks_csv=$(echo $TASKS | tr ' ' ',')
fi
stamp() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$work/logs/pipeline.log"; }

deps=$PWD/.gpu-deps/usr
if [ -d "$deps" ]; then
  export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
  # The embedded benchmark reads WordNet and fortunes where Debian installs them.
  [ -e /usr/share/wordnet ] || ln -sfn "$deps/share/wordnet" /usr/share/wordnet
  mkdir -p /usr/share/games
  [ -e /usr/share/games/fortunes ] || ln -sfn "$deps/share/games/fortunes" /usr/share/games/fortunes
fi
build=${BUILD_DIR:-build-gpu}
bin=$build/examples

# The deadline: stop every process of the experiment, keep what is finished.
rm -f "$work/deadline"
if [ "$DEADLINE" -gt 0 ]; then
  ( sleep "$DEADLINE"; touch "$work/deadline"; pkill -TERM -f "$bin/autopeft" ) &
  watchdog=$!
  trap 'kill $watchdog 2>/dev/null || true' EXIT
fi
# Waits for the given processes; at the deadline exits 0, on a failure exits 1.
wait_all() {
  local failed=0
  for p in "$@"; do wait "$p" || failed=$((failed + 1)); done
  if [ -f "$work/deadline" ]; then
    echo "$phase_name=$((SECONDS - phase_start))" >> "$work/timings.env"
    stamp "stopped at the deadline; run again to continue"; exit 0
  fi
  if [ "$failed" != 0 ]; then
    echo "$phase_name=$((SECONDS - phase_start))" >> "$work/timings.env"
    stamp "$failed process(es) failed: see $work/logs"; exit 1
  fi
}
# Seconds of each phase, summed over the slices it ran in.
phase_timer() { phase_name=$1; phase_start=$SECONDS; }
phase_done() { echo "$phase_name=$((SECONDS - phase_start))" >> "$work/timings.env"; touch "$work/$phase_name.done"; }

if [ ! -f "$work/build.done" ]; then
  stamp "build"
  torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  cmake -S . -B "$build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu" \
    -DCMAKE_INCLUDE_PATH="$deps/include" -DAUTOPEFT_BUILD_TESTS=OFF > "$work/logs/configure.log" 2>&1 ||
    { tail -30 "$work/logs/configure.log"; exit 1; }
  start=$SECONDS
  cmake --build "$build" -j "$(nproc)" --target ${BUILD_TARGETS:-autopeft_cli autopeft_vs_baselines} > "$work/logs/build.log" 2>&1 ||
    { grep -E "error" -A3 "$work/logs/build.log" | head -40; exit 1; }
  echo "build=$((SECONDS - start))" >> "$work/timings.env"
  touch "$work/build.done"
fi

backbone=${BACKBONE:-$(ls -d "$PWD"/share/backbones/tiny_long-* | head -1)}
[ -f "$backbone/config.json" ] || { echo "no backbone at $backbone" >&2; exit 1; }
echo "$backbone" > "$work/backbone.txt"
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$work/gpu.txt"
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -l 10 >> "$work/logs/smi.log" &
  smi=$!
  trap 'kill ${watchdog:-} $smi 2>/dev/null || true' EXIT
fi

common=(--backbone "$backbone" --device "$DEVICE" --threads 1 --max-seq-length "$MAX_SEQ")
final=(--seeds "$SEEDS" --train-samples "$FINAL_SAMPLES" --epochs "$FINAL_EPOCHS" --lr "$LR" --full-lr "$FULL_LR")
grid=(); [ -n "$LR_GRID" ] && grid=(--lr-grid "$LR_GRID" --lr-seed "$LR_SEEDS" --lr-runs "$work/runs")

# One study: created, or continued where its store stands.
study() {  # study NAME TASK ARGS...
  local name=$1 task=$2; shift 2
  local store=$work/search/$name.db
  if [ -f "$store" ]; then
    "$bin/autopeft" resume --store "$store" --threads 1 > "$work/logs/search-$name.out" 2>> "$work/logs/search-$name.log"
  else
    "$bin/autopeft" search --task "$task" --study "$name" --store "$store" --baselines false --retrain-seeds 0 \
      --ref-metric 0 --ref-params 26 --seed 1 "${common[@]}" "$@" > "$work/logs/search-$name.out" 2> "$work/logs/search-$name.log"
  fi
}

if [ ! -f "$work/search.done" ]; then
  phase_timer search
  stamp "search ($TASKS: default, paper's and single-fidelity studies) and baselines ($SEARCH_SHARDS processes)"
  pids=()
  for t in $TASKS; do
    mf=(--trials "$TRIALS" --initial "$INITIAL" --batch "$BATCH" --fidelities "$FIDELITIES" --eta "$ETA"
        --initial-methods-at-top-rung "$INITIAL_AT_TOP")
    study "$t" "$t" --space default --initial-methods "$INITIAL_METHODS" "${mf[@]}" & pids+=($!)
    if [ "$PAPER" = true ]; then
      study "$t-paper" "$t" --space autopeft --lr "$LR" --initial-methods pfeiffer,parallel "${mf[@]}" & pids+=($!)
    fi
    if [ "$SF_TRIALS" -gt 0 ]; then
      study "$t-sf" "$t" --space default --trials "$SF_TRIALS" --initial "$INITIAL" --batch "$BATCH" \
        --train-samples "$SEARCH_SAMPLES" --epochs "$SEARCH_EPOCHS" & pids+=($!)
    fi
  done
  baselines() {  # pass 1 runs the rate probes (and, without a grid, everything); pass 2 the rest
    for pass in 1 2; do
      local shard_pids=()
      for k in $(seq 0 $((SEARCH_SHARDS - 1))); do
        "$bin/autopeft_vs_baselines" "${common[@]}" "${final[@]}" "${grid[@]}" --tasks "$tasks_csv" --methods all \
          --shard "$k/$SEARCH_SHARDS" --out "$work/runs/baselines-$k.jsonl" 2>> "$work/logs/baselines-$k.log" &
        shard_pids+=($!)
      done
      for p in "${shard_pids[@]}"; do wait "$p" || return 1; done
    done
  }
  baselines & pids+=($!)
  wait_all "${pids[@]}"
  phase_done
fi

if [ ! -f "$work/fronts.done" ]; then
  stamp "fronts"
  for t in $TASKS; do
    for name in "$t" "$t-paper" "$t-sf"; do
      [ -f "$work/search/$name.db" ] || continue
      "$bin/autopeft" status --store "$work/search/$name.db" --study "$name" --export "$work/fronts/$name-trials.json" > /dev/null
      [ "$name" = "$t-sf" ] && continue  # the single-fidelity study is for the hypervolume curve only
      "$bin/autopeft" pareto --store "$work/search/$name.db" --study "$name" --format json > "$work/fronts/$name.json"
    done
  done
  python3 bench/autopeft_vs_baselines.py configs "$work" --source "$SOURCE" > "$work/configs.jsonl"
  touch "$work/fronts.done"
fi

if [ ! -f "$work/retrain.done" ]; then
  phase_timer retrain
  stamp "re-training and transfer ($(wc -l < "$work/configs.jsonl") configurations, $SHARDS processes)"
  pids=()
  for k in $(seq 0 $((SHARDS - 1))); do
    "$bin/autopeft_vs_baselines" "${common[@]}" "${final[@]}" --tasks "$tasks_csv" --methods none \
      --configs "$work/configs.jsonl" --shard "$k/$SHARDS" --out "$work/runs/retrain-$k.jsonl" 2>> "$work/logs/retrain-$k.log" &
    pids+=($!)
  done
  wait_all "${pids[@]}"
  phase_done
fi
stamp "done"
touch "$work/done"
