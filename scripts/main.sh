#!/usr/bin/env bash
# The README's main-job command: installs the dependencies, builds the autopeft program and runs
# an AutoPEFT search on the embedded default (examples/configs/main_job.json): the default
# backbone tiny_long (shipped in share/backbones; if that copy is missing or damaged, the fallback
# recipe tiny is pretrained instead, about 4 minutes), 32 trials on wn_pos in the default space (10 initial points, the
# hand-designed methods' nearest configurations first and then cost-stratified ones, then MOBO
# batches of 4; two fidelity rungs, 4000x1 and 4000x2 examples x epochs, with successive
# halving), the hand-designed baselines (LoRA r=8, (IA)3, Pfeiffer and parallel adapters, each
# on a learning-rate grid) and the Pareto set re-trained with 3 seeds at 4000x2, the front
# printed with a verdict per baseline and the report written to main-job/wn_pos-report.html.
#   bash scripts/main.sh [flags passed to autopeft search, e.g. --trials 40 --task wn_supersense]
# A second run resumes the study in main-job/study.db (finishing it if it was interrupted) and
# prints its front again; remove main-job/ to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
OUT_DIR=${OUT_DIR:-main-job}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTOPEFT_BUILD_EXAMPLES=ON > /dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target autopeft_cli
mkdir -p "$OUT_DIR"
if [ -e "$OUT_DIR/study.db" ]; then
  exec "$BUILD_DIR/examples/autopeft" resume --store "$OUT_DIR/study.db" --threads "${THREADS:-2}"
fi
exec "$BUILD_DIR/examples/autopeft" search --config examples/configs/main_job.json --store "$OUT_DIR/study.db" \
  --threads "${THREADS:-2}" "$@"
