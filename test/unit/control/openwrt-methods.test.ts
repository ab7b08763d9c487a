/**
 * LuCI's extra methods (join, macvlan_list/add/del) served by a real ControlServer over its unix socket, on a
 * temporary config dir: what LuCI sends (api.js) and what it reads back, and that no reply carries a private key.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_STATUS, ControlServer, callUnixControl } from '../../../src/wanbond/control/index.js';
import { openwrtMethods } from '../../../src/wanbond/control/openwrt-methods.js';
import { routerProvider } from '../../../src/wanbond/control/router-provider.js';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { formatPairingLine } from '../../../src/wanbond/pairing/line.js';

const FIXTURES = join(import.meta.dirname, '..', 'openwrt', 'fixtures');

describe('OpenWrt control methods (join, MacVLAN helper)', () => {
  let root: string;
  let conf: string;
  let sock: string;
  let server: ControlServer;
  let reloads = 0;
  const routerKey = generatePrivateKey();
  const serverKey = publicKeyOf(generatePrivateKey());
  const line = formatPairingLine({
    hosts: ['203.0.113.5'],
    port: 6000,
    serverKey,
    name: 'home',
    address: '10.255.0.7/24',
    routes: ['192.168.1.0/24'],
    privateKey: routerKey,
  });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'wbctl-'));
    conf = join(root, 'conf');
    cpSync(FIXTURES, conf, { recursive: true });
    sock = join(root, 'wanbond.sock');
    const daemon = {
      status: () => {
        throw new Error('not used');
      },
      reload: async () => {
        reloads++;
        return { ok: true };
      },
      policyConfigs: () => [],
      secrets: () => [routerKey],
      publicKey: () => undefined,
    };
    const extraMethods = openwrtMethods({
      confPath: join(conf, 'wanbond'),
      confdir: conf,
      uci: { savedir: join(root, 'save'), conf2dir: null },
      reload: () => daemon.reload(),
      sysfs: join(root, 'sys'),
    });
    server = await ControlServer.start({
      provider: routerProvider(daemon, { extraMethods }),
      unixSocket: sock,
      ubus: 'off',
    });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('join with apply false parses the line for LuCI to stage, without the private key', async () => {
    const r = await callUnixControl(sock, 'join', { line, apply: false });
    expect(r.status).toBe(0);
    expect(r.data).toMatchObject({
      server: '203.0.113.5',
      port: 6000,
      server_key: serverKey,
      address: '10.255.0.7/24',
      has_private_key: true,
    });
    expect(JSON.stringify(r)).not.toContain(routerKey);
    expect(readFileSync(join(conf, 'wanbond'), 'utf8')).not.toContain('203.0.113.5');
  });

  it('join rejects a bad line as INVALID_ARGUMENT and changes nothing', async () => {
    const before = readFileSync(join(conf, 'wanbond'), 'utf8');
    const r = await callUnixControl(sock, 'join', { line: `${line.slice(0, -3)}xyz`, apply: true });
    expect(r.status).toBe(CONTROL_STATUS.INVALID_ARGUMENT);
    expect(r.error).toBeTruthy();
    const missing = await callUnixControl(sock, 'join', {});
    expect(missing.status).toBe(CONTROL_STATUS.INVALID_ARGUMENT);
    expect(readFileSync(join(conf, 'wanbond'), 'utf8')).toBe(before);
  });

  it('join with apply true writes the config and reloads the daemon directly', async () => {
    const before = reloads;
    const r = await callUnixControl(sock, 'join', { line, apply: true });
    expect(r.status).toBe(0);
    expect(r.data).toMatchObject({ applied: true, server: '203.0.113.5', public_key: publicKeyOf(routerKey) });
    expect(r.data?.reload).toEqual({ ok: true });
    expect(reloads).toBe(before + 1);
    const text = readFileSync(join(conf, 'wanbond'), 'utf8');
    expect(text).toContain("option server '203.0.113.5'");
    expect(text).toContain("option port '6000'");
    expect(text).toContain(routerKey);
    expect(JSON.stringify(r)).not.toContain(routerKey);
  });

  it('new_key puts a fresh key in the key file, drops the inline key, and returns only the public key', async () => {
    // Outside /etc/config there is no default key file: the config must name one.
    const refused = await callUnixControl(sock, 'new_key');
    expect(refused.status).toBe(CONTROL_STATUS.INVALID_ARGUMENT);
    expect(refused.error).toContain('key_file');

    const keyFile = join(root, 'keys', 'router.key');
    const confFile = join(conf, 'wanbond');
    writeFileSync(
      confFile,
      readFileSync(confFile, 'utf8').replace(
        "config wanbond 'main'\n",
        `config wanbond 'main'\n\toption key_file '${keyFile}'\n`,
      ),
    );
    const before = reloads;
    const r = await callUnixControl(sock, 'new_key');
    expect(r.status).toBe(0);
    const written = readFileSync(keyFile, 'utf8').trim();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(r.data).toEqual({ public_key: publicKeyOf(written), reload: { ok: true } });
    expect(JSON.stringify(r)).not.toContain(written);
    expect(reloads).toBe(before + 1);
    const text = readFileSync(confFile, 'utf8');
    expect(text).not.toContain('private_key');
    expect(text).toContain(`option key_file '${keyFile}'`);
  });

  it('macvlan_add creates a DHCP MacVLAN WAN and a link, macvlan_list shows it, macvlan_del removes it', async () => {
    const first = await callUnixControl(sock, 'macvlan_list');
    expect(first.status).toBe(0);
    // The fixture already has two (network from uci vector 25).
    const existing = (first.data!.macvlans as Array<{ name: string }>).map((m) => m.name);
    expect(existing).toEqual(['wan2mac', 'wan3mac']);

    const before = reloads;
    const add = await callUnixControl(sock, 'macvlan_add', { parent: 'eth0', add_link: true });
    expect(add.status).toBe(0);
    expect(add.data).toMatchObject({ device: 'vwan1', interface: 'wan1', link: 'wan1', reload: { ok: true } });
    expect(add.data?.macaddr).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(reloads).toBe(before + 1);
    expect(readFileSync(join(conf, 'network'), 'utf8')).toContain("option proto 'dhcp'");
    expect(readFileSync(join(conf, 'wanbond'), 'utf8')).toContain("config link 'wan1'");

    const list = await callUnixControl(sock, 'macvlan_list');
    expect(list.data?.macvlans).toEqual([
      ...existing.map((name) => expect.objectContaining({ name })),
      expect.objectContaining({ name: 'vwan1', parent: 'eth0', interface: 'wan1', links: ['wan1'], up: false }),
    ]);
    // A second one without a name takes the next free wanN.
    const add2 = await callUnixControl(sock, 'macvlan_add', { parent: 'eth0', add_link: false });
    expect(add2.data).toMatchObject({ interface: 'wan2', device: 'vwan2' });
    expect(add2.data?.link).toBeUndefined();

    // LuCI deletes by the row's `name`, the device.
    const del = await callUnixControl(sock, 'macvlan_del', { name: 'vwan1' });
    expect(del.status).toBe(0);
    expect(del.data).toMatchObject({ interface: 'wan1' });
    expect(readFileSync(join(conf, 'wanbond'), 'utf8')).not.toContain("config link 'wan1'");
    const after = await callUnixControl(sock, 'macvlan_list');
    expect((after.data!.macvlans as Array<{ name: string }>).map((m) => m.name)).toEqual([...existing, 'vwan2']);
  });

  it('macvlan errors are INVALID_ARGUMENT with the reason', async () => {
    const noParent = await callUnixControl(sock, 'macvlan_add', {});
    expect(noParent.status).toBe(CONTROL_STATUS.INVALID_ARGUMENT);
    const bad = await callUnixControl(sock, 'macvlan_add', { parent: 'bad dev!', name: 'wan9' });
    expect(bad.status).toBe(CONTROL_STATUS.INVALID_ARGUMENT);
    expect(bad.error).toMatch(/parent/);
    const gone = await callUnixControl(sock, 'macvlan_del', { name: 'nosuch' });
    expect(gone.status).toBe(CONTROL_STATUS.INVALID_ARGUMENT);
    expect(gone.error).toMatch(/nosuch/);
  });
});
