import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlFields, member, untgz } from './archives.js';
import { configOrStandIn, ROUTER_CONFIG_STANDIN, requireBuild, root, version } from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'wanbond-feed-test-'));
const dist = join(work, 'dist');
const feeds = join(work, 'feeds');
const keyFile = join(work, 'keys/feed.key');
const ipkName = `wanbond_${version}-1_x86_64.ipk`;

function feed(env: Record<string, string> = {}) {
  return spawnSync(
    'node',
    [join(root, 'scripts/feed.mjs'), '--dist', dist, '--out', feeds, '--url', 'https://feed.test/wb'],
    {
      env: { ...process.env, WANBOND_FEED_KEY: keyFile, ...env },
      encoding: 'utf8',
    },
  );
}

/** usign file: "untrusted comment: ..." then base64 of the struct. */
function usignFile(path: string): { comment: string; bytes: Buffer } {
  const [first, second] = readFileSync(path, 'utf8').split('\n');
  expect(first).toMatch(/^untrusted comment: /);
  return { comment: first!.slice('untrusted comment: '.length), bytes: Buffer.from(second!, 'base64') };
}

const ed25519Public = (raw: Buffer) =>
  createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
    format: 'der',
    type: 'spki',
  });

const IPKG_BUILD_ALL = `set -e
P="$W/luci"; mkdir -p "$P/CONTROL" "$P/data/www/luci-static/resources/view/wanbond"
printf 'Package: luci-app-wanbond\\nVersion: 0.1.0-1\\nDepends: wanbond, luci-base\\nSection: luci\\nArchitecture: all\\nInstalled-Size: 10240\\nDescription:  LuCI support for wanbond\\n' > "$P/CONTROL/control"
echo "'use strict';" > "$P/data/www/luci-static/resources/view/wanbond/status.js"
cd "$P/data" && tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime=@1700000000 -cf - . | gzip -n > "$P/data.tar.gz"
cd "$P/CONTROL" && tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime=@1700000000 -cf - . | gzip -n > "$P/control.tar.gz"
cd "$P" && echo 2.0 > debian-binary
tar --format=gnu --numeric-owner --owner=0 --group=0 --mtime=@1700000000 -cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -n > "$DIST/luci-app-wanbond_0.1.0-1_all.ipk"
`;

