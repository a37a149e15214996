#!/usr/bin/env bash
# The GPU training-step benchmark, ours against HF transformers + PEFT, in one command on the GPU
# machine: builds bench/gpu_throughput.cpp against the machine's LibTorch (with the Debian
# dependencies unpacked by ../shared/tools/gpu-deps.sh into .gpu-deps/), runs the two sides in
# turn, and prints the table with the ratios.
#   bash bench/run_gpu_throughput.sh OUT_DIR [REPEATS=3] [COMPILE_BUDGET_SECONDS=300]
# At batch 32 both sides are bound by the host's operator dispatch, which varies from machine to
# machine and minute to minute, so the eager sides alternate REPEATS times (HF, ours, HF, ours,
# ...) and the table gives the median and the range. torch.compile runs once, last, for as long
# as the budget allows. Results: OUT_DIR/*.jsonl and OUT_DIR/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; repeats=${2:-3}; budget=${3:-300}
mkdir -p "$out"
deps=$PWD/.gpu-deps/usr
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export PYTHONUNBUFFERED=1
cmake -S . -B build-gpu -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DAUTOPEFT_BUILD_BENCH=ON \
  -DAUTOPEFT_BUILD_TESTS=OFF -DAUTOPEFT_BUILD_EXAMPLES=OFF \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps" -DCMAKE_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu \
  -DCMAKE_INCLUDE_PATH=$deps/include > "$out/configure.log" 2>&1 || { tail -30 "$out/configure.log"; exit 1; }
cmake --build build-gpu -j 16 --target gpu_throughput > "$out/build.log" 2>&1 \
  || { grep -E "error" "$out/build.log" | head -30; exit 1; }
echo "== ours built"
ours=() hf=()
for r in $(seq 1 "$repeats"); do
  profile=""; [ "$r" = 1 ] && profile="--profile lora,ia3"
  python3 bench/gpu_throughput.py --no-compile $profile > "$out/hf.$r.jsonl" 2>> "$out/hf.err" \
    || echo "== HF eager run $r failed (see hf.err)"
  ./build-gpu/bench/gpu_throughput > "$out/ours.$r.jsonl" || echo "== ours run $r failed"
  ours+=("$out/ours.$r.jsonl"); hf+=("$out/hf.$r.jsonl")
  echo "== repeat $r done"
done
./build-gpu/bench/gpu_throughput --methods setup-diag --setup-trials 10 > "$out/ours.diag.jsonl" || true
ours+=("$out/ours.diag.jsonl")
python3 bench/gpu_throughput.py --only-compile --compile-budget "$budget" > "$out/hf.compile.jsonl" 2>> "$out/hf.err" \
  || echo "== HF compile run failed (see hf.err)"
hf+=("$out/hf.compile.jsonl")
python3 bench/gpu_throughput.py --table "${ours[@]}" -- "${hf[@]}" | tee "$out/table.md"
