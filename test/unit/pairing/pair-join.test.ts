import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/wanbond/cli/main.js';
import { loadRouterConfig, parseRouterConfig } from '../../../src/wanbond/config/router.js';
import { parseServerConfig } from '../../../src/wanbond/config/server.js';
import { publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { joinLine } from '../../../src/wanbond/pairing/join.js';
import { parsePairingLine } from '../../../src/wanbond/pairing/line.js';
import { findDaemons } from '../../../src/wanbond/pairing/reload.js';

// RFC 7748 §6.1 private keys: fixed, so outputs can be compared verbatim.
const SERVER_PRIV = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString(
  'base64',
);
const ROUTER_PRIV = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex').toString(
  'base64',
);
const SERVER_PUB = publicKeyOf(SERVER_PRIV);
const ROUTER_PUB = publicKeyOf(ROUTER_PRIV);
const OFFICE_PUB = 'XATzB1IadlBhRv26/r0X8zxDVwhgzo8GCY8z3Bfsim4=';

const SERVER_CONF = `# written by hand: libuci drops comments on commit, and so does pair
config server 'main'
	option listen '203.0.113.5'
	option port '5555'
	option private_key '${SERVER_PRIV}'
	option address '10.255.0.1/24'
	option address6 'fd00:255::1/64'

config client 'office'
	option public_key '${OFFICE_PUB}'
	option address '10.255.0.2'
	option address6 'fd00:255::2'
	list route '192.168.2.0/24'
`;

let dir: string;
let serverFile: string;
let routerFile: string;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), readStdin: async () => '' },
  };
}

