/**
 * The MacVLAN helper of a daemon whose config is not <confdir>/wanbond (`wanbond router -c /etc/wanbond.conf`):
 * the link it adds, lists and removes is in the daemon's own file, and <confdir>/wanbond is left alone.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openwrtMethods } from '../../../src/wanbond/control/openwrt-methods.js';
import type { ControlMethod } from '../../../src/wanbond/control/types.js';

const FIXTURES = join(import.meta.dirname, '..', 'openwrt', 'fixtures');

describe('MacVLAN helper with the daemon config outside the config dir', () => {
  let root: string;
  let conf: string;
  let daemonFile: string;
  let methods: Record<string, ControlMethod>;
  let reloads = 0;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'wbmvconf-'));
    conf = join(root, 'config');
    cpSync(FIXTURES, conf, { recursive: true });
    rmSync(join(conf, 'wanbond'));
    daemonFile = join(root, 'wanbond.conf');
    writeFileSync(daemonFile, "config wanbond 'main'\n\toption server '192.0.2.1'\n", { mode: 0o600 });
    methods = openwrtMethods({
      confPath: daemonFile,
      confdir: conf,
      uci: { savedir: join(root, 'save'), conf2dir: null },
      reload: async () => {
        reloads++;
        return { ok: true };
      },
      sysfs: join(root, 'sys'),
    });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('adds the link to the daemon file, lists it from there, and removes it from there', async () => {
    const add = await methods.macvlan_add!.handler({ parent: 'eth1', name: 'wan5', add_link: true });
    expect(add).toMatchObject({ device: 'vwan5', interface: 'wan5', link: 'wan5', warnings: [] });
    expect(reloads).toBe(1);
    expect(readFileSync(daemonFile, 'utf8')).toContain("config link 'wan5'\n\toption interface 'wan5'");
    expect(existsSync(join(conf, 'wanbond'))).toBe(false);

    const list = (await methods.macvlan_list!.handler({})) as { macvlans: Array<{ name: string; links: string[] }> };
    expect(list.macvlans.find((m) => m.name === 'vwan5')?.links).toEqual(['wan5']);

    await methods.macvlan_del!.handler({ name: 'wan5' });
    expect(readFileSync(daemonFile, 'utf8')).not.toContain('wan5');
    expect(readFileSync(daemonFile, 'utf8')).toContain("option server '192.0.2.1'");
    expect(readFileSync(join(conf, 'network'), 'utf8')).not.toContain('wan5');
  });
});
