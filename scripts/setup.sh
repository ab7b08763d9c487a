#!/usr/bin/env bash
# Everything a fresh Debian machine needs to build, test and run the lab, installed once (root).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(iproute2 nftables iperf3 iputils-ping openvpn mptcpd musl-tools gcc make python3 lintian debhelper)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
npm ci --no-audit --no-fund
