#!/usr/bin/env bash
# The README's main-job command: installs the dependencies, builds, and runs the main job.
#   bash scripts/main.sh [args passed to the job]
# Today the job trains a set of PEFT configurations of one resident encoder on a synthetic task
# and prints their Pareto front of dev accuracy versus % trainable parameters, with its
# hypervolume; once the study driver lands, this runs `autopeft search` on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTOPEFT_BUILD_EXAMPLES=ON > /dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target peft_pareto
exec "$BUILD_DIR/examples/peft_pareto" "$@"