async function run(args: string[]) {
  const c = capture();
  const code = await main(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

function lineOf(out: string): string {
  return /wanbond join '([^']+)'/.exec(out)![1]!;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wbpair-'));
  serverFile = join(dir, 'server');
  routerFile = join(dir, 'wanbond');
  writeFileSync(serverFile, SERVER_CONF, { mode: 0o600 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('wanbond pair', () => {
  it('adds a client with the router key, the next free addresses and its LAN, and prints line and QR', async () => {
    const r = await run([
      'pair',
      'home',
      '--lan',
      '192.168.1.0/24',
      '--pubkey',
      ROUTER_PUB,
      '-c',
      serverFile,
      '--no-reload',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const line = lineOf(r.out);
    expect(r.out.split('\n').slice(0, 5).join('\n')).toBe(
      `Added client 'home' in ${serverFile}: tunnel 10.255.0.3/24, fd00:255::3/64, routes 192.168.1.0/24

On the router, run:

  wanbond join '${line}'`,
    );
    expect(r.out).toContain('█▀'); // the QR code
    expect(r.out).toMatch(/The line holds no secret: the router keeps its own private key.\n$/);
    expect(parsePairingLine(line)).toEqual({
      name: 'home',
      hosts: ['203.0.113.5'],
      port: 5555,
      serverKey: SERVER_PUB,
      address: '10.255.0.3/24',
      address6: 'fd00:255::3/64',
      routes: ['192.168.1.0/24'],
      clientKey: ROUTER_PUB,
    });
    // Written the way `uci commit` writes: comments gone, the new section appended, the mode kept.
    expect(readFileSync(serverFile, 'utf8')).toBe(
      `
config server 'main'
	option listen '203.0.113.5'
	option port '5555'
	option private_key '${SERVER_PRIV}'
	option address '10.255.0.1/24'
	option address6 'fd00:255::1/64'

config client 'office'
	option public_key '${OFFICE_PUB}'
	option address '10.255.0.2'
	option address6 'fd00:255::2'
	list route '192.168.2.0/24'

config client 'home'
	option public_key '${ROUTER_PUB}'
	option address '10.255.0.3'
	option address6 'fd00:255::3'
	list route '192.168.1.0/24'

`,
    );
    expect(statSync(serverFile).mode & 0o777).toBe(0o600);
    const cfg = parseServerConfig(readFileSync(serverFile), serverFile).config;
    expect(cfg.clients.map((c) => [c.name, c.address])).toEqual([
      ['office', '10.255.0.2'],
      ['home', '10.255.0.3'],
    ]);
  });

  it('generates a key pair when no --pubkey is given and puts the private key only in the line', async () => {
    const r = await run([
      'pair',
      'home',
      '-c',
      serverFile,
      '--no-reload',
      '--no-qr',
      '--endpoint',
      'vps.example.net:443',
      '--endpoint',
      '[2001:db8::5]:443',
    ]);
    expect(r.code).toBe(0);
    const p = parsePairingLine(lineOf(r.out));
    expect(p.hosts).toEqual(['vps.example.net', '2001:db8::5']);
    expect(p.port).toBe(443);
    expect(p.privateKey).toBeDefined();
    expect(p.clientKey).toBeUndefined();
    const text = readFileSync(serverFile, 'utf8');
    expect(text).toContain(`option public_key '${publicKeyOf(p.privateKey!)}'`);
    expect(text).not.toContain(p.privateKey!);
    expect(r.out).not.toContain('█');
    expect(r.out).toMatch(/This line holds the router's private key: send it over a private channel/);
  });

  it('refuses a duplicate name unless --force, which keeps the address and swaps the key', async () => {
    const first = await run(['pair', 'home', '--pubkey', ROUTER_PUB, '-c', serverFile, '--no-reload', '--no-qr']);
    expect(first.code).toBe(0);
    const before = readFileSync(serverFile, 'utf8');
    const dup = await run(['pair', 'home', '-c', serverFile, '--no-reload']);
    expect(dup).toEqual({
      code: 1,
      out: '',
      err: "wanbond pair: a client named 'home' exists (address 10.255.0.3): use --force to replace it (its old key stops working)\n",
    });
    expect(readFileSync(serverFile, 'utf8')).toBe(before);
    const forced = await run([
      'pair',
      'home',
      '--force',
      '--lan',
      '10.1.0.0/16',
      '-c',
      serverFile,
      '--no-reload',
      '--no-qr',
    ]);
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(
      /^Replaced client 'home' in .*: tunnel 10.255.0.3\/24, fd00:255::3\/64, routes 10.1.0.0\/16\n/,
    );
    const cfg = parseServerConfig(readFileSync(serverFile), serverFile).config;
    expect(cfg.clients).toHaveLength(2);
    expect(cfg.clients[1]).toMatchObject({ name: 'home', address: '10.255.0.3', routes: ['10.1.0.0/16'] });
    expect(cfg.clients[1]!.publicKey).not.toBe(ROUTER_PUB);
  });

  it('explains every refusal and leaves the file alone', async () => {
    const cases: [string[], string][] = [
      [['pair'], 'wanbond pair: missing NAME'],
      [['pair', 'my-router'], "client name 'my-router' must be 1-64 letters"],
      [['pair', 'main'], "'main' is already the name of a 'config server' section"],
      [['pair', 'x', '--lan', '192.168.1.0'], "--lan '192.168.1.0': expected a subnet"],
      [['pair', 'x', '--lan', '192.168.2.128/25'], 'overlaps'],
      [
        ['pair', 'x', '--lan', '192.168.5.1/24'],
        "--lan '192.168.5.1/24' has host bits set: did you mean 192.168.5.0/24?",
      ],
      [['pair', 'x', '--pubkey', 'abc'], "--pubkey: expected the router's base64 public key"],
      [['pair', 'x', '--pubkey', OFFICE_PUB], "client 'office' already uses this public key"],
      [['pair', 'x', '--endpoint', 'a:1', '--endpoint', 'b:2'], 'same port'],
      [['pair', 'x', '--endpoint', 'a b'], "--endpoint 'a b': expected HOST"],
      [['pair', 'x', '--frob'], "unknown option '--frob'"],
    ];
    for (const [args, msg] of cases) {
      const r = await run([...args, '-c', serverFile, '--no-reload']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toContain(msg);
    }
    expect(readFileSync(serverFile, 'utf8')).toBe(SERVER_CONF);
    const missing = await run(['pair', 'x', '-c', join(dir, 'nope')]);
    expect(missing.err).toMatch(/cannot read the server config .*nope/);
  });

  it('requires --endpoint when the server listens on a wildcard or private address', async () => {
    writeFileSync(serverFile, SERVER_CONF.replace("'203.0.113.5'", "'::'"));
    const r = await run(['pair', 'x', '-c', serverFile, '--no-reload']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "wanbond pair: the server listens on '::', which routers cannot reach as such: pass --endpoint with its public name or address\n",
    );
  });

  it('says so when the pool is full', async () => {
    writeFileSync(serverFile, SERVER_CONF.replace("'10.255.0.1/24'", "'10.255.0.1/30'"));
    const r = await run(['pair', 'x', '-c', serverFile, '--no-reload']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no free tunnel address left in 10.255.0.1/30');
  });
});

describe('wanbond join', () => {
  const ROUTER_CONF = `config wanbond 'main'
	option enabled '0'
	option mode 'bond'

config link 'wan1'
	option interface 'wan1'
`;

  async function pairLine(args: string[]): Promise<string> {
    const r = await run(['pair', ...args, '-c', serverFile, '--no-reload', '--no-qr']);
    expect(r.err).toBe('');
    return lineOf(r.out);
  }

  it('fills wanbond.main from a line with a private key and prints old -> new without the key', async () => {
    writeFileSync(routerFile, ROUTER_CONF);
    const line = await pairLine(['home', '--lan', '192.168.1.0/24']);
    const key = parsePairingLine(line).privateKey!;
    const r = await run(['join', line, '-c', routerFile, '--no-reload']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`Joined server 203.0.113.5:5555 as 'home' (tunnel 10.255.0.3/24).
Changed in ${routerFile}:
  wanbond.main.private_key: set (not shown)
  wanbond.main.enabled: '0' -> '1'
  wanbond.main.server: (unset) -> '203.0.113.5'
  wanbond.main.port: (unset) -> '5555'
  wanbond.main.server_key: (unset) -> '${SERVER_PUB}'
  wanbond.main.address: (unset) -> '10.255.0.3/24'
  wanbond.main.address6: (unset) -> 'fd00:255::3/64'
The server routes 192.168.1.0/24 to this router.
`);
    expect(r.out).not.toContain(key);
    const cfg = parseRouterConfig(readFileSync(routerFile), routerFile).config;
    expect(cfg).toMatchObject({
      enabled: true,
      server: '203.0.113.5',
      port: 5555,
      serverKey: SERVER_PUB,
      privateKey: key,
      address: '10.255.0.3/24',
      address6: 'fd00:255::3/64',
    });
    expect(cfg.links.map((l) => l.name)).toEqual(['wan1']);
    // Joining the same line again changes nothing.
    const again = await run(['join', line, '-c', routerFile, '--no-reload']);
    expect(again.out).toContain('already had these settings: nothing changed');
  });

  it('keeps the router key when the server registered it, and checks it matches', async () => {
    writeFileSync(routerFile, `${ROUTER_CONF.replace("option mode 'bond'", `option private_key '${ROUTER_PRIV}'`)}`);
    const line = await pairLine(['home', '--pubkey', ROUTER_PUB]);
    const r = await run(['join', line, '-c', routerFile, '--no-reload']);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('private_key');
    expect(r.out).toContain(`This router's public key ${ROUTER_PUB} matches the server's record.`);
    expect(parseRouterConfig(readFileSync(routerFile), routerFile).config.privateKey).toBe(ROUTER_PRIV);
  });

  it('creates the config and a key pair on a router that has neither, and prints the public key for the server', async () => {
    const line = await pairLine(['home', '--pubkey', OFFICE_PUB.replace('X', 'Y')]);
    const r = await run(['join', line, '-c', routerFile, '--no-reload']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const cfg = parseRouterConfig(readFileSync(routerFile), routerFile).config;
    const pub = publicKeyOf(cfg.privateKey);
    expect(r.out).toContain("wanbond.main.private_key: set (not shown)\n  wanbond.main.enabled: (unset) -> '1'");
    expect(r.out).toContain(
      `The server registered a different public key for 'home' than this router's. On the server, run:\n\n  wanbond pair home --force --pubkey ${pub}\n`,
    );
    expect(statSync(routerFile).mode & 0o777).toBe(0o600);
  });

  it("uses the router's key_file, and writes the line's key into it when the line carries one", async () => {
    const keyFile = join(dir, 'router.key');
    writeFileSync(keyFile, `${ROUTER_PRIV}\n`, { mode: 0o600 });
    writeFileSync(routerFile, ROUTER_CONF.replace("option mode 'bond'", `option key_file '${keyFile}'`));
    const registered = await run([
      'join',
      await pairLine(['home', '--pubkey', ROUTER_PUB]),
      '-c',
      routerFile,
      '--no-reload',
    ]);
    expect(registered.code).toBe(0);
    expect(registered.out).not.toContain('key_file');
    expect(registered.out).not.toContain('private key');
    expect(registered.out).toContain(`This router's public key ${ROUTER_PUB} matches the server's record.`);
    const line = await pairLine(['home', '--force']);
    const lineKey = parsePairingLine(line).privateKey!;
    const generated = await run(['join', line, '-c', routerFile, '--no-reload']);
    expect(generated.code).toBe(0);
    expect(generated.out).toBe(
      `Joined server 203.0.113.5:5555 as 'home' (tunnel 10.255.0.3/24).\nChanged in ${routerFile}:\n  private key in ${keyFile}: replaced (not shown)\n`,
    );
    expect(generated.out).not.toContain(lineKey);
    const text = readFileSync(routerFile, 'utf8');
    expect(text).toContain(`option key_file '${keyFile}'`);
    expect(text).not.toContain('private_key');
    expect(readFileSync(keyFile, 'utf8')).toBe(`${lineKey}\n`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect((await loadRouterConfig(routerFile)).config.privateKey).toBe(lineKey);
  });

  it('refuses a line for another server unless --force', async () => {
    writeFileSync(
      routerFile,
      `${ROUTER_CONF}`.replace(
        "option mode 'bond'",
        `option server_key '${OFFICE_PUB}'\n\toption server 'old.example.net'`,
      ),
    );
    const line = await pairLine(['home']);
    const before = readFileSync(routerFile, 'utf8');
    const r = await run(['join', line, '-c', routerFile, '--no-reload']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `wanbond join: this router is paired with another server (old.example.net, key ${OFFICE_PUB}); the line is for 203.0.113.5 (key ${SERVER_PUB}). Use --force to switch servers\n`,
    );
    expect(readFileSync(routerFile, 'utf8')).toBe(before);
    const forced = await run(['join', line, '-c', routerFile, '--no-reload', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).toContain(`wanbond.main.server: 'old.example.net' -> '203.0.113.5'`);
    expect(forced.out).toContain(`wanbond.main.server_key: '${OFFICE_PUB}' -> '${SERVER_PUB}'`);
  });

  it('rejects a damaged line before touching the config', async () => {
    writeFileSync(routerFile, ROUTER_CONF);
    const line = await pairLine(['home']);
    const r = await run(['join', line.slice(0, -10), '-c', routerFile]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'wanbond join: bad pairing line: the pairing line has no checksum field c: it was probably cut short\n',
    });
    expect(readFileSync(routerFile, 'utf8')).toBe(ROUTER_CONF);
    expect((await run(['join', '-c', routerFile])).err).toMatch(/missing LINE/);
    expect((await run(['join', line, 'extra', '-c', routerFile])).err).toMatch(/forget to quote/);
  });

  it('joinLine lets the ubus object pass its own reload and reports it', async () => {
    writeFileSync(routerFile, ROUTER_CONF);
    const line = await pairLine(['home']);
    let reloads = 0;
    const r = await joinLine(routerFile, line, {
      reload: async () => {
        reloads++;
        return { how: 'direct', ok: true };
      },
    });
    expect(reloads).toBe(1);
    expect(r.reload).toEqual({ how: 'direct', ok: true });
    expect(r.keyFromLine).toBe(true);
    expect(r.changes.find((c) => c.option === 'private_key')).toEqual({
      option: 'private_key',
      new: '(not shown)',
      secret: true,
    });
    expect(JSON.stringify(r)).not.toContain(parsePairingLine(line).privateKey!);
    // No change, no reload.
    await joinLine(routerFile, line, {
      reload: async () => {
        reloads++;
        return { how: 'skipped' };
      },
    });
    expect(reloads).toBe(1);
  });
});

describe('finding the running daemon', () => {
  it('matches `wanbond ROLE -c FILE` command lines in a proc directory by resolved path', () => {
    const proc = join(dir, 'proc');
    const fake = (pid: number, argv: string[], cwd: string) => {
      const d = join(proc, String(pid));
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'cmdline'), `${argv.join('\0')}\0`);
      symlinkSync(cwd, join(d, 'cwd'));
    };
    fake(100, ['/usr/bin/node', '/usr/lib/wanbond/wanbond.js', 'server', '-c', serverFile], '/');
    fake(101, ['node', 'dist/wanbond.js', 'server', '--config', 'server'], dir);
    fake(102, ['node', 'dist/wanbond.js', 'router', '-c', serverFile], '/');
    fake(103, ['vim', serverFile], '/');
    fake(104, ['/usr/bin/wanbond', 'server', `--config=${join(dir, 'other')}`], '/');
    expect(findDaemons('server', serverFile, proc).sort()).toEqual([100, 101]);
    expect(findDaemons('router', serverFile, proc)).toEqual([102]);
  });
});
