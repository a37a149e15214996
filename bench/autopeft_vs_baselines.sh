#!/usr/bin/env bash
# AutoPEFT against the hand-designed PEFT methods on the GPU machine, the whole experiment of
# docs/results/autopeft_vs_baselines.md in one resumable command:
#   bash bench/autopeft_vs_baselines.sh WORK_DIR
# Each step leaves a marker in WORK_DIR and is skipped when run again, and every trained run is
# a line in WORK_DIR/runs/*.jsonl the moment it finishes, so the command continues a killed run.
#   1. build: autopeft and autopeft_vs_baselines against the machine's LibTorch (CUDA), with the
#      Debian dependencies that ../shared/tools/gpu-deps.sh unpacked into .gpu-deps/. Add the
#      fortunes-min package there too, or the fortunes corpus lacks three files:
#        (cd /tmp && apt-get download fortunes-min) && dpkg -x /tmp/fortunes-min_*.deb .gpu-deps
#   2. pretrain: the `gpu` backbone recipe (BACKBONE=DIR uses a finished backbone instead);
#   3. search, one AutoPEFT study per task, all tasks at once, beside the hand-designed baselines
#      (autopeft_vs_baselines --methods all, SEEDS seeds, SHARDS processes), each baseline at the
#      rate of LR_GRID whose probe run (seed 0) is best on dev: two passes, probes then the rest;
#   4. fronts: each study's Pareto configurations (autopeft pareto), written as the
#      configurations to re-train: on their own task, and those of SOURCE on every other task;
#   5. re-train them with SEEDS seeds, at the same fidelity as the baselines (SHARDS processes).
# All processes share one GPU: the models are small and the steps bound by the host's operator
# dispatch, so several processes keep the GPU busier than one.
# bench/autopeft_vs_baselines.py makes the tables and plots from WORK_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "$1")
mkdir -p "$work"/{logs,runs,search,fronts}

TASKS=${TASKS:-wn_supersense wn_hypernym wn_paraphrase wn_pos fortune_category}
SOURCE=${SOURCE:-wn_supersense}            # the task whose configurations are transferred
TRIALS=${TRIALS:-48}; INITIAL=${INITIAL:-16}; BATCH=${BATCH:-4}
SEARCH_SAMPLES=${SEARCH_SAMPLES:-2000}; SEARCH_EPOCHS=${SEARCH_EPOCHS:-2}
FINAL_SAMPLES=${FINAL_SAMPLES:-8000}; FINAL_EPOCHS=${FINAL_EPOCHS:-3}
LR=${LR:-0.002}; FULL_LR=${FULL_LR:-0.0001}; MAX_SEQ=${MAX_SEQ:-64}
LR_GRID=${LR_GRID:-0.0001,0.0003,0.001,0.003,0.01}   # the baselines' rates (full fine-tuning's too); empty: LR and FULL_LR
SEEDS=${SEEDS:-5}; SHARDS=${SHARDS:-12}; DEVICE=${DEVICE:-cuda}
tasks_csv=$(echo $TASKS | tr ' ' ',')
{ for v in TASKS SOURCE TRIALS INITIAL BATCH SEARCH_SAMPLES SEARCH_EPOCHS FINAL_SAMPLES FINAL_EPOCHS LR FULL_LR LR_GRID MAX_SEQ SEEDS SHARDS DEVICE; do
    echo "$v=${!v}"; done; } > "$work/settings.env"
stamp() { echo "[$(date -u +%H:%M:%S)] $*"; }

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

if [ ! -f "$work/build.done" ]; then
  stamp "build"
  torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  cmake -S . -B "$build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu" \
    -DCMAKE_INCLUDE_PATH="$deps/include" -DAUTOPEFT_BUILD_TESTS=OFF > "$work/logs/configure.log" 2>&1 ||
    { tail -30 "$work/logs/configure.log"; exit 1; }
  cmake --build "$build" -j "$(nproc)" --target autopeft_cli autopeft_vs_baselines > "$work/logs/build.log" 2>&1 ||
    { grep -E "error" -A3 "$work/logs/build.log" | head -40; exit 1; }
  touch "$work/build.done"
fi

