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
    expect(r.phase).toBe('Measuring download on wan2');
    expect(r.job).toBe('7');
    expect(st.build({ job: 1, state: 'queued' }).phase).toBe('Starting');
    expect(st.build({ job: 1, state: 'running', phase: 'upload', link: 'bond' }).phase).toBe(
      'Measuring upload on bonded tunnel',
    );
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
