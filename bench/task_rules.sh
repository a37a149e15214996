#!/usr/bin/env bash
# The task rules of the embedded benchmark, measured: every hand-designed method on every task,
# each at the rate of LR_GRID whose probe run (seed 0) is best on dev, SEEDS reported seeds, then
# `autopeft_vs_baselines.py rules` (learnable: full fine-tuning reaches the majority-class rate
# + 10 points; discriminating: the best and the worst method are more than 4 standard errors
# apart). Resumable: runs already in WORK_DIR/runs are skipped.
#   BACKBONE=DIR bash bench/task_rules.sh WORK_DIR
# BIN (default build-gpu/examples) holds autopeft_vs_baselines; DEVICE (cuda), SHARDS (12),
# SEEDS (3), TASKS, LR_GRID, FINAL_SAMPLES (8000), FINAL_EPOCHS (3), MAX_SEQ (64) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "$1")
mkdir -p "$work/runs" "$work/logs"
BIN=${BIN:-build-gpu/examples}; DEVICE=${DEVICE:-cuda}; SHARDS=${SHARDS:-12}; SEEDS=${SEEDS:-3}
TASKS=${TASKS:-wn_supersense,wn_hypernym,wn_paraphrase,wn_pos,fortune_category}
LR_GRID=${LR_GRID:-0.0001,0.0003,0.001,0.003,0.01}
FINAL_SAMPLES=${FINAL_SAMPLES:-8000}; FINAL_EPOCHS=${FINAL_EPOCHS:-3}; MAX_SEQ=${MAX_SEQ:-64}
: "${BACKBONE:?set BACKBONE to a backbone folder}"
for pass in probes rest; do  # the second pass finds every probe done and runs the reported seeds
  start=$SECONDS
  pids=()
  for k in $(seq 0 $((SHARDS - 1))); do
    "$BIN/autopeft_vs_baselines" --backbone "$BACKBONE" --device "$DEVICE" --threads 1 --max-seq-length "$MAX_SEQ" \
      --seeds "$SEEDS" --train-samples "$FINAL_SAMPLES" --epochs "$FINAL_EPOCHS" --tasks "$TASKS" --methods all \
      --lr-grid "$LR_GRID" --lr-runs "$work/runs" --shard "$k/$SHARDS" --out "$work/runs/rules-$k.jsonl" \
      2>> "$work/logs/rules-$k.log" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "a process failed: see $work/logs" >&2; exit 1; }; done
  echo "$pass: $((SECONDS - start)) s"
done
python3 bench/autopeft_vs_baselines.py rules "$work"
