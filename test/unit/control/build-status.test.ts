import { describe, expect, it } from 'vitest';
import type { LinkConfig } from '../../../src/wanbond/config/types.js';
import {
  buildPolicies,
  buildServerStatus,
  buildStatus,
  formatStatusTable,
  LinkEventTracker,
  REDACTED,
  scrubSecrets,
} from '../../../src/wanbond/control/index.js';
import type { PathStats, SessionStats } from '../../../src/wanbond/engine/api.js';

const link = (name: string, extra: Partial<LinkConfig> = {}): LinkConfig => ({
  name,
  interface: name,
  enabled: true,
  backup: false,
  ...extra,
});

const path = (pathId: number, name: string, extra: Partial<PathStats> = {}): PathStats => ({
  pathId,
  name,
  state: 'up',
  rttMs: 23.456,
  loss: 0.01234,
  capacityUpKbit: 20000.4,
  capacityDownKbit: 50000,
  txBytes: 1000,
  rxBytes: 2000,
  txPackets: 10,
  rxPackets: 20,
  share: 0.6,
  lastChange: 5000,
  ...extra,
});

const stats = (): SessionStats => ({
  state: 'established',
  establishedAt: 1000,
  paths: [path(0, 'wan1'), path(1, 'wan2', { state: 'down', rttMs: undefined, capacityUpKbit: undefined, share: 0 })],
  reorderDepth: 3,
  resentPackets: 4,
  duplicatePackets: 5,
  txBytes: 3000,
  rxBytes: 4000,
  handshakes: 2,
  holdMs: 12.3456,
  skippedPackets: 1,
  duplicateOverhead: 0.012345,
  bondedOfEstimates: 0.91234,
});

// Engine clock at 65 s while the wall clock says 2026-01-01T00:01:05Z.
const clock = { now: 65_000, wallNow: Date.UTC(2026, 0, 1, 0, 1, 5) };

describe('buildStatus', () => {
  const reply = buildStatus({
    stats: stats(),
    links: [link('wan1'), link('wan2', { backup: true }), link('wan3', { enabled: false })],
    runtime: { wan1: { device: 'eth1', source: '192.0.2.10', bound: true }, wan2: { bound: false } },
    server: 'vps.example.net',
    port: 5555,
    mode: 'bond',
    tunnel: { device: 'wb0', addresses: ['10.255.0.2/24'], mtu: 1420 },
    ...clock,
  });

  it('has the documented top-level shape', () => {
    expect(Object.keys(reply).sort()).toEqual(
      ['role', 'state', 'server', 'port', 'mode', 'uptime', 'tunnel', 'links', 'totals'].sort(),
    );
    expect(reply).toMatchObject({ role: 'router', state: 'established', server: 'vps.example.net', port: 5555 });
    expect(reply.uptime).toBe(64);
    expect(reply.tunnel).toMatchObject({
      device: 'wb0',
      address: '10.255.0.2/24',
      mtu: 1420,
      reorder_depth: 3,
      resent_packets: 4,
      handshakes: 2,
      hold_ms: 12.35,
      skipped_packets: 1,
      duplicate_overhead: 0.0123,
      bonded_of_estimates: 0.912,
      established_at: Date.UTC(2026, 0, 1, 0, 0, 1) / 1000,
    });
  });

  it('maps each link with the documented fields, times in epoch seconds', () => {
    const [w1, w2, w3] = reply.links;
    expect(w1).toEqual({
      name: 'wan1',
      interface: 'wan1',
      device: 'eth1',
      source: '192.0.2.10',
      backup: false,
      state: 'up',
      path_id: 0,
      rtt_ms: 23.46,
      loss: 0.0123,
      share: 0.6,
      capacity_up_kbit: 20000,
      capacity_down_kbit: 50000,
      tx_bytes: 1000,
      rx_bytes: 2000,
      tx_packets: 10,
      rx_packets: 20,
      last_change: Date.UTC(2026, 0, 1, 0, 0, 5) / 1000,
    });
    expect(w2).toMatchObject({ name: 'wan2', backup: true, state: 'down', error: 'not bound' });
    expect(w2).not.toHaveProperty('rtt_ms');
    expect(w3).toMatchObject({ name: 'wan3', state: 'disabled', tx_bytes: 0 });
    expect(reply.totals).toEqual({
      tx_bytes: 3000,
      rx_bytes: 4000,
      links: 3,
      links_up: 1,
      capacity_up_kbit: 20000,
      capacity_down_kbit: 50000,
    });
  });

  it('reports a link without a socket as down even while its engine path is probing (netifd has no WAN yet)', () => {
    const s = { ...stats(), paths: [path(0, 'wan1', { state: 'probing' })] };
    const r = buildStatus({
      stats: s,
      links: [link('wan1')],
      runtime: { wan1: { bound: false, error: 'interface wan1: not found' } },
      server: 'x',
      port: 1,
      ...clock,
    });
    expect(r.links[0]).toMatchObject({ state: 'down', error: 'interface wan1: not found' });
    const bound = buildStatus({
      stats: s,
      links: [link('wan1')],
      runtime: { wan1: { bound: true } },
      server: 'x',
      port: 1,
      ...clock,
    });
    expect(bound.links[0]!.state).toBe('probing');
  });

  it('is not established: uptime 0, no established_at; disabled overrides the state', () => {
    const s = { ...stats(), state: 'handshaking' as const, establishedAt: undefined };
    const r = buildStatus({ stats: s, links: [], server: 'x', port: 1, enabled: false, ...clock });
    expect(r.uptime).toBe(0);
    expect(r.state).toBe('disabled');
    expect(r.tunnel).not.toHaveProperty('established_at');
  });

  it('renders a readable table', () => {
    const text = formatStatusTable(reply as unknown as Record<string, unknown>, clock.wallNow / 1000);
    expect(text).toContain('router: established, server vps.example.net:5555, mode bond, up 1m04s');
    expect(text).toMatch(/wan1\s+wan1\s+eth1\s+192\.0\.2\.10\s+up\s+23\.5ms\s+1\.2%\s+20\.0M\/50\.0M\s+60%/);
    expect(text).toContain('wan2 (backup)');
    expect(text).toContain('1m00s');
    expect(text).toContain('1/3 links up');
    expect(text).toContain('reorder 3, resent 4, skipped 1, duplicates 1.2%, bonded/estimates 91%');
  });

  it('maps policies', () => {
    expect(buildPolicies([{ name: 'stream', mode: 'redundant', useLinks: ['wan1', 'wan2'] }])).toEqual([
      { name: 'stream', mode: 'redundant', use_links: ['wan1', 'wan2'] },
    ]);
  });
});

