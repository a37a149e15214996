#!/usr/bin/env bash
# Pretrains the default backbone (recipe `tiny_long`) on the GPU machine, in fp32, and leaves the finished
# cache entry in OUT_DIR, ready to be copied into share/backbones/:
#   bash bench/pretrain_tiny_long.sh OUT_DIR
# Needs .gpu-deps/ (../shared/tools/gpu-deps.sh wordnet-base fortunes fortunes-min), so that the
# corpus is the one a Debian machine builds from /usr/share/wordnet and /usr/share/games/fortunes:
# the recipe's fingerprint names those directories, and the script links them there.
# TARGETS (default autopeft_cli) names the targets to build; BUILD_DIR (default build-gpu) where.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "$1")
mkdir -p "$out"
deps=$PWD/.gpu-deps/usr
[ -d "$deps" ] || { echo "no .gpu-deps/: run ../shared/tools/gpu-deps.sh wordnet-base fortunes fortunes-min here first" >&2; exit 1; }
export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
[ -e /usr/share/wordnet ] || ln -sfn "$deps/share/wordnet" /usr/share/wordnet
mkdir -p /usr/share/games
[ -e /usr/share/games/fortunes ] || ln -sfn "$deps/share/games/fortunes" /usr/share/games/fortunes
build=${BUILD_DIR:-build-gpu}
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
cmake -S . -B "$build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu" \
  -DCMAKE_INCLUDE_PATH="$deps/include" -DAUTOPEFT_BUILD_TESTS=OFF > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
start=$SECONDS
cmake --build "$build" -j "$(nproc)" --target ${TARGETS:-autopeft_cli} > "$out/build.log" 2>&1 ||
  { grep -E "error" -A3 "$out/build.log" | head -40; exit 1; }
echo "build: $((SECONDS - start)) s"
nvidia-smi --query-gpu=name --format=csv,noheader
start=$SECONDS
AUTOPEFT_CACHE_DIR="$out/cache" "$build/examples/autopeft" pretrain --config tiny_long --device cuda --fp32 2> "$out/pretrain.log"
echo "pretrain: $((SECONDS - start)) s"
grep -E "recipe|corpus|backbone:" "$out/pretrain.log" || true
