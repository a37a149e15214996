#!/usr/bin/env bash
# The layering of include/autopeft/ (docs/ARCHITECTURE.md), checked by grepping includes: an
# area must not include the areas its rule forbids, whether by path (<autopeft/peft/lora.hpp>),
# by umbrella (<autopeft/peft.hpp>, <autopeft/autopeft.hpp>: everything) or relatively
# ("../../peft/lora.hpp", resolved against the including file).
#   scripts/check_layering.sh [ROOT]     ROOT: the include tree (default: include/autopeft)
# Prints one line per violation (FILE:LINE: ...) and exits 1 if there is any; ctest runs it
# (tests `layering` and `layering_detects_violation`).
set -euo pipefail

root=${1:-"$(cd "$(dirname "$0")/.." && pwd)/include/autopeft"}
if [[ ! -d $root ]]; then
  echo "check_layering: no include tree at '$root'; pass the path of include/autopeft" >&2
  exit 2
fi
root=$(cd "$root" && pwd -P)

# area: the areas it must not include. One line a rule; add a line to add a rule.
# The floors, bottom up: detail; model, data, mobo; io; peft, train; space; search. An area
# includes only areas on floors below its own (error.hpp, at the bottom, is open to all).
rules=(
  "detail: data io mobo model peft search space train"
  "model: data io mobo peft search space train"
  "data: io mobo model peft search space train"
  "mobo: data io model peft search space train"  # mobo optimises any function: it knows no PEFT, model or study
  "io: data mobo peft search space train"        # checkpoints of the model's configuration
  "peft: data mobo search space train"
  "train: mobo peft search space"
  "space: data io mobo search train"             # spaces are of PEFT policies
  # search/ by concern, bottom up: store/ (the SQLite store), study/ (running studies), report/.
  "search/store: search/study search/report"      # the store knows no driver, evaluator or report
  "search/study: search/report"
)

# The area an include names, in $target: empty for headers outside the tree (<torch/torch.h>).
# Sets a variable instead of printing, so that no subshell runs per include line (the check
# reads every include of the tree).
area_of() {  # FILE INCLUDED
  local file=$1 inc=$2 path
  target=
  case $inc in
    autopeft/autopeft.hpp) target="*"; return ;;
    autopeft/*) path=${inc#autopeft/} ;;
    *) path=$(realpath -m "$root/$(dirname "$file")/$inc") || return 0
       [[ $path == "$root"/* ]] || return 0
       path=${path#"$root"/} ;;
  esac
  case $path in
    search.hpp) target="search/*"; return ;;  # the umbrella: every part of search/
    search/store/* | search/store.hpp | search/study/* | search/study.hpp | search/report/* | search/report.hpp)
      path=${path#search/}; path=${path%%/*}; target="search/${path%.hpp}"; return ;;
  esac
  path=${path%%/*}
  target=${path%.hpp}
}

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*)[>"]'
status=0
for rule in "${rules[@]}"; do
  area=${rule%%:*}
  forbidden=" ${rule#*: } "
  [[ -d $root/$area ]] || continue
  while IFS=: read -r file line text; do
    [[ $text =~ $include_re ]] || continue
    area_of "$file" "${BASH_REMATCH[1]}"
    [[ -n $target && $target != "$area" ]] || continue
    # A part of an area (search/store) is that area to the other areas' rules.
    [[ $area == */* || $target != */* ]] || target=${target%%/*}
    [[ $area == */* && $target == "${area%%/*}" ]] && continue  # the area's own files (concepts.hpp)
    if [[ $target == "*" || $target == */"*" && $area == */* || $forbidden == *" $target "* ]]; then
      echo "$file:$line: $text   <- $area/ must not include$forbidden(docs/ARCHITECTURE.md)"
      status=1
    fi
  done < <(cd "$root" && grep -rnE --include='*.hpp' --include='*.h' --include='*.cpp' \
             '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$area" || true)
done
if [[ $status -eq 0 ]]; then echo "check_layering: ${#rules[@]} rule(s) hold in $root"; fi
exit $status
