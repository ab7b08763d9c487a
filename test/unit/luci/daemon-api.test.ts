/**
 * The LuCI app against the daemon's real control code (src/wanbond/control): every ubus method the views call is
 * served by the `wanbond` object with the parameters the views send, and a `status` reply built by the daemon's
 * own `buildStatus` turns into the rows, totals and events the Status tab shows.
 */
import { describe, expect, it } from 'vitest';
import type { LinkConfig } from '../../../src/wanbond/config/types.js';
import {
  buildStatus,
  CONTROL_STATUS,
  type ControlParamType,
  type ControlProvider,
  checkArgs,
  controlMethods,
  invokeControl,
  LinkEventTracker,
  type RouterControlSource,
  routerProvider,
} from '../../../src/wanbond/control/index.js';
import { openwrtMethods } from '../../../src/wanbond/control/openwrt-methods.js';
import type { PathStats, SessionStats } from '../../../src/wanbond/engine/api.js';
import { type SpeedtestDeps, SpeedtestJobs } from '../../../src/wanbond/speedtest/jobs.js';
import { fakeRpc, loadModule } from './loader.js';

/**
 * Methods the OpenWrt integration serves through `ControlProvider.extraMethods` (pairing, keys, the MacVLAN
 * helper): taken from the daemon's real table, so a rename on either side fails here.
 */
const EXTRA: Record<string, Record<string, ControlParamType>> = Object.fromEntries(
  Object.entries(
    openwrtMethods({ confPath: '/nonexistent/wanbond', confdir: '/nonexistent', reload: async () => ({ ok: true }) }),
  ).map(([name, def]) => [name, { ...(def.params ?? {}) }]),
);

const provider: ControlProvider = {
  status: () => {
    throw new Error('unused');
  },
  links: () => [],
  policies: () => [],
  reload: async () => ({ ok: true }),
  speedtest: () => ({ job: '1' }),
  speedtestResult: (job) => ({ job: job ?? '1', state: 'done' }),
  extraMethods: Object.fromEntries(
    Object.entries(EXTRA).map(([name, params]) => [name, { params, handler: () => ({ name }) }]),
  ),
};
const served = controlMethods(provider, { events: () => [] });

function declared() {
  const rpc = fakeRpc();
  loadModule('wanbond.api', { rpc });
  return rpc.declared;
}

describe('the views call only what the daemon serves', () => {
  it('every declared method exists in the control table (generic or OpenWrt extra)', () => {
    const base = controlMethods({ ...provider, extraMethods: {} }, { events: () => [] });
    for (const d of declared()) {
      expect(d.method in base || d.method in EXTRA, d.method).toBe(true);
    }
    // The generic ones really are generic: only pairing and MacVLAN come from the OpenWrt side.
    expect(
      declared()
        .filter((d) => !(d.method in base))
        .map((d) => d.method)
        .sort(),
    ).toEqual(Object.keys(EXTRA).sort());
  });

  it('sends only parameters the daemon declares', () => {
    for (const d of declared()) {
      const def = served[d.method];
      expect(def, d.method).toBeDefined();
      expect(Object.keys(def?.params ?? {}).sort(), d.method).toEqual([...d.params].sort());
    }
  });

  it('the values the views send pass the daemon argument checks, with rpcd session ids ignored', async () => {
    const samples: Record<string, Record<string, unknown>> = {
      speedtest: { link: 'wan1', ubus_rpc_session: 'x' },
      speedtest_result: { job: '7' },
      join: { line: 'wanbond://x', apply: false },
      macvlan_add: { parent: 'eth1', name: 'wan3', add_link: true },
      macvlan_del: { name: 'vwan3' },
    };
    for (const [m, args] of Object.entries(samples)) {
      expect(checkArgs(served[m]!, args), m).toBeUndefined();
      const r = await invokeControl(served, m, args, []);
      expect(r.status, m).toBe(CONTROL_STATUS.OK);
    }
    // "All links, then bonded": the view leaves link out (JSON drops undefined).
    expect(
      (await invokeControl(served, 'speedtest', JSON.parse(JSON.stringify({ link: undefined })), [])).data,
    ).toEqual({
      job: '1',
    });
  });
});

