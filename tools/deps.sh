#!/usr/bin/env bash
# Installs the Debian 12 packages eachare needs, only those that are missing (apt-get as root).
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config python3 libboost-dev libyaml-cpp-dev
          libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
          clang-14 libclang-rt-14-dev  # clang-14 + libclang-rt-14-dev: the libFuzzer targets (fuzz/)
          parallel  # parallel: GNU parallel, for the sweep recipe's test (tests/cluster)
          chromium python3-matplotlib)  # the HTML report's browser test (tests/browser), plots
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "deps: all ${#packages[@]} packages present"
fi