backbone=${BACKBONE:-$work/backbone}
if [ -z "${BACKBONE:-}" ] && [ ! -f "$work/pretrain.done" ]; then
  stamp "pretrain (recipe gpu)"
  resume=(); [ -d "$backbone/checkpoints" ] && resume=(--resume)
  start=$SECONDS
  "$bin/autopeft" pretrain --config gpu --device "$DEVICE" --out "$backbone" "${resume[@]}" > "$work/logs/pretrain.out" 2> "$work/logs/pretrain.log"
  echo "pretrain_seconds=$((SECONDS - start))" >> "$work/timings.env"
  touch "$work/pretrain.done"
fi

common=(--backbone "$backbone" --device "$DEVICE" --threads 1 --max-seq-length "$MAX_SEQ")
final=(--seeds "$SEEDS" --train-samples "$FINAL_SAMPLES" --epochs "$FINAL_EPOCHS" --lr "$LR" --full-lr "$FULL_LR")

if [ ! -f "$work/search.done" ]; then
  stamp "search ($TASKS) and baselines ($SHARDS processes)"
  start=$SECONDS
  pids=()
  for t in $TASKS; do
    store=$work/search/$t.db
    if [ -f "$store" ]; then
      "$bin/autopeft" resume --store "$store" --threads 1 > "$work/logs/search-$t.out" 2>> "$work/logs/search-$t.log" &
    else
      "$bin/autopeft" search --task "$t" --store "$store" --trials "$TRIALS" --initial "$INITIAL" --batch "$BATCH" \
        --train-samples "$SEARCH_SAMPLES" --epochs "$SEARCH_EPOCHS" --lr "$LR" --baselines false --retrain-seeds 0 \
        --ref-metric 0 --ref-params 26 --seed 1 "${common[@]}" > "$work/logs/search-$t.out" 2> "$work/logs/search-$t.log" &
    fi
    pids+=($!)
  done
  grid=(); [ -n "$LR_GRID" ] && grid=(--lr-grid "$LR_GRID" --lr-runs "$work/runs")
  baselines() {  # pass 1 runs the rate probes (and, without a grid, everything); pass 2 the rest
    for pass in 1 2; do
      local shard_pids=()
      for k in $(seq 0 $((SHARDS - 1))); do
        "$bin/autopeft_vs_baselines" "${common[@]}" "${final[@]}" "${grid[@]}" --tasks "$tasks_csv" --methods all \
          --shard "$k/$SHARDS" --out "$work/runs/baselines-$k.jsonl" 2>> "$work/logs/baselines-$k.log" &
        shard_pids+=($!)
      done
      for p in "${shard_pids[@]}"; do wait "$p" || return 1; done
    done
  }
  baselines &
  pids+=($!)
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
  [ "$failed" = 0 ] || { stamp "$failed process(es) failed: see $work/logs"; exit 1; }
  echo "search_and_baselines_seconds=$((SECONDS - start))" >> "$work/timings.env"
  touch "$work/search.done"
fi

if [ ! -f "$work/fronts.done" ]; then
  stamp "fronts"
  for t in $TASKS; do
    "$bin/autopeft" pareto --store "$work/search/$t.db" --format json > "$work/fronts/$t.json"
    "$bin/autopeft" status --store "$work/search/$t.db" --study "$t" --export "$work/fronts/$t-trials.json" > /dev/null
  done
  python3 bench/autopeft_vs_baselines.py configs "$work" --source "$SOURCE" > "$work/configs.jsonl"
  touch "$work/fronts.done"
fi

if [ ! -f "$work/retrain.done" ]; then
  stamp "re-training and transfer ($(wc -l < "$work/configs.jsonl") configurations, $SHARDS processes)"
  start=$SECONDS
  pids=()
  for k in $(seq 0 $((SHARDS - 1))); do
    "$bin/autopeft_vs_baselines" "${common[@]}" "${final[@]}" --tasks "$tasks_csv" --methods none --configs "$work/configs.jsonl" \
      --shard "$k/$SHARDS" --out "$work/runs/autopeft-$k.jsonl" 2>> "$work/logs/autopeft-$k.log" &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
  [ "$failed" = 0 ] || { stamp "$failed process(es) failed: see $work/logs"; exit 1; }
  echo "retrain_seconds=$((SECONDS - start))" >> "$work/timings.env"
  touch "$work/retrain.done"
fi
stamp "done"
touch "$work/done"
