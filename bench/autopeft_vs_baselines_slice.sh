#!/usr/bin/env bash
# One slice of bench/autopeft_vs_baselines.sh, for a GPU machine that is lent for minutes at a
# time and starts bare: it restores the previous slice's state, runs the experiment for SECONDS
# (DEADLINE, counted from the start and including the build), and packs the state to continue:
#   bash bench/autopeft_vs_baselines_slice.sh STATE_DIR OUT_DIR SECONDS
# STATE_DIR holds state.tgz (the work folder) and bin.tgz (the two programs built by the first
# slice) from the last slice; on the first it is empty or absent. OUT_DIR receives the new
# state.tgz and bin.tgz, and rules.txt (the task rules over the runs so far). Every variable of
# bench/autopeft_vs_baselines.sh may be set; a continued run keeps the settings it started with.
# MPS=1 starts the CUDA multi-process service first, so that the kernels of the many small
# processes can run side by side; it is left off when a CUDA call through it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$1; out=$2; seconds=$3
work=${WORK:-/tmp/autopeft-vs-baselines}
mkdir -p "$work" "$out"
if [ -f "$state/state.tgz" ]; then tar xzf "$state/state.tgz" -C "$work"; fi
if [ -f "$state/bin.tgz" ]; then tar xzf "$state/bin.tgz"; fi
# REBUILD="autopeft_vs_baselines" builds these targets again (a changed program) before continuing.
if [ -n "${REBUILD:-}" ]; then rm -f "$work/build.done"; export BUILD_TARGETS=$REBUILD; fi
if [ "${MPS:-0}" = 1 ] && command -v nvidia-cuda-mps-control > /dev/null; then
  nvidia-cuda-mps-control -d && sleep 1
  if timeout 60 python3 -c 'import torch; assert torch.ones(4, device="cuda").sum().item() == 4'; then
    echo "MPS: on" | tee -a "$work/mps.txt"
  else
    echo quit | nvidia-cuda-mps-control || true
    echo "MPS: failed, off" | tee -a "$work/mps.txt"
  fi
fi
rc=0
DEADLINE=$seconds bash bench/autopeft_vs_baselines.sh "$work" || rc=$?
tar czf "$out/state.tgz" -C "$work" .
if [ -x build-gpu/examples/autopeft ]; then
  tar czf "$out/bin.tgz" build-gpu/examples/autopeft build-gpu/examples/autopeft_vs_baselines
fi
python3 bench/autopeft_vs_baselines.py rules "$work" > "$out/rules.txt" 2>&1 || true
cat "$work/timings.env" 2>/dev/null || true
exit "$rc"
