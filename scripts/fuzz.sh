#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang and runs each for a while on a copy of
# its seed corpus (tests/fuzz/corpus/<name>); fails if any target crashes. CI runs it briefly.
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 20 s, every target)
# FUZZ_BUILD_DIR (default build-fuzz) and JOBS (default 2) may be set; FUZZ_ARGS adds libFuzzer flags;
# NO_BUILD=1 runs the targets already built.
# A crash leaves its input as $FUZZ_BUILD_DIR/fuzz-runs/<name>/crash-* (reproduce: the target binary
# with that file as argument); commit it to the corpus once the library is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
shift || true
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-2}
ALL=(safetensors hf_config study_config glue_tsv jsonl wordpiece bpe sentencepiece adapter)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")

[ -z "${NO_BUILD:-}" ] && CC=clang CXX=clang++ cmake -S . -B "$FUZZ_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAUTOPEFT_FUZZ=ON -DAUTOPEFT_BUILD_TESTS=OFF -DAUTOPEFT_BUILD_EXAMPLES=OFF ${CMAKE_ARGS:-}
build_targets=()
for t in "${TARGETS[@]}"; do
  if [ "$t" = sentencepiece ] && ! grep -q '^fuzz_sentencepiece:' <(ninja -C "$FUZZ_BUILD_DIR" -t targets all 2>/dev/null); then
    echo "fuzz.sh: fuzz_sentencepiece is not configured (no libsentencepiece-dev): skipped"
    continue
  fi
  build_targets+=("fuzz_$t")
done
[ -z "${NO_BUILD:-}" ] && cmake --build "$FUZZ_BUILD_DIR" -j "$JOBS" --target "${build_targets[@]}"

bin="$(cd "$FUZZ_BUILD_DIR" && pwd)/tests/fuzz"
failed=()
for target in "${build_targets[@]}"; do
  name=${target#fuzz_}
  work="$FUZZ_BUILD_DIR/fuzz-runs/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp tests/fuzz/corpus/"$name"/* "$work/corpus/"
  scratch="$(cd "$work" && pwd)/scratch"
  [ -d /dev/shm ] && scratch="/dev/shm/autopeft-fuzz-$name-$$"
  echo "== $target: ${SECONDS_PER_TARGET} s"
  # Limits: a reader must not need more than 512 MB for any input of a few kB, nor 10 s.
  if ! (cd "$work" && AUTOPEFT_FUZZ_SCRATCH="$scratch" "$bin/$target" -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 ${FUZZ_ARGS:-} corpus \
        > log.txt 2>&1); then
    tail -n 60 "$work/log.txt"
    failed+=("$target")
  else
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$work/log.txt" || true
  fi
  rm -rf "$scratch"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashed: ${failed[*]} (inputs in $FUZZ_BUILD_DIR/fuzz-runs/<name>/)"
  exit 1
fi
echo "fuzz.sh: every target ran ${SECONDS_PER_TARGET} s without a crash"
