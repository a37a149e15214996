#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds everything and runs the tests.
#   bash scripts/test.sh            (as root on a fresh Debian bookworm machine)
# BUILD_DIR and JOBS may be set; the default build is Release in ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
# The Release build leaves the unit suite out (AUTOPEFT_UNIT_SUITE=OFF): the sanitizer job below
# builds it and runs every test case, so its translation units compile once. The Release build
# holds the examples, the CLI and the end-to-end, compile-fail, consumer and script checks.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DAUTOPEFT_BUILD_TESTS=ON -DAUTOPEFT_BUILD_EXAMPLES=ON -DAUTOPEFT_UNIT_SUITE=OFF ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j "$JOBS"
# The libFuzzer targets of the file readers (clang, its own build dir), each briefly on its corpus
# (10 s in CI; longer runs: scripts/fuzz.sh SECONDS).
bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
(cd "$BUILD_DIR" && ctest -j "$JOBS" --output-on-failure --timeout 1800)
# The sanitizer job: the whole unit suite under AddressSanitizer + UBSan, in its own build dir
# (for the suite in Release as well: configure with the default AUTOPEFT_UNIT_SUITE=ON, ctest -R unit).
JOBS="$JOBS" bash scripts/asan-tests.sh
