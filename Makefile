# wanbond: `make` builds dist/wanbond.js and the addon; see README.md for the rest.
.PHONY: all build setup test check lab bench fuzz soak ipk deb feed clean

all: build

# Debian packages and npm modules a fresh machine needs (root); quick when everything is there already.
setup:
	bash scripts/setup.sh

build:
	@[ -d node_modules ] || npm ci --no-audit --no-fund
	node scripts/build.mjs

check: build
	npm run check

test: setup build
	node scripts/test.mjs

lab: setup build
	node dist/wanbond.js lab demo

bench: setup build
	node bench/run.mjs

# Longer property runs than CI's, and hours of the lab with cellular traces and cuts (not in CI).
fuzz: build
	node scripts/fuzz.mjs --scale 50 --rounds 4

soak: setup build
	node scripts/soak.mjs --hours 2

ipk: build
	node scripts/ipk.mjs

feed: ipk
	node scripts/feed.mjs

deb: build
	bash scripts/deb.sh

clean:
	rm -rf dist src/tuntap2/build coverage
