import { describe, expect, it } from 'vitest';
import { loadModule } from './loader.js';

const model = loadModule('wanbond.status');
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const epoch = (msAgo: number) => (NOW - msAgo) / 1000;

function reply(overrides: Record<string, unknown> = {}) {
  return {
    state: 'connected',
    server: 'vps.example.net',
    port: 5555,
    uptime: 3725,
    tunnel: { address: '10.255.0.2/24', public_address: '198.51.100.7', device: 'wb0', mtu: 1400 },
    links: [
      {
        name: 'wan1',
        interface: 'wan1',
        device: 'vwan1',
        source: '192.0.2.10',
        state: 'up',
        rtt_ms: 23.4,
        loss: 0.01,
        capacity_up_kbit: 10000,
        capacity_down_kbit: 50000,
        tx_bytes: 1000,
        rx_bytes: 5000,
        share: 0.6,
        last_change: epoch(300_000),
      },
      {
        name: 'wan2',
        interface: 'wan2',
        state: 'up',
        rtt_ms: 48,
        loss: 2.5,
        capacity_up_kbit: 5000,
        capacity_down_kbit: 20000,
        tx_bytes: 500,
        rx_bytes: 2000,
        share: 40,
        last_change: epoch(60_000),
      },
      { name: 'lte', interface: 'lte', state: 'down', capacity_up_kbit: 99999, capacity_down_kbit: 99999 },
    ],
    totals: { tx_bytes: 1400, rx_bytes: 6800 },
    ...overrides,
  };
}

describe('wanbond.status: health of the rpc answer', () => {
  it('reads a missing ubus object as "daemon not running" with an actionable sentence', () => {
    const h = model.health(4);
    expect(h.kind).toBe('not-running');
    expect(h.text).toMatch(/System > Startup/);
  });

  it('reads uhttpd\'s "Object not found" (what a stopped daemon really gives) as "daemon not running"', () => {
    // The message as LuCI's rpc.js raised it against uhttpd + rpcd + ubusd with no `wanbond` object: the JSON-RPC
    // error -32000, with the stack LuCI appends.
    const e = new Error(
      'RPC call to wanbond/status {} failed with error -32000: Object not found\n' +
        '  at ClassConstructor.handleCallReply (http://192.168.1.1/luci-static/resources/rpc.js:82:7)',
    );
    expect(model.health(e)).toMatchObject({ kind: 'not-running', title: 'The wanbond daemon is not running' });
    const t = new Error(
      'RPC call to wanbond/status {} failed with error -32003: Request timed out\n  at x (rpc.js:1:1)',
    );
    expect(model.health(t).kind).toBe('timeout');
    // Other transport errors show the first line only, not LuCI's stack.
    const other = model.health(new Error('NetworkError: offline\n  at ClassConstructor.x (rpc.js:1:1)'));
    expect(other.kind).toBe('error');
    expect(other.text).toMatch(/NetworkError: offline/);
    expect(other.text).not.toMatch(/ClassConstructor/);
  });

  it('gives dialogs a short reason for a failed call', () => {
    expect(
      model.reason(new Error('RPC call to wanbond/join {} failed with error -32000: Object not found\n  at x')),
    ).toBe('the wanbond daemon is not running');
    expect(model.reason(4)).toBe('the wanbond daemon is not running');
    expect(model.reason(2)).toBe('ubus error code 2');
    expect(model.reason(new Error('RPC call to wanbond/join {} failed with error -32002: Access denied'))).toBe(
      'Access denied',
    );
  });

  it('recognises access denied both as ubus code 6 and as the rpcd JSON-RPC error', () => {
    expect(model.health(6).kind).toBe('denied');
    const e = new Error('RPC call to wanbond/status {} failed with error -32002: Access denied');
    expect(model.health(e).kind).toBe('denied');
    expect(model.health(e).text).toMatch(/rpcd reload/);
  });

  it('maps timeout, missing method, other codes, transport errors and empty replies', () => {
    expect(model.health(7).kind).toBe('timeout');
    expect(model.health(3).kind).toBe('old-daemon');
    expect(model.health(2).text).toMatch(/code 2/);
    expect(model.health(new Error('boom')).text).toMatch(/boom/);
    expect(model.health(0).kind).toBe('error');
    expect(model.health(null).kind).toBe('error');
    expect(model.health({}).kind).toBe('ok');
  });

  it('builds no rows for an error and carries the health through', () => {
    const m = model.build(4, NOW, null);
    expect(m.health.kind).toBe('not-running');
    expect(m.links).toEqual([]);
    expect(m.tunnel).toBeNull();
  });
});