describe('a status reply built by the daemon renders', () => {
  const cache = new Map();
  const model = loadModule('wanbond.status', {}, cache);
  const history = loadModule('wanbond.history', {}, cache);

  const links: LinkConfig[] = [
    { name: 'wan1', interface: 'wan1', enabled: true, backup: false },
    { name: 'wan2', interface: 'wan2', enabled: true, backup: false },
    { name: 'lte', interface: 'lte', enabled: true, backup: true },
    { name: 'off', device: 'eth9', source: '192.0.2.99', enabled: false, backup: false },
  ];
  function path(pathId: number, name: string, state: PathStats['state'], rx: number): PathStats {
    return {
      pathId,
      name,
      state,
      rttMs: 20 + pathId,
      loss: 0.01 * pathId,
      capacityUpKbit: 1000 * pathId,
      capacityDownKbit: 10000 * pathId,
      txBytes: rx / 10,
      rxBytes: rx,
      txPackets: 1,
      rxPackets: 1,
      share: 0.5,
      lastChange: 1000,
    };
  }
  function stats(rx: number, wan2: PathStats['state']): SessionStats {
    return {
      state: 'established',
      establishedAt: 500,
      paths: [path(1, 'wan1', 'up', rx), path(2, 'wan2', wan2, rx / 2), path(3, 'lte', 'down', 0)],
      reorderDepth: 0,
      resentPackets: 0,
      duplicatePackets: 0,
      txBytes: rx / 8,
      rxBytes: rx * 1.4,
    };
  }
  const wall = Date.UTC(2026, 10, 22, 12, 0, 0);
  const reply = (rx: number, wan2: PathStats['state'], dt: number) =>
    JSON.parse(
      JSON.stringify(
        buildStatus({
          stats: stats(rx, wan2),
          links,
          server: 'vps.example.net',
          port: 5555,
          mode: 'bond',
          tunnel: { device: 'wb0', addresses: ['10.255.0.2/24'], mtu: 1400 },
          now: 61_000 + dt,
          wallNow: wall + dt,
        }),
      ),
    );

  it('rows, states and since-times come out right', () => {
    const m = model.build(reply(1_000_000, 'up', 0), wall, null);
    expect(m.health.kind).toBe('ok');
    expect(m.tunnel).toMatchObject({ cls: 'ok', server: 'vps.example.net', port: 5555, address: '10.255.0.2/24' });
    expect(m.tunnel.uptime).toBe(60);
    expect(m.links.map((l: { name: string; cls: string }) => `${l.name}:${l.cls}`)).toEqual([
      'wan1:ok',
      'wan2:ok',
      'lte:bad',
      'off:off',
    ]);
    expect(m.links[0].since).toBe(wall - 60_000);
    expect(m.links[0].loss).toBeCloseTo(0.01);
    expect(m.links[3].label).toBe('Disabled');
    // The daemon sums capacities over the links that are up.
    expect(m.totals.capDownKbit).toBe(30000);
    expect(m.problems).toEqual([]);
  });

  it('rates, "% of sum" and a failover event follow from two successive replies', () => {
    const h = history.create(300);
    history.push(h, reply(1_000_000, 'up', 0), wall, model.toEpochMs);
    const r2 = reply(1_000_000 + 2_500_000, 'suspect', 2000);
    const rates = history.push(h, r2, wall + 2000, model.toEpochMs);
    expect(rates.links.wan1.down).toBeCloseTo(10_000); // 2.5 MB in 2 s
    const m = model.build(r2, wall + 2000, rates);
    expect(m.links[1]).toMatchObject({ cls: 'warn', label: 'Suspect' });
    // Only wan1 is up now: capacity 10 Mbit/s; bonded rx rate 1.4 * 10 Mbit/s.
    expect(m.totals.capDownKbit).toBe(10000);
    expect(m.totals.pctDown).toBeCloseTo(1.4);
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toMatchObject({ link: 'wan2', from: 'up', to: 'suspect' });
  });

  it('the daemon event log merges with what the page saw', () => {
    const tracker = new LinkEventTracker();
    tracker.update(reply(0, 'up', 0).links, wall);
    tracker.update(reply(0, 'down', 1000).links, wall + 1000, { wan2: 'ifdown' });
    const list = history.mergeEvents([], tracker.events(), model.toEpochMs, wall + 5000);
    expect(list).toEqual([{ t: wall + 1000, link: 'wan2', from: 'up', to: 'down', reason: 'ifdown' }]);
  });

  it('a session that is not established asks the admin to check the server', () => {
    const r = reply(0, 'up', 0);
    r.state = 'handshaking';
    const m = model.build(r, wall, null);
    expect(m.tunnel.cls).toBe('warn');
    expect(m.problems[0].text).toMatch(/does not answer/);
    r.state = 'idle';
    expect(model.build(r, wall, null).tunnel.label).toBe('Not connected');
  });
});

describe('the Diagnostics tab on a freshly started router daemon', () => {
  it("the daemon's answer for 'no speed test yet' shows as no results, not as a failure", async () => {
    // The router's real provider and job list; result() needs none of the measuring dependencies.
    const jobs = new SpeedtestJobs({} as SpeedtestDeps);
    const daemon = {} as RouterControlSource;
    const methods = controlMethods(routerProvider(daemon, { speedtest: jobs }), {});
    const reply = await invokeControl(methods, 'speedtest_result', {}, []);
    expect(reply.status).toBe(CONTROL_STATUS.NOT_FOUND);
    // uhttpd hands the view the bare ubus status code.
    const st = loadModule('wanbond.speedtest');
    expect(st.last(reply.status)).toMatchObject({ state: 'idle', error: '', rows: [] });
    // Polling a job that vanished (daemon restarted) still is an error.
    expect(st.build(reply.status).state).toBe('error');
  });
});
