import { describe, expect, it } from 'vitest';
import { loadModule } from './loader.js';

const st = loadModule('wanbond.speedtest');

describe('wanbond.speedtest: job replies -> progress and result rows', () => {
  it('idle before any test, and an error for a ubus failure', () => {
    expect(st.build({}).state).toBe('idle');
    expect(st.build(0).state).toBe('error');
    expect(st.build(4)).toMatchObject({ state: 'error', error: 'ubus error code 4' });
    expect(st.build(new Error('x')).error).toBe('x');
    // LuCI appends the stack to an RPC error's message: only the first line is shown.
    expect(st.build(new Error('RPC call failed\n  at ClassConstructor.x (rpc.js:1:1)')).error).toBe('RPC call failed');
  });

  it('shows progress and what is being measured while running', () => {
    const r = st.build({ job: 7, state: 'running', progress: 40, phase: 'download', link: 'wan2', results: [] });
    expect(r.state).toBe('running');
    expect(r.progress).toBeCloseTo(0.4);
    expect(r.phase).toBe('Testing wan2: download…');
    expect(r.current).toBe('wan2');
    expect(r.job).toBe('7');
    expect(st.build({ job: 1, state: 'queued' }).phase).toBe('Starting');
    expect(st.build({ job: 1, state: 'running', phase: 'upload', link: 'bond' }).phase).toBe(
      'Testing bonded tunnel: upload…',
    );
    expect(st.build({ job: 1, state: 'running', phase: 'latency', link: 'lte' }).phase).toBe('Testing lte: latency…');
    // The daemon names phases download/upload; short names are read the same way.
    expect(st.build({ job: 1, state: 'running', phase: 'up', link: 'wan1' }).phase).toBe('Testing wan1: upload…');
    expect(st.build({ job: 1, state: 'running', phase: '', link: 'wan1' }).phase).toBe('Testing wan1…');
  });

  it('plans each link alone then bonded, one link, or bonded only', () => {
    expect(st.plan(['wan1', 'wan2'], undefined)).toEqual(['wan1', 'wan2', 'bond']);
    expect(st.plan(['wan1', 'wan2'], '')).toEqual(['wan1', 'wan2', 'bond']);
    expect(st.plan(['wan1', 'wan2'], 'wan2')).toEqual(['wan2']);
    expect(st.plan(['wan1', 'wan2'], 'bond')).toEqual(['bond']);
  });

  it('while running: measured links, the one being measured (per direction), and the rest waiting', () => {
    const order = st.plan(['wan1', 'wan2', 'lte'], undefined);
    const r = st.build(
      {
        job: 'j',
        state: 'running',
        progress: 0.45,
        phase: 'upload',
        link: 'wan2',
        results: [
          { link: 'wan1', down_kbit: 40000, up_kbit: 10000, rtt_ms: 25, loss: 0 },
          { link: 'wan2', down_kbit: 20000 },
        ],
      },
      order,
    );
    type Row = { key: string; pending: string; downPending: string; upPending: string; pctDown: number | null };
    const rows = r.rows as Row[];
    expect(rows.map((x) => [x.key, x.pending, x.downPending, x.upPending])).toEqual([
      ['wan1', '', '', ''],
      ['wan2', 'measuring', '', 'measuring'],
      ['lte', 'waiting', 'waiting', 'waiting'],
      ['bond', 'waiting', 'waiting', 'waiting'],
    ]);
    // No "% of sum" before the bonded test has a figure, and a half-measured link is not in the sum.
    expect(rows[3]!.pctDown).toBeNull();

    // The current link's download not there yet: download is being measured, upload comes next.
    const d = st.build({ job: 'j', state: 'running', phase: 'download', link: 'lte', results: [] }, order);
    const lte = (d.rows as Row[]).find((x) => x.key === 'lte')!;
    expect([lte.downPending, lte.upPending]).toEqual(['measuring', 'waiting']);
    // Links before the current one that have no row were skipped by the daemon: not shown as waiting.
    expect((d.rows as Row[]).map((x) => x.key)).toEqual(['lte', 'bond']);

    // Without a plan (the page was opened during a run) only what the reply says is shown.
    const bare = st.build({ job: 'j', state: 'running', phase: 'download', link: 'bond', results: [] });
    expect((bare.rows as Row[]).map((x) => [x.key, x.pending])).toEqual([['bond', 'measuring']]);
  });

  it('a finished run shows each link alone and the bonded row with its % of the sum', () => {
    const r = st.build(
      {
        job: 'j',
        state: 'done',
        results: [
          { link: 'wan1', down_kbit: 40000, up_kbit: 10000 },
          { link: 'wan2', down_kbit: 20000, up_kbit: 10000 },
          { link: 'bond', down_kbit: 57000, up_kbit: 19000 },
        ],
      },
      ['wan1', 'wan2', 'bond'],
    );
    expect(r.current).toBe('');
    expect(r.rows.map((x: { pending: string }) => x.pending)).toEqual(['', '', '']);
    expect(r.rows[2].pctDown).toBeCloseTo(0.95);
    expect(r.rows[2].pctUp).toBeCloseTo(0.95);
  });

  it('puts singles first, bonded last, and the bonded result against the sum of the singles', () => {
    const r = st.build({
      job: 'a',
      state: 'done',
      finished: 1_700_000_000,
      results: [
        { link: null, down_kbit: 54000, up_kbit: 13500, rtt_ms: 40 },
        { link: 'wan1', down_kbit: 40000, up_kbit: 10000, rtt_ms: 25, loss: 0.001 },
        { link: 'wan2', down_kbit: 20000, up_kbit: 5000, rtt_ms: 45 },
        { link: 'lte', error: 'link down' },
      ],
    });
    expect(r.state).toBe('done');
    expect(r.progress).toBe(1);
    expect(r.rows.map((x: { label: string }) => x.label)).toEqual(['wan1', 'wan2', 'lte', 'Bonded (all links)']);
    const bonded = r.rows[3];
    expect(bonded.bonded).toBe(true);
    expect(bonded.pctDown).toBeCloseTo(0.9);
    expect(bonded.pctUp).toBeCloseTo(0.9);
    expect(r.rows[2].error).toBe('link down');
    expect(r.rows[0].pctDown).toBeNull();
    expect(r.finished).toBe(1_700_000_000);
  });

  it('maps the daemon state names and treats "bond" and "" as the bonded test', () => {
    expect(st.build({ job: 1, state: 'error', error: 'no server' })).toMatchObject({
      state: 'failed',
      error: 'no server',
    });
    expect(st.build({ job: 1, state: 'finished' }).state).toBe('done');
    for (const link of ['bond', 'bonded', '', undefined]) expect(st.isBonded({ link })).toBe(true);
    expect(st.isBonded({ link: 'wan1' })).toBe(false);
  });
});
