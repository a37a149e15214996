#!/usr/bin/env bash
# The GPU machine's check: builds against the machine's LibTorch 2.x (CUDA) with the Debian
# dependencies unpacked by ../shared/tools/gpu-deps.sh into .gpu-deps/, runs the test suite
# (CUDA tests included), and the checkpoint round trip through HF transformers.
#   bash tools/gpu-check.sh [OUT_DIR] [catch-test-spec]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/autopeft-gpu}; spec=${2:-}
mkdir -p "$out"
deps=$PWD/.gpu-deps/usr
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
cmake -S . -B build-gpu -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu \
  -DCMAKE_INCLUDE_PATH=$deps/include ${GPU_CMAKE_ARGS:-} > "$out/configure.log" 2>&1 \
  || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j 16 > "$out/build.log" 2>&1 || { grep -E "error" "$out/build.log" | head -30; exit 1; }
echo "== build ok"
rc=0
./build-gpu/tests/autopeft_tests $spec 2>&1 | tail -25 || rc=1
echo "== checkpoint round trip on CUDA"
./build-gpu/examples/checkpoint_roundtrip tests/fixtures/hf "$out/roundtrip" cuda || rc=1
echo "== reload in HF transformers"
python3 tools/check_hf_roundtrip.py "$out/roundtrip" tests/fixtures/hf || rc=1
echo "== adapters through HF PEFT"
./build-gpu/examples/adapter_export tests/fixtures "$out/adapters" || rc=1
python3 tools/check_peft_adapters.py "$out/adapters" tests/fixtures || rc=1
exit $rc