describe('wanbond.status: status -> rows', () => {
  it('turns the tunnel fields into the summary', () => {
    const m = model.build(reply(), NOW, null);
    expect(m.tunnel).toMatchObject({
      cls: 'ok',
      label: 'Up',
      server: 'vps.example.net',
      port: 5555,
      uptime: 3725,
      publicAddress: '198.51.100.7',
      address: '10.255.0.2/24',
      device: 'wb0',
    });
    expect(m.problems).toEqual([]);
  });

  it('makes one row per link with colour class, units normalised and since-times in epoch ms', () => {
    const m = model.build(reply(), NOW, null);
    expect(m.links.map((l: { name: string }) => l.name)).toEqual(['wan1', 'wan2', 'lte']);
    const [w1, w2, lte] = m.links;
    expect(w1).toMatchObject({ cls: 'ok', rttMs: 23.4, loss: 0.01, share: 0.6, capDownKbit: 50000 });
    expect(w1.since).toBe(NOW - 300_000);
    expect(w1.interface).toBe('wan1');
    expect(w1.device).toBe('vwan1');
    // Percentages above 1 are read as percent.
    expect(w2.loss).toBeCloseTo(0.025);
    expect(w2.share).toBeCloseTo(0.4);
    expect(lte).toMatchObject({ cls: 'bad', label: 'Down', rttMs: null, since: null });
    expect(m.upLinks).toBe(2);
  });

  it('sums capacities over working links only and computes "% of sum" from the measured bonded rate', () => {
    const rates = { links: { wan1: { up: 4000, down: 30000 } }, total: { up: 7500, down: 35000 } };
    const m = model.build(reply(), NOW, rates);
    expect(m.totals.capUpKbit).toBe(15000);
    expect(m.totals.capDownKbit).toBe(70000);
    expect(m.totals.pctDown).toBeCloseTo(0.5);
    expect(m.totals.pctUp).toBeCloseTo(0.5);
    expect(m.links[0].downKbit).toBe(30000);
    expect(m.links[1].downKbit).toBeNull();
    expect(m.totals.rxBytes).toBe(6800);
  });

  it('leaves "% of sum" unknown before the second sample', () => {
    const m = model.build(reply(), NOW, null);
    expect(m.totals.pctDown).toBeNull();
    expect(m.totals.bondDownKbit).toBeNull();
  });

  it('accepts seconds-ago and millisecond times for last_change', () => {
    expect(model.toEpochMs(30, NOW)).toBe(NOW - 30_000);
    expect(model.toEpochMs(NOW, NOW)).toBe(NOW);
    expect(model.toEpochMs(NOW / 1000, NOW)).toBe(NOW);
    expect(model.toEpochMs('x', NOW)).toBeNull();
  });

  it('survives missing and malformed fields', () => {
    const m = model.build({ links: [null, { state: 7 }], totals: 'x' }, NOW, null);
    expect(m.links).toHaveLength(2);
    expect(m.links[0].name).toBe('?');
    expect(m.totals.capUpKbit).toBeNull();
    expect(m.tunnel.label).toBe('Unknown');
  });
});

describe('wanbond.status: empty and error states tell the admin what to do', () => {
  const texts = (r: unknown) => model.build(r, NOW, null).problems.map((p: { text: string }) => p.text);

  it('no links', () => {
    expect(texts(reply({ links: [] }))[0]).toMatch(/Links tab/);
  });

  it('no server', () => {
    expect(texts(reply({ server: '' })).join(' ')).toMatch(/wanbond pair/);
  });

  it('all links down', () => {
    const r = reply();
    for (const l of r.links) l.state = 'down';
    expect(texts(r)[0]).toMatch(/All links are down/);
  });

  it('server unreachable while links are up names the server and the UDP port', () => {
    const t = texts(reply({ state: 'connecting' }));
    expect(t[0]).toMatch(/vps\.example\.net/);
    expect(t[0]).toMatch(/UDP port 5555/);
  });

  it('disabled', () => {
    expect(texts(reply({ state: 'disabled' }))[0]).toMatch(/disabled/);
  });

  it('state colours are distinct per class', () => {
    const colours = ['ok', 'warn', 'idle', 'bad', 'off'].map((c) => model.colour(c));
    expect(new Set(colours).size).toBe(5);
    expect(model.colour('nonsense')).toBe(model.colour('off'));
  });
});
