#!/usr/bin/env bash
# Builds bench/multi_fidelity.cpp and runs issue 18's comparison, multi-fidelity (MO-ASHA) against
# single-fidelity studies at equal summed cost on the synthetic AutoPEFT problem, once per
# initial design kind. The results are in docs/results/multi_fidelity_synthetic.md.
#   bash bench/multi_fidelity.sh [flags for multi_fidelity, e.g. --seeds 10]
# Environment: BUILD_DIR (default build-bench), the CMake build directory; DESIGNS (default
# "cost_stratified sobol"), the initial designs; OUT_DIR (default /tmp/multi_fidelity), where
# each design's tables (<design>.md) and curves (<design>.json, for --baseline) go.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-bench}
out=${OUT_DIR:-/tmp/multi_fidelity}
mkdir -p "$out"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTOPEFT_BUILD_BENCH=ON > /dev/null
cmake --build "$build" --target multi_fidelity
for design in ${DESIGNS:-cost_stratified sobol}; do
  echo "## initial design: $design"
  "$build/bench/multi_fidelity" --design "$design" --out "$out/$design.json" "$@" | tee "$out/$design.md"
  echo
done
