#!/usr/bin/env bash
# `make deb`: dist/wanbond-server_<version>_<arch>.deb from debian/ and the prebuilt dist/ (`make build`).
# The package is built by dpkg-buildpackage in a temporary copy, so the checkout gets no debian/ build debris.
#   WANBOND_SERVER_CONF=FILE  use FILE as /etc/wanbond/server instead of debian/server.conf
#   WANBOND_DEB_OUT=DIR       where the .deb goes (default dist/)
#   WANBOND_LINTIAN=0         skip lintian (it runs by default and fails the build on an error)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

die() {
  echo "deb: $*" >&2
  exit 1
}

for f in dist/wanbond.js dist/tuntap2.node; do
  [ -f "$f" ] || die "$f is missing: run 'make build' first"
done
conf=${WANBOND_SERVER_CONF:-debian/server.conf}
[ -f "$conf" ] || die "$conf is missing (the default /etc/wanbond/server)"
for tool in dpkg-buildpackage dh; do
  command -v "$tool" >/dev/null || die "$tool not found: apt-get install dpkg-dev debhelper"
done

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
npm_version=$(node -p "require('./src/wanbond/package.json').version")
[ "$version" = "$npm_version" ] || die "debian/changelog is at $version but src/wanbond/package.json at $npm_version"

out=${WANBOND_DEB_OUT:-$root/dist}
mkdir -p "$out"
work=$(mktemp -d /tmp/wanbond-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/wanbond-$version
mkdir -p "$src/dist"
cp -a debian "$src/"
cp "$conf" "$src/debian/server.conf"
cp dist/wanbond.js dist/tuntap2.node "$src/dist/"

# Reproducible: every file dated to the changelog entry, like a Debian buildd would.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -l debian/changelog -S Timestamp)}
(cd "$src" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
  tail -40 "$work/build.log" >&2
  die "dpkg-buildpackage failed"
}

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=wanbond-server_${version}_${arch}.deb
[ -f "$work/$deb" ] || die "dpkg-buildpackage made no $deb"

if [ "${WANBOND_LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null; then
  # Errors fail the build; warnings and notes are printed for the record.
  if ! lintian --fail-on error --tag-display-limit 0 "$work/$deb" >"$work/lintian.log" 2>&1; then
    cat "$work/lintian.log" >&2
    die "lintian reports errors"
  fi
  [ -s "$work/lintian.log" ] && cat "$work/lintian.log"
fi

mv "$work/$deb" "$out/$deb"
echo "$out/$deb $(($(stat -c %s "$out/$deb") / 1024)) KiB"
