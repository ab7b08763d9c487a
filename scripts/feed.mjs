// `make feed`: a signed opkg feed from the ipks in dist/:
//   feeds/<arch>/{*.ipk, Packages, Packages.gz, Packages.sig}   (arch `all` packages go into every arch)
//   feeds/keys/<fingerprint>                                      usign public key for /etc/opkg/keys/
//   feeds/README.md                                               what to put in /etc/opkg/customfeeds.conf
//
//   node scripts/feed.mjs [--dist DIR] [--out DIR] [--key FILE] [--url URL]
//
// The signing key (usign secret key format) is $WANBOND_FEED_KEY, else ~/.config/wanbond/feed.key; it is created
// (mode 0600) when absent and must live outside the repository.

import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { packagesIndex } from './pkg/feed-index.mjs';
import { parseControl, readIpk } from './pkg/ipk.mjs';
import {
  fingerprintHex,
  generateKey,
  parseSecretKeyFile,
  publicKeyFile,
  secretKeyFile,
  signatureFile,
} from './pkg/usign.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`feed: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: join(root, 'dist') },
    out: { type: 'string', default: join(root, 'feeds') },
    key: { type: 'string', default: process.env.WANBOND_FEED_KEY || join(homedir(), '.config/wanbond/feed.key') },
    url: { type: 'string', default: process.env.WANBOND_FEED_URL || 'https://example.org/wanbond' },
  },
});

function loadOrCreateKey(path) {
  const abs = resolve(path);
  const rel = relative(root, abs);
  if (!rel.startsWith('..') && rel !== abs) fail(`the signing key must live outside the repository, not at ${abs}`);
  if (existsSync(abs)) {
    try {
      return parseSecretKeyFile(readFileSync(abs, 'utf8'));
    } catch (err) {
      fail(`${abs}: ${err.message}`);
    }
  }
  const key = generateKey();
  mkdirSync(dirname(abs), { recursive: true, mode: 0o700 });
  writeFileSync(abs, secretKeyFile(key), { mode: 0o600 });
  chmodSync(abs, 0o600);
  process.stdout.write(`feed: created signing key ${abs} (fingerprint ${fingerprintHex(key.fingerprint)})\n`);
  return key;
}

if (!existsSync(values.dist)) fail(`${values.dist} does not exist: run 'make ipk' first`);
const pkgs = readdirSync(values.dist)
  .filter((f) => f.endsWith('.ipk'))
  .sort()
  .map((fileName) => {
    const ipk = readFileSync(join(values.dist, fileName));
    const { control } = readIpk(ipk);
    const arch = parseControl(control).get('Architecture');
    if (!arch) fail(`${fileName}: control has no Architecture`);
    return { fileName, ipk, control, arch };
  });
if (pkgs.length === 0) fail(`no .ipk in ${values.dist}: run 'make ipk' first`);

const key = loadOrCreateKey(values.key);
const fp = fingerprintHex(key.fingerprint);
const archs = [...new Set(pkgs.map((p) => p.arch).filter((a) => a !== 'all'))];
if (archs.length === 0) archs.push('all');

mkdirSync(values.out, { recursive: true });
for (const arch of archs) {
  const dir = join(values.out, arch);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mine = pkgs.filter((p) => p.arch === arch || p.arch === 'all');
  for (const p of mine) writeFileSync(join(dir, p.fileName), p.ipk);
  const index = Buffer.from(packagesIndex(mine));
  writeFileSync(join(dir, 'Packages'), index);
  writeFileSync(join(dir, 'Packages.gz'), gzipSync(index, { level: 9 }));
  // opkg checks the signature against the uncompressed Packages it unpacked from Packages.gz.
  writeFileSync(join(dir, 'Packages.sig'), signatureFile(key, index));
  process.stdout.write(`${dir}: ${mine.map((p) => p.fileName).join(', ')}\n`);
}

mkdirSync(join(values.out, 'keys'), { recursive: true });
writeFileSync(join(values.out, 'keys', fp), publicKeyFile(key, `wanbond feed key ${fp}`));

const base = values.url.replace(/\/$/, '');
const readme = `# wanbond opkg feed (OpenWrt 23.05 and 24.10)

On the router, once:

\`\`\`sh
# the feed's signing key, named by its fingerprint as opkg expects
wget -O /etc/opkg/keys/${fp} ${base}/keys/${fp}
# the feed itself, for your router's package architecture (opkg print-architecture)
${archs.map((a) => `echo 'src/gz wanbond ${base}/${a}' >> /etc/opkg/customfeeds.conf`).join('\n')}
opkg update
opkg install wanbond
\`\`\`

The key file (usign public key):

\`\`\`
${publicKeyFile(key, `wanbond feed key ${fp}`).trim()}
\`\`\`
`;
writeFileSync(join(values.out, 'README.md'), readme);
process.stdout.write(`${join(values.out, 'keys', fp)}\n${join(values.out, 'README.md')}\n`);