beforeAll(() => {
  requireBuild('dist/wanbond.js');
  const bundle = join(work, 'wanbond.js');
  copyFileSync(join(root, 'dist/wanbond.js'), bundle);
  const config = configOrStandIn('openwrt/wanbond/files/wanbond.config', work, ROUTER_CONFIG_STANDIN);
  // its own musl build, so it does not race ipk.test.ts over src/tuntap2/build/musl
  execFileSync('make', ['-C', join(root, 'src/tuntap2'), '--no-print-directory', 'CC=musl-gcc', `OUT=${work}/musl`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const addon = join(work, 'musl/tuntap2.node');
  const args = ['--out', dist, '--config', config, '--bundle', bundle, '--addon', addon];
  execFileSync('node', [join(root, 'scripts/ipk.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // An arch-`all` package the way OpenWrt's ipkg-build makes one (GNU tar, gzip -n), like the LuCI app's.
  execFileSync('sh', ['-c', IPKG_BUILD_ALL], { env: { ...process.env, W: work, DIST: dist } });
  const r = feed();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('make feed (scripts/feed.mjs)', () => {
  it('lays out feeds/<arch>/ with the ipk and its indexes, and the key by fingerprint', () => {
    expect(readdirSync(join(feeds, 'x86_64')).sort()).toEqual([
      'Packages',
      'Packages.gz',
      'Packages.sig',
      'luci-app-wanbond_0.1.0-1_all.ipk',
      ipkName,
    ]);
    // no feeds/all/: arch `all` packages go into every arch's feed, as in OpenWrt's bin/packages/<arch>/
    expect(readdirSync(feeds).sort()).toEqual(['README.md', 'keys', 'x86_64']);
    expect(readFileSync(join(feeds, 'x86_64', ipkName))).toEqual(readFileSync(join(dist, ipkName)));
    const keys = readdirSync(join(feeds, 'keys'));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(gunzipSync(readFileSync(join(feeds, 'x86_64/Packages.gz')))).toEqual(
      readFileSync(join(feeds, 'x86_64/Packages')),
    );
  });

  it('indexes each package like ipkg-make-index: its control plus Filename, Size, SHA256sum', () => {
    const index = readFileSync(join(feeds, 'x86_64/Packages'), 'utf8');
    const entries = index.split('\n\n').filter(Boolean);
    expect(entries.map((e) => controlFields(e).get('Package'))).toEqual(['luci-app-wanbond', 'wanbond']);
    expect(index.endsWith('\n\n')).toBe(true);
    expect(controlFields(entries[0]!).get('Filename')).toBe('luci-app-wanbond_0.1.0-1_all.ipk');
    const f = controlFields(entries[1]!);
    const ipk = readFileSync(join(feeds, 'x86_64', ipkName));
    expect(f.get('Filename')).toBe(ipkName);
    expect(Number(f.get('Size'))).toBe(ipk.length);
    expect(f.get('SHA256sum')).toBe(createHash('sha256').update(ipk).digest('hex'));
    const keys = [...f.keys()];
    expect(keys.slice(-4)).toEqual(['Filename', 'Size', 'SHA256sum', 'Description']);
    // every field of the package's own control file, unchanged
    const control = controlFields(
      member(untgz(member(untgz(ipk), './control.tar.gz').data), './control').data.toString(),
    );
    for (const [k, v] of control) expect(f.get(k)).toBe(v);
  });

  it('signs Packages in usign format with a key whose public half verifies it', () => {
    const [fpHex] = readdirSync(join(feeds, 'keys'));
    const pub = usignFile(join(feeds, 'keys', fpHex!));
    const sig = usignFile(join(feeds, 'x86_64/Packages.sig'));
    // pubkey: "Ed" fingerprint[8] key[32]; signature: "Ed" fingerprint[8] sig[64]
    expect(pub.bytes.length).toBe(42);
    expect(sig.bytes.length).toBe(74);
    expect(pub.bytes.subarray(0, 2).toString()).toBe('Ed');
    expect(sig.bytes.subarray(0, 2).toString()).toBe('Ed');
    expect(pub.bytes.subarray(2, 10).toString('hex')).toBe(fpHex);
    expect(sig.bytes.subarray(2, 10).toString('hex')).toBe(fpHex);
    expect(sig.comment).toBe(`signed by key ${fpHex}`);
    const packages = readFileSync(join(feeds, 'x86_64/Packages'));
    const key = ed25519Public(pub.bytes.subarray(10));
    expect(verify(null, packages, key, sig.bytes.subarray(10))).toBe(true);
    const tampered = Buffer.from(packages);
    tampered[tampered.length - 3] ^= 1;
    expect(verify(null, tampered, key, sig.bytes.subarray(10))).toBe(false);
  });

  it('keeps the signing key private, and reuses it on the next run', () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const before = readFileSync(join(feeds, 'x86_64/Packages.sig'));
    const again = feed();
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('created signing key');
    // Ed25519 is deterministic: same key, same index, same signature
    expect(readFileSync(join(feeds, 'x86_64/Packages.sig'))).toEqual(before);
  });

  it('refuses a signing key inside the repository', () => {
    const inside = join(root, 'feed-test.key');
    const r = feed({ WANBOND_FEED_KEY: inside });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('must live outside the repository');
    expect(existsSync(inside)).toBe(false);
  });

  it('writes the customfeeds.conf and key install lines', () => {
    const [fpHex] = readdirSync(join(feeds, 'keys'));
    const readme = readFileSync(join(feeds, 'README.md'), 'utf8');
    expect(readme).toContain(`wget -O /etc/opkg/keys/${fpHex} https://feed.test/wb/keys/${fpHex}`);
    expect(readme).toContain("echo 'src/gz wanbond https://feed.test/wb/x86_64' >> /etc/opkg/customfeeds.conf");
  });
});
