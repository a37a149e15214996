#!/usr/bin/env bash
# Installs everything autopeft needs on a Debian bookworm machine (run as root, or with sudo).
# libopenblas0-pthread matters: without it LibTorch's CPU matmuls fall back to reference BLAS.
set -euo pipefail
pkgs=(build-essential cmake ninja-build git python3
      libtorch-dev libopenblas0-pthread
      libboost-dev librange-v3-dev nlohmann-json3-dev catch2 libbenchmark-dev
      libsqlite3-dev libcli11-dev libfmt-dev libspdlog-dev
      libsentencepiece-dev wordnet-base fortunes chromium libopenmpi-dev openmpi-bin
      clang libclang-rt-14-dev)  # clang + libFuzzer for scripts/fuzz.sh
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Make sure the pthread OpenBLAS is the BLAS that LibTorch resolves.
if command -v update-alternatives >/dev/null; then
  alt=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep openblas-pthread | head -n1 || true)
  [ -n "$alt" ] && { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo; $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$alt" >/dev/null; }
fi
echo "autopeft dependencies: ok"
