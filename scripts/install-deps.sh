#!/usr/bin/env bash
# Installs the Debian packages HakoGC needs when they are missing (the tests add
# python3-dev for the CPython bridge test).
# Usage: scripts/install-deps.sh [extra-package ...]
set -euo pipefail
packages=(libjemalloc-dev libunwind-dev zlib1g-dev pkg-config "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
