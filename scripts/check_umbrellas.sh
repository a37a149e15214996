#!/usr/bin/env bash
# Every folder of include/autopeft/ has its umbrella header next to it (folder/ -> folder.hpp),
# as docs/ARCHITECTURE.md promises; detail/ folders are internals and have none.
#   scripts/check_umbrellas.sh [ROOT]     ROOT: the include tree (default: include/autopeft)
# Prints one line per missing umbrella and exits 1 if there is any; ctest runs it (`umbrellas`).
set -euo pipefail
root=${1:-"$(cd "$(dirname "$0")/.." && pwd)/include/autopeft"}
status=0
while IFS= read -r dir; do
  if [[ ! -f "$dir.hpp" ]]; then
    echo "${dir#"$root"/}/ has no umbrella header ${dir#"$root"/}.hpp: add one that includes its public headers"
    status=1
  fi
done < <(find "$root" -mindepth 1 -type d ! -name detail ! -path '*/detail/*' | sort)
exit $status
