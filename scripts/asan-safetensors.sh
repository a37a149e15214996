#!/usr/bin/env bash
# Builds the test executable with AddressSanitizer + UBSan (Debug, AUTOPEFT_SANITIZE=ON) in its
# own build directory and runs the [safetensors] tests under it. Exits non-zero when the build
# fails, a test fails, or a sanitizer reports anything.
#
#   scripts/asan-safetensors.sh                 # build dir: <repo>/build-asan
#   BUILD_DIR=/tmp/asan JOBS=4 scripts/asan-safetensors.sh --durations yes
#
# Extra arguments go to the Catch2 test executable. ASAN_OPTIONS / UBSAN_OPTIONS from the
# environment are appended to the defaults below and so override them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-asan}"
jobs="${JOBS:-2}"

generator=()
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi

cmake -S "$root" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Debug \
  -DAUTOPEFT_SANITIZE=ON \
  -DAUTOPEFT_BUILD_TESTS=ON \
  -DAUTOPEFT_BUILD_EXAMPLES=OFF \
  -DAUTOPEFT_BUILD_BENCH=OFF
cmake --build "$build" -j "$jobs" --target autopeft_safetensors_tests

# LibTorch 1.13 (CPU) runs clean under these, leak checking included; halt_on_error makes any
# report fail the run (UBSan only warns by default).
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

echo "ASAN_OPTIONS=$ASAN_OPTIONS"
echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"
exec "$build/tests/autopeft_safetensors_tests" "[safetensors]" "$@"
