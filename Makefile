# wanbond: `make` builds dist/wanbond.js and the addon; see README.md for the rest.
.PHONY: all build setup test check lab bench ipk deb feed clean

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: node_modules/.package-lock.json
	node scripts/build.mjs

# Installs the Debian packages and npm modules a fresh machine needs (root).
setup:
	bash scripts/setup.sh

test: build
	npx vitest run

lab: build
	node dist/wanbond.js lab demo

bench: build
	node bench/run.mjs

ipk deb feed:
	@echo "make $@: not yet (see the OpenWrt package and VPS issues)"; exit 2

clean:
	rm -rf dist src/tuntap2/build coverage
