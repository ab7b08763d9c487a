/**
 * The Diagnostics tab following a REAL speed test job (the daemon's SpeedtestJobs, with stand-in transfers that
 * finish when the test says so): at every step of a run that measures each link alone and then the bonded tunnel,
 * what the page says is being measured, and the finished table with the bonded row's "% of sum".
 */
import { describe, expect, it } from 'vitest';
import type { PathStats, SessionStats } from '../../../src/wanbond/engine/api.js';
import type { Transfer } from '../../../src/wanbond/speedtest/client.js';
import { SpeedtestJobs } from '../../../src/wanbond/speedtest/jobs.js';
import { loadModule } from './loader.js';

const st = loadModule('wanbond.speedtest');

type Row = { key: string; pending: string; downPending: string; upPending: string; downKbit: number | null };

const path = (pathId: number, name: string): PathStats => ({
  pathId,
  name,
  state: 'up',
  rttMs: 20 + pathId,
  loss: 0,
  capacityUpKbit: undefined,
  capacityDownKbit: undefined,
  txBytes: 0,
  rxBytes: 0,
  txPackets: 0,
  rxPackets: 0,
  share: 0.5,
  lastChange: 0,
});

const stats = (): SessionStats => ({
  state: 'established',
  establishedAt: 0,
  paths: [path(0, 'wan1'), path(1, 'wan2')],
  reorderDepth: 0,
  resentPackets: 0,
  duplicatePackets: 0,
  txBytes: 0,
  rxBytes: 0,
});

/** Rates per pinned link (undefined = bonded), kbit/s: down, up. */
const RATES: Record<string, [number, number]> = { wan1: [40000, 10000], wan2: [20000, 10000], bond: [57000, 19000] };

describe('the Diagnostics tab following a real speed test job', () => {
  it('says which link is measured alone now, then bonded, and ends with "% of sum"', async () => {
    let pinned: string | undefined;
    const pending: Array<() => void> = [];
    const transfer =
      (dir: 0 | 1) =>
      (_host: string, _port: number, ms: number): Promise<Transfer> =>
        new Promise((resolve) => {
          const rate = RATES[pinned ?? 'bond']![dir];
          pending.push(() => resolve({ bytes: (rate * ms) / 8, ms }));
        });
    const jobs = new SpeedtestJobs({
      target: () => ({ host: '10.255.0.1', port: 5555 }),
      stats,
      linkNames: () => ['wan1', 'wan2'],
      pin: (link) => {
        pinned = link;
      },
      download: transfer(0),
      upload: transfer(1),
    });
    const next = async () => {
      for (let i = 0; i < 200 && pending.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(pending.length).toBe(1);
    };
    const finish = () => pending.shift()!();

    const { job } = jobs.start({ seconds: 1 });
    const order = st.plan(['wan1', 'wan2'], undefined);
    const seen: string[] = [];
    const states: string[][] = [];
    for (let step = 0; step < 6; step++) {
      await next();
      const v = st.build(jobs.result(job), order);
      expect(v.state).toBe('running');
      seen.push(v.phase);
      states.push((v.rows as Row[]).map((r) => `${r.key}:${r.downPending || 'done'}/${r.upPending || 'done'}`));
      finish();
    }
    expect(seen).toEqual([
      'Testing wan1: download…',
      'Testing wan1: upload…',
      'Testing wan2: download…',
      'Testing wan2: upload…',
      'Testing bonded tunnel: download…',
      'Testing bonded tunnel: upload…',
    ]);
    // While wan1 downloads: wan1 measuring, wan2 and the bonded test still to come.
    expect(states[0]).toEqual(['wan1:measuring/waiting', 'wan2:waiting/waiting', 'bond:waiting/waiting']);
    // While wan2 uploads, wan1 is done and wan2's download figure is in.
    expect(states[3]).toEqual(['wan1:done/done', 'wan2:done/measuring', 'bond:waiting/waiting']);

    for (let i = 0; i < 200 && jobs.result(job).state === 'running'; i++) await new Promise((r) => setTimeout(r, 5));
    const done = st.build(jobs.result(job), order);
    expect(done.state).toBe('done');
    expect(done.phase).toBe('');
    type Final = { key: string; downKbit: number; upKbit: number; pctDown: number | null; pctUp: number | null };
    const rows = done.rows as Final[];
    expect(rows.map((r) => [r.key, r.downKbit, r.upKbit])).toEqual([
      ['wan1', 40000, 10000],
      ['wan2', 20000, 10000],
      ['bond', 57000, 19000],
    ]);
    expect(rows[2]!.pctDown).toBeCloseTo(0.95);
    expect(rows[2]!.pctUp).toBeCloseTo(0.95);
    expect(rows[0]!.pctDown).toBeNull();
    // The session is unpinned at the end.
    expect(pinned).toBeUndefined();
  });
});
