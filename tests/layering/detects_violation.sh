#!/usr/bin/env bash
# scripts/check_layering.sh must fail on a tree that breaks a rule, and name the file and line:
# a mobo/ header that includes peft/ by path, space/ relatively and everything by umbrella, a
# peft/ header that includes space/ (a floor above it),
# beside includes that are allowed (mobo's own model/ folder, relatively; LibTorch).
#   tests/layering/detects_violation.sh CHECK_LAYERING_SH
set -euo pipefail
check=$1
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/mobo/acquisition" "$tree/mobo/model" "$tree/peft" "$tree/space" "$tree/search/store" "$tree/search/study"
cat > "$tree/mobo/acquisition/fine.hpp" <<'HPP'
#include "../model/gp.hpp"
#include <autopeft/mobo/model/gp.hpp>
#include <torch/torch.h>
HPP
# peft/ (floor 3) may include io/ and model/ below it, not space/ above it.
cat > "$tree/peft/up.hpp" <<'HPP'
#include <autopeft/io/safetensors.hpp>
#include <autopeft/model/encoder.hpp>
#include <autopeft/space/ordinal.hpp>
HPP
cat > "$tree/mobo/acquisition/bad.hpp" <<'HPP'
#pragma once
#include <autopeft/peft/lora.hpp>
#include "../../space/dimension.hpp"
#include <autopeft/autopeft.hpp>
HPP
# search/store/ sits below search/study/ and search/report/; it may include search/ itself.
cat > "$tree/search/store/low.hpp" <<'HPP'
#include <autopeft/search/store/record.hpp>
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/study/driver.hpp>
#include "../report/html.hpp"
#include <autopeft/search.hpp>
HPP
# search/study/ may include search/store/.
cat > "$tree/search/study/fine.hpp" <<'HPP'
#include <autopeft/search/store/record.hpp>
#include <autopeft/search/store.hpp>
HPP
set +e
out=$(bash "$check" "$tree" 2>&1)
rc=$?
set -e
echo "$out"
fail() { echo "detects_violation: $1" >&2; exit 1; }
[[ $rc -eq 1 ]] || fail "check_layering.sh exited $rc on a tree with violations; expected 1"
for where in "bad.hpp:2:" "bad.hpp:3:" "bad.hpp:4:"; do
  grep -q "mobo/acquisition/$where" <<<"$out" || fail "no violation reported at mobo/acquisition/$where"
done
grep -q "peft/up.hpp:3:" <<<"$out" || fail "no violation reported at peft/up.hpp:3 (peft/ including space/)"
for where in 3 4 5; do
  grep -q "search/store/low.hpp:$where:" <<<"$out" || fail "no violation reported at search/store/low.hpp:$where"
done
if grep -qE "fine.hpp|peft/up.hpp:[12]:|low.hpp:[12]:" <<<"$out"; then fail "an allowed include was reported"; fi
echo "detects_violation: ok"
