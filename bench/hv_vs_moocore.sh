#!/usr/bin/env bash
# Builds bench/hv_vs_moocore.cpp against a moocore checkout (https://github.com/multi-objective/moocore,
# its C library in c/) and runs it. Nothing of moocore is copied into this project.
#   bash bench/hv_vs_moocore.sh MOOCORE_CHECKOUT [n] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$1/c; shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# moocore's own release flags (c/gcc.mk): -O3 -DNDEBUG, here with -march=native for both sides.
for f in hv hv3dplus hv4d; do
  gcc -O3 -DNDEBUG -march=native -I"$src" -include stddef.h -include stdint.h -c "$src/$f.c" -o "$out/$f.o"
done
g++ -std=c++20 -O3 -DNDEBUG -march=native -Iinclude -I"$src" -include stddef.h -include stdint.h \
  -isystem /usr/include/torch/csrc/api/include bench/hv_vs_moocore.cpp "$out"/*.o \
  -ltorch -ltorch_cpu -lc10 -o "$out/hv_vs_moocore"
"$out/hv_vs_moocore" "$@"
