import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { INET_HOST } from '../../../src/wanbond/lab/addressing.js';
import { Lab, labDown, stateDirOf } from '../../../src/wanbond/lab/lab.js';
import { isRoot, uniquePrefix } from '../../../src/wanbond/lab/netns.js';
import { runPing } from '../../../src/wanbond/lab/ping.js';
import { parseScenario } from '../../../src/wanbond/lab/scenario.js';
import { listLabNamespaces } from '../../../src/wanbond/lab/topology.js';

const SCENARIO = parseScenario(`[lab]
name = t
[link wan1]
rate = 20
delay = 5
[link wan2]
rate = 10
delay = 10
`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!isRoot())('lab topology (needs root)', () => {
  const prefixes: string[] = [];
  afterAll(() => {
    for (const p of prefixes) labDown(p);
  });

  it('routes each WAN source through its own emulated link and tears down completely', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const lab = await Lab.up(SCENARIO, { prefix });
    const { info } = lab;
    expect(info.namespaces.modems).toEqual([`${prefix}-m1`, `${prefix}-m2`]);
    expect(info.links.map((l) => [l.name, l.device, l.source])).toEqual([
      ['wan1', `${prefix}-wan1`, '192.168.11.2'],
      ['wan2', `${prefix}-wan2`, '192.168.12.2'],
    ]);
    expect(listLabNamespaces(prefix).sort()).toEqual(
      ['inet', 'lan', 'm1', 'm2', 'net', 'rt', 'sw', 'vps'].map((s) => `${prefix}-${s}`),
    );
    await expect(Lab.up(SCENARIO, { prefix })).rejects.toThrow(/lab down --prefix/);

    expect(info.unreachable).toEqual([]);
    // A socket bound to wan2's address leaves through wan2 (RTT = 2 x 10 ms), not wan1.
    const before1 = (await lab.stats('wan1')).up.out_pkts;
    const before2 = (await lab.stats('wan2')).up.out_pkts;
    const ping = await runPing(info.router.ns, info.vps.publicAddress, 1, { source: '192.168.12.2', intervalS: 0.1 });
    expect(ping.samples.length).toBeGreaterThan(3);
    expect(ping.min!).toBeGreaterThanOrEqual(20);
    expect(ping.min!).toBeLessThan(25);
    expect((await lab.stats('wan2')).up.out_pkts - before2).toBeGreaterThanOrEqual(ping.samples.length);
    expect((await lab.stats('wan1')).up.out_pkts - before1).toBeLessThan(3);
    // The LAN host reaches the internet host (through wan1, the main table's default).
    expect((await runPing(info.lan.ns, INET_HOST, 1, { intervalS: 0.2 })).samples.length).toBeGreaterThan(0);

    const pids = info.links.map((l) => l.emulatorPid);
    await lab.down();
    expect(listLabNamespaces(prefix)).toEqual([]);
    expect(existsSync(stateDirOf(prefix))).toBe(false);
    expect(pids.filter(alive)).toEqual([]);
    expect(labDown(prefix)).toEqual([]);
  });

  it('lab down cleans up a lab whose owner is gone (detached emulators, no Lab object)', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const lab = await Lab.up(SCENARIO, { prefix, detached: true });
    const pids = lab.info.links.map((l) => l.emulatorPid);
    expect(pids.every(alive)).toBe(true);
    // Another process would only know the prefix: commands reach the emulators over their sockets.
    await Lab.attach(prefix).command('wan1', 'cut');
    expect((await Lab.attach(prefix).stats('wan1')).up.cut).toBe(true);
    const removed = labDown(prefix);
    expect(removed.length).toBe(8);
    expect(listLabNamespaces(prefix)).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(pids.filter(alive)).toEqual([]);
  });
});
