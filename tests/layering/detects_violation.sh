#!/usr/bin/env bash
# scripts/check_layering.sh must fail on a tree that breaks a rule, and name the file and line:
# a mobo/ header that includes peft/ by path, space/ relatively and everything by umbrella,
# beside includes that are allowed (mobo's own model/ folder, relatively; LibTorch).
#   tests/layering/detects_violation.sh CHECK_LAYERING_SH
set -euo pipefail
check=$1
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/mobo/acquisition" "$tree/mobo/model" "$tree/peft" "$tree/space"
cat > "$tree/mobo/acquisition/fine.hpp" <<'HPP'
#include "../model/gp.hpp"
#include <autopeft/mobo/model/gp.hpp>
#include <torch/torch.h>
HPP
cat > "$tree/mobo/acquisition/bad.hpp" <<'HPP'
#pragma once
#include <autopeft/peft/lora.hpp>
#include "../../space/dimension.hpp"
#include <autopeft/autopeft.hpp>
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
if grep -q "fine.hpp" <<<"$out"; then fail "an allowed include of fine.hpp was reported"; fi
echo "detects_violation: ok"
