#!/usr/bin/env bash
# The sanitizer job: builds the whole unit suite (autopeft_tests) with AddressSanitizer +
# UndefinedBehaviorSanitizer in its own build directory and runs it. Exits non-zero when the
# build fails, a test fails, or a sanitizer reports anything (halt_on_error: a report aborts the
# run).
#
#   scripts/asan-tests.sh                          # build dir: <repo>/build-asan (ASAN_BUILD_DIR;
#                                                  # not BUILD_DIR, which test.sh uses)
#   ASAN_BUILD_DIR=/tmp/asan JOBS=4 scripts/asan-tests.sh "[search]"
#
# Extra arguments go to the Catch2 executable (a tag or test name selects a subset).
# ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS from the environment are appended to the defaults
# below and so override them.
#
# Choices, and why:
#  - -O1 -g1 (RelWithDebInfo with its flags replaced): a Debug build of the suite runs several
#    times slower under ASan; -O1 keeps every check, line tables keep the reports readable, and
#    NDEBUG stays off so the suite's assertions run too.
#  - -fno-sanitize=vptr: UBSan's vptr check compares an object's dynamic type with type
#    information, and LibTorch's polymorphic classes come from an uninstrumented shared library;
#    every other UBSan check stays on.
#  - Leak checking stays on. Suppressions (scripts/lsan-libtorch.supp) name only allocations made
#    inside LibTorch, OpenBLAS and the OpenMP runtime that live until exit, none of ours.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ASAN_BUILD_DIR:-$root/build-asan}"
jobs="${JOBS:-2}"

generator=()
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi

start=$(date +%s)
cmake -S "$root" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -fno-sanitize=vptr" \
  -DAUTOPEFT_SANITIZE=ON \
  -DAUTOPEFT_BUILD_TESTS=ON \
  -DAUTOPEFT_BUILD_EXAMPLES=OFF \
  -DAUTOPEFT_BUILD_BENCH=OFF
cmake --build "$build" -j "$jobs" --target autopeft_tests
built=$(date +%s)
echo "asan-tests: build took $((built - start)) s"

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan-libtorch.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
echo "ASAN_OPTIONS=$ASAN_OPTIONS"
echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"
echo "LSAN_OPTIONS=$LSAN_OPTIONS"

# A sanitizer report ends the process with a non-zero status; grep the output too, so that a
# report from a child process or a detached thread cannot pass unnoticed.
log="$build/asan-tests.log"
status=0
(cd "$build/tests" && ./autopeft_tests --order rand --rng-seed 20261122 "$@") 2>&1 | tee "$log" || status=$?
echo "asan-tests: the suite ran $(($(date +%s) - built)) s"
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log"; then
  echo "asan-tests: a sanitizer reported a problem (see $log)"
  exit 1
fi
exit "$status"
