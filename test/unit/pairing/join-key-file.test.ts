import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRouterConfig } from '../../../src/wanbond/config/router.js';
import { publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import {
  DEFAULT_KEY_FILE,
  defaultKeyFile,
  describeChange,
  JoinError,
  joinLine,
} from '../../../src/wanbond/pairing/join.js';
import { formatPairingLine, type PairingLine } from '../../../src/wanbond/pairing/line.js';

// On OpenWrt the router's private key must not sit in /etc/config/wanbond: LuCI's ACL grants read on uci 'wanbond'
// and rpcd does not filter by option. joinLine's `keyFile` option stands in for /etc/wanbond/router.key here.

// RFC 7748 §6.1 private keys.
const SERVER_PRIV = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString(
  'base64',
);
const ROUTER_PRIV = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex').toString(
  'base64',
);
const LINE_PRIV = Buffer.alloc(32, 0x42).toString('base64');
const SERVER_PUB = publicKeyOf(SERVER_PRIV);

const BASE: PairingLine = {
  name: 'home',
  hosts: ['203.0.113.5'],
  port: 5555,
  serverKey: SERVER_PUB,
  address: '10.255.0.3/24',
  routes: [],
};
const withKey = formatPairingLine({ ...BASE, privateKey: LINE_PRIV });
const withoutKey = formatPairingLine(BASE);

const CONF = `config wanbond 'main'
	option enabled '0'

config link 'wan'
	option interface 'wan'
`;

let dir: string;
let conf: string;
let keyDir: string;
let keyFile: string;

