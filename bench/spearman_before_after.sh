#!/usr/bin/env bash
# Issue 18's rank-correlation check: per embedded task, how well the search's objective predicts
# the re-trained metric (Spearman's rho over the re-trained Pareto set, printed by `autopeft
# search`), before and after the search changes:
#   before: the paper's space, trainable-parameter cost, Sobol design, one fidelity (2000 x 2,
#           lr 2e-3), the old main job's trial;
#   after:  the main job's settings (examples/configs/main_job.json): the default space, stored
#           cost, the hand-designed methods' configurations then a stratified design, rungs
#           4000x1, 4000x2.
# Both re-train their Pareto sets at 4000 x 2 with 3 seeds; no baselines.
#   bash bench/spearman_before_after.sh AUTOPEFT_BINARY OUT_DIR [TASKS...]
set -euo pipefail
bin=$1
out=$2
shift 2
tasks=("$@")
[ ${#tasks[@]} -gt 0 ] || tasks=(wn_pos wn_supersense wn_hypernym wn_paraphrase fortune_category)
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
for task in "${tasks[@]}"; do
  for arm in before after; do
    store="$out/$task-$arm.db"
    rm -f "$store" "$store"-*
    if [ "$arm" = before ]; then
      flags=(--space autopeft --cost trainable --design sobol --fidelities "" --trials 24 --initial 8 --batch 4
             --train-samples 2000 --epochs 2 --lr 2e-3)
    else
      flags=(--config "$here/examples/configs/main_job.json")
    fi
    "$bin" search "${flags[@]}" --task "$task" --store "$store" --baselines false --retrain-seeds 3 \
      --final-train-samples 4000 --final-epochs 2 --threads "${THREADS:-1}" > "$out/$task-$arm.out" 2> "$out/$task-$arm.log"
    rho=$(grep -o "Pareto configurations: .*" "$out/$task-$arm.out" | sed 's/Pareto configurations: //' || true)
    n=$(grep -c "^ *[0-9]" "$out/$task-$arm.out" || true)
    echo "$task $arm rho=${rho:-n/a} front=$n"
  done
done