describe('buildServerStatus', () => {
  it('lists each client with its paths (remote address as source) and sums the totals', () => {
    const session = stats();
    session.paths[0]!.address = '198.51.100.7:40000';
    const reply = buildServerStatus({
      stats: { clients: [{ name: 'home', publicKey: 'PUBKEY', tunnelAddress: '10.255.0.2', session }] },
      listen: '0.0.0.0',
      port: 5555,
      tunnel: { device: 'wb0', addresses: ['10.255.0.1/24'] },
      startedAt: 0,
      ...clock,
    });
    expect(reply).toMatchObject({ role: 'server', state: 'running', port: 5555, uptime: 65, links: [] });
    expect(reply.clients[0]).toMatchObject({
      name: 'home',
      tunnel_address: '10.255.0.2',
      state: 'established',
      uptime: 64,
    });
    expect(reply.clients[0]!.links[0]).toMatchObject({ name: 'wan1', source: '198.51.100.7:40000', state: 'up' });
    expect(reply.totals).toEqual({ tx_bytes: 3000, rx_bytes: 4000, links: 2, links_up: 1 });
    const text = formatStatusTable(reply as unknown as Record<string, unknown>, clock.wallNow / 1000);
    expect(text).toContain('server: running, server 0.0.0.0:5555');
    expect(text).toMatch(/home\s+10\.255\.0\.2\s+established\s+1m04s\s+wan1\s+198\.51\.100\.7:40000\s+up/);
  });
});

describe('scrubSecrets', () => {
  it('drops private-key fields and redacts strings containing a known secret', () => {
    const key = 'AAAAsecretKEYmaterial0123456789=';
    const out = scrubSecrets(
      { a: 1, private_key: key, nested: { privateKey: 'x', note: `key is ${key}`, list: [key, 'ok'] } },
      [key],
    );
    expect(out).toEqual({ a: 1, nested: { note: REDACTED, list: [REDACTED, 'ok'] } });
    expect(JSON.stringify(out)).not.toContain(key);
  });
});

describe('LinkEventTracker', () => {
  it('reports transitions after the first look, and keeps the newest first', () => {
    const t = new LinkEventTracker(2);
    const l = (name: string, state: 'up' | 'down') =>
      ({ name, interface: name, state, backup: false }) as Parameters<LinkEventTracker['update']>[0][number];
    expect(t.update([l('a', 'up'), l('b', 'down')], 1000_000)).toEqual([]);
    expect(t.update([l('a', 'down'), l('b', 'down')], 2000_000, { a: 'ifdown' })).toEqual([
      { link: 'a', interface: 'a', from: 'up', to: 'down', time: 2000, reason: 'ifdown' },
    ]);
    t.update([l('a', 'up')], 3000_000);
    t.update([l('a', 'down')], 4000_000);
    // keep = 2: the oldest event (a down at 2000) is gone; a link removed while down adds none.
    expect(t.events().map((e) => [e.link, e.to, e.time])).toEqual([
      ['a', 'down', 4000],
      ['a', 'up', 3000],
    ]);
  });
});
