#!/usr/bin/env bash
# Trials per hour of one study's settings with 1 and with 2 GPU workers (autopeft-mpi), on a
# machine with two GPUs: builds autopeft-mpi against the machine's LibTorch (CUDA) with the
# Debian dependencies that ../shared/tools/gpu-deps.sh unpacked into .gpu-deps/, then runs the
# same search twice for a fixed time and prints trials/hour and the ratio.
#   bash bench/mpi_gpu_scaling.sh OUT_DIR BACKBONE_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
backbone=$2
secs=${3:-120}
mkdir -p "$out"
deps=$PWD/.gpu-deps/usr
export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
# The embedded benchmark reads WordNet and fortunes where Debian installs them.
[ -e /usr/share/wordnet ] || ln -sfn "$deps/share/wordnet" /usr/share/wordnet
mkdir -p /usr/share/games
[ -e /usr/share/games/fortunes ] || ln -sfn "$deps/share/games/fortunes" /usr/share/games/fortunes
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
cmake -S . -B build-gpu -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu" \
  -DCMAKE_INCLUDE_PATH="$deps/include" -DAUTOPEFT_BUILD_TESTS=OFF > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
grep -i "mpi" "$out/configure.log" | head -3
cmake --build build-gpu -j "$(nproc)" --target autopeft_mpi > "$out/build.log" 2>&1 ||
  { grep -E "error" -A3 "$out/build.log" | head -30; exit 1; }
nvidia-smi --query-gpu=name --format=csv,noheader
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common=(--backbone "$backbone" --task wn_pos --trials 100000 --initial 8 --train-samples 0 --epochs 3
        --time-budget "$secs" --baselines false --retrain-seeds 0 --device cuda --threads 4 --seed 1)
for w in 1 2; do
  mpirun --oversubscribe --enable-recovery -np $((w + 1)) build-gpu/examples/autopeft-mpi search "${common[@]}" \
    --store "$out/workers$w.db" --study scaling > "$out/workers$w.out" 2> "$out/workers$w.log" ||
    { tail -20 "$out/workers$w.log"; exit 1; }
  grep "^search:" "$out/workers$w.log"
done
python3 - "$out" <<'PY'
import re, sys
rate = {}
for w in (1, 2):
    line = [l for l in open(f"{sys.argv[1]}/workers{w}.log") if l.startswith("search:")][-1]
    done, secs = int(re.search(r"(\d+) complete", line).group(1)), float(re.search(r"; (\d+) s$", line.strip()).group(1))
    rate[w] = done / secs * 3600
    print(f"{w} GPU worker(s): {done} trials in {secs:.0f} s = {rate[w]:.0f} trials/hour")
print(f"ratio 2 GPUs / 1 GPU = {rate[2] / rate[1]:.2f}")
PY
