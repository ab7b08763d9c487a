import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { isRoot, sh } from '../../../src/wanbond/lab/netns.js';
import { controlSocketOf, TunnelFixture } from '../tunnel/fixture.js';
import { ROOT } from '../tunnel/process.js';

/** Every spelling of a private key that could end up in a log: base64, base64url, hex, and a long prefix. */
function spellings(key: string): string[] {
  const raw = Buffer.from(decodeKey(key));
  return [key, raw.toString('base64url'), raw.toString('hex'), key.slice(0, 16)];
}

// The real daemons write what they log to stdout/stderr (procd/journald keep it): no private key may appear there.
describe.skipIf(!isRoot())('secrets stay out of logs, and loose key files are reported (needs root)', () => {
  let f: TunnelFixture;

  beforeAll(async () => {
    f = await TunnelFixture.start({ links: 1 });
  }, 120_000);

  afterAll(async () => {
    await f?.dispose();
  });

  it('warns about a private key in a config file others can read, naming file:line and mode', async () => {
    // writeFileSync leaves the fixture's config files 0644: exactly the mistake to report.
    const router = await f.router.waitFor(/holds a private key/);
    expect(router).toMatch(new RegExp(`private_key: '${f.routerFile}' .*mode 0644.* at ${f.routerFile}:\\d+`));
    await f.server.waitFor(/holds a private key .*mode 0644/);
  });

  it('never logs a private key, not even when a reload rejects a mangled one', async () => {
    const good = readFileSync(f.routerFile, 'utf8');
    // One character off: still base64 of the right length, but not the key the router runs with.
    const mangled = `${f.keys.router.slice(0, 20)}${f.keys.router[20] === 'A' ? 'B' : 'A'}${f.keys.router.slice(21)}`;
    writeFileSync(f.routerFile, good.replace(f.keys.router, `${mangled}==`));
    f.router.signal('SIGHUP');
    const line = await f.router.waitFor(/reload rejected/);
    expect(line).toMatch(new RegExp(`${f.routerFile}:\\d+`));
    writeFileSync(f.routerFile, good);
    const logs = `${f.router.output()}\n${f.server.output()}`;
    for (const key of [f.keys.router, f.keys.server, mangled]) {
      for (const s of spellings(key.length === 44 ? key : f.keys.router)) expect(logs).not.toContain(s);
    }
    // The public keys may appear (they identify peers); they must not be confused with the private ones.
    expect(publicKeyOf(f.keys.router)).not.toBe(f.keys.router);
  });

  it('answers `wanbond status` on both daemons without any private key', async () => {
    for (const role of ['router', 'server'] as const) {
      const reply = await sh(process.execPath, [
        f.bundle,
        'status',
        '--json',
        '--socket',
        controlSocketOf(f.dir, role),
      ]);
      const status = JSON.parse(reply) as Record<string, unknown>;
      expect(Object.keys(status).length).toBeGreaterThan(0);
      for (const key of [f.keys.router, f.keys.server]) for (const s of spellings(key)) expect(reply).not.toContain(s);
      expect(reply).not.toMatch(/private_?key|key_?file/i);
    }
  });

  it('gives the LuCI ACL no file or exec access that could read a key file', () => {
    const dir = join(ROOT, 'luci-app-wanbond', 'root', 'usr', 'share', 'rpcd', 'acl.d');
    for (const name of readdirSync(dir)) {
      const acl = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<
        string,
        { read?: Record<string, unknown>; write?: Record<string, unknown> }
      >;
      for (const grant of Object.values(acl)) {
        for (const side of [grant.read ?? {}, grant.write ?? {}]) {
          const files = Object.keys((side.file as Record<string, unknown>) ?? {});
          expect(files.filter((p) => /wanbond|\.key|\*/.test(p))).toEqual([]);
          expect(Object.keys(side)).not.toContain('cgi-io');
        }
      }
    }
  });
});