const text = () => readFileSync(conf, 'utf8');
const mode = (p: string) => statSync(p).mode & 0o777;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wbjoinkey-'));
  conf = join(dir, 'wanbond');
  keyDir = join(dir, 'etc-wanbond');
  keyFile = join(keyDir, 'router.key');
  writeFileSync(conf, CONF, { mode: 0o600 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('joinLine with a key file', () => {
  it("writes the line's key to a new 0600 file in a 0700 directory, names it in key_file, drops the inline key", async () => {
    writeFileSync(conf, CONF.replace("option enabled '0'", `option private_key '${ROUTER_PRIV}'`), { mode: 0o600 });
    const r = await joinLine(conf, withKey, { keyFile, reload: false });
    expect(readFileSync(keyFile, 'utf8')).toBe(`${LINE_PRIV}\n`);
    expect(mode(keyFile)).toBe(0o600);
    expect(mode(keyDir)).toBe(0o700);
    expect(readdirSync(keyDir)).toEqual(['router.key']); // no temp file left behind
    expect(text()).toContain(`option key_file '${keyFile}'`);
    expect(text()).not.toContain('private_key');
    expect(text()).not.toContain(LINE_PRIV);
    expect(r.changes.slice(0, 3)).toEqual([
      { option: 'private_key', file: keyFile, secret: true, new: '(not shown)' },
      { option: 'key_file', secret: false, new: keyFile },
      { option: 'private_key', secret: true, old: '(not shown)' },
    ]);
    expect(r.changes.slice(0, 3).map((c) => describeChange('wanbond', 'main', c))).toEqual([
      `private key in ${keyFile}: set (not shown)`,
      `wanbond.main.key_file: (unset) -> '${keyFile}'`,
      'wanbond.main.private_key: removed (not shown)',
    ]);
    expect(r.publicKey).toBe(publicKeyOf(LINE_PRIV));
    expect(JSON.stringify(r)).not.toContain(LINE_PRIV);
    const loaded = await loadRouterConfig(conf);
    expect(loaded.config.privateKey).toBe(LINE_PRIV);
    expect(loaded.warnings.filter((w) => /readable|mode/.test(w))).toEqual([]);
    // The same line again: nothing to change, the file is not rewritten.
    const before = statSync(keyFile).ino;
    expect((await joinLine(conf, withKey, { keyFile, reload: false })).changes).toEqual([]);
    expect(statSync(keyFile).ino).toBe(before);
  });

  it('generates a key into the key file for a router that has none', async () => {
    const r = await joinLine(conf, withoutKey, { keyFile, reload: false, generateKey: () => ROUTER_PRIV });
    expect(r.generatedKey).toBe(true);
    expect(r.publicKey).toBe(publicKeyOf(ROUTER_PRIV));
    expect(readFileSync(keyFile, 'utf8')).toBe(`${ROUTER_PRIV}\n`);
    expect(mode(keyFile)).toBe(0o600);
    expect(text()).toContain(`option key_file '${keyFile}'`);
    expect(text()).not.toContain('private_key');
    expect((await loadRouterConfig(conf)).config.privateKey).toBe(ROUTER_PRIV);
  });

  it('names a valid key file that is already there instead of replacing it', async () => {
    mkdirSync(keyDir, { mode: 0o700 });
    writeFileSync(keyFile, `${ROUTER_PRIV}\n`, { mode: 0o600 });
    const ino = statSync(keyFile).ino;
    const r = await joinLine(conf, withoutKey, {
      keyFile,
      reload: false,
      generateKey: () => {
        throw new Error('must not generate');
      },
    });
    expect(r.generatedKey).toBe(false);
    expect(r.publicKey).toBe(publicKeyOf(ROUTER_PRIV));
    expect(statSync(keyFile).ino).toBe(ino);
    expect(r.changes.filter((c) => c.secret)).toEqual([]);
    expect(text()).toContain(`option key_file '${keyFile}'`);
  });

  it('refuses a file at the key path that holds no key, and writes nothing', async () => {
    mkdirSync(keyDir);
    writeFileSync(keyFile, 'not a key\n', { mode: 0o600 });
    await expect(joinLine(conf, withoutKey, { keyFile, reload: false })).rejects.toThrow(
      new JoinError(`${keyFile} exists but holds no valid private key: remove it and join again`),
    );
    expect(readFileSync(keyFile, 'utf8')).toBe('not a key\n');
    expect(text()).toBe(CONF);
  });

  it("replaces the configured key_file's key with the line's, 0600 even if the old file was loose", async () => {
    const own = join(dir, 'my.key');
    writeFileSync(own, `${ROUTER_PRIV}\n`, { mode: 0o644 });
    writeFileSync(conf, CONF.replace("option enabled '0'", `option key_file '${own}'`), { mode: 0o600 });
    // The configured key_file wins over the keyFile option.
    const r = await joinLine(conf, withKey, { keyFile, reload: false });
    expect(r.changes[0]).toEqual({
      option: 'private_key',
      file: own,
      secret: true,
      old: '(not shown)',
      new: '(not shown)',
    });
    expect(describeChange('wanbond', 'main', r.changes[0]!)).toBe(`private key in ${own}: replaced (not shown)`);
    expect(readFileSync(own, 'utf8')).toBe(`${LINE_PRIV}\n`);
    expect(mode(own)).toBe(0o600);
    expect(existsSync(keyFile)).toBe(false);
    expect(text()).toContain(`option key_file '${own}'`);
  });

  it('writes through a symlinked key file, keeping the link', async () => {
    const real = join(dir, 'real.key');
    writeFileSync(real, `${ROUTER_PRIV}\n`, { mode: 0o600 });
    symlinkSync(real, join(dir, 'link.key'));
    writeFileSync(conf, CONF.replace("option enabled '0'", `option key_file '${join(dir, 'link.key')}'`));
    await joinLine(conf, withKey, { reload: false });
    expect(lstatSync(join(dir, 'link.key')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(`${LINE_PRIV}\n`);
  });

  it('writes no key file when the joined config would not load', async () => {
    writeFileSync(conf, CONF.replace("option enabled '0'", "option mtu 'big'"), { mode: 0o600 });
    await expect(joinLine(conf, withKey, { keyFile, reload: false })).rejects.toThrow(/would not load/);
    expect(existsSync(keyDir)).toBe(false);
  });

  it('says which key file it cannot write, without the key', async () => {
    writeFileSync(join(dir, 'file'), '');
    const bad = join(dir, 'file', 'router.key'); // its directory is a regular file
    const err = await joinLine(conf, withKey, { keyFile: bad, reload: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JoinError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot write the router's key to ${bad}: `));
    expect((err as Error).message).not.toContain(LINE_PRIV);
    expect(text()).toBe(CONF);
  });
});

describe('joinLine without a key file', () => {
  it('keeps writing private_key inline for configs other than /etc/config/wanbond', async () => {
    const r = await joinLine(conf, withKey, { reload: false });
    expect(text()).toContain(`option private_key '${LINE_PRIV}'`);
    expect(text()).not.toContain('key_file');
    expect(r.changes[0]).toEqual({ option: 'private_key', secret: true, new: '(not shown)' });
    expect(existsSync(keyDir)).toBe(false);
  });

  it('uses /etc/wanbond/router.key for OpenWrt config only', () => {
    expect(DEFAULT_KEY_FILE).toBe('/etc/wanbond/router.key');
    expect(defaultKeyFile('/etc/config/wanbond')).toBe('/etc/wanbond/router.key');
    expect(defaultKeyFile('/etc/config/../config/wanbond')).toBe('/etc/wanbond/router.key');
    expect(defaultKeyFile('/etc/config/wanbond2')).toBeUndefined();
    expect(defaultKeyFile(conf)).toBeUndefined();
  });
});
