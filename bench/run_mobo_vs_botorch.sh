#!/usr/bin/env bash
# Builds mobo_loop against the GPU machine's LibTorch (with the Debian dependencies unpacked by
# ../shared/tools/gpu-deps.sh into .gpu-deps/) and runs bench/mobo_vs_botorch.py there.
#   bash bench/run_mobo_vs_botorch.sh OUT_DIR [mobo_vs_botorch.py arguments]
# Both sides run under the same glibc malloc settings: large thresholds keep the big temporary
# tensors of a Monte Carlo acquisition on the heap instead of mapping and unmapping (and
# zeroing) fresh pages for every call, which otherwise costs either side up to half its time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; shift
deps=$PWD/.gpu-deps/usr
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
cmake -S . -B build-gpu -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DAUTOPEFT_BUILD_BENCH=ON \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu \
  -DCMAKE_INCLUDE_PATH=$deps/include > /tmp/mobo-configure.log 2>&1 || { tail -30 /tmp/mobo-configure.log; exit 1; }
cmake --build build-gpu -j 16 --target mobo_loop > /tmp/mobo-build.log 2>&1 || { grep -E "error" /tmp/mobo-build.log | head -30; exit 1; }
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=536870912 MALLOC_TOP_PAD_=67108864
python3 bench/mobo_vs_botorch.py --loop build-gpu/bench/mobo_loop --out "$out" "$@"
