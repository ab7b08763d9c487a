/**
 * The speed test job runner with injected transfers: each link alone (pinned) then bonded, the rows, the progress
 * reports, and what happens to links that are down, go down, or fail.
 */
import { describe, expect, it } from 'vitest';
import type { PathStats, SessionStats } from '../../../src/wanbond/engine/api.js';
import type { Transfer } from '../../../src/wanbond/speedtest/client.js';
import {
  type SpeedtestDeps,
  type SpeedtestJob,
  SpeedtestJobs,
  UnknownLinkError,
} from '../../../src/wanbond/speedtest/jobs.js';

/** kbit/s each link gives alone, per direction; unpinned (bonded) gives the sum. */
const RATES: Record<string, { down: number; up: number }> = {
  wan1: { down: 8000, up: 2000 },
  wan2: { down: 4000, up: 1000 },
  wan3: { down: 1000, up: 500 },
};

interface World {
  jobs: SpeedtestJobs;
  pins: Array<string | undefined>;
  /** What a transfer saw when it started: direction, pinned link, and the job's reply then. */
  seen: Array<{ dir: 'down' | 'up'; pinned: string | undefined; reply: SpeedtestJob }>;
  links: Record<string, Partial<PathStats>>;
  state: { session: SessionStats['state']; pinned: string | undefined };
  fail: Set<string>;
  /** Bytes each link carried (the engine's per-path counters). */
  bytes: Record<string, number>;
  /** Pinned to this link, half the bytes still take the other links (a server that ignores the pin). */
  leaky: string | undefined;
}

function world(o: { pin?: boolean; links?: string[]; onTransfer?: (w: World) => void } = {}): World {
  const names = o.links ?? ['wan1', 'wan2'];
  const w: World = {
    jobs: undefined as unknown as SpeedtestJobs,
    pins: [],
    seen: [],
    links: Object.fromEntries(names.map((n) => [n, { state: 'up', lastChange: 1 }])),
    state: { session: 'established', pinned: undefined },
    fail: new Set(),
    bytes: Object.fromEntries(names.map((n) => [n, 0])),
    leaky: undefined,
  };
  const path = (name: string, i: number): PathStats => ({
    pathId: i,
    name,
    state: 'up',
    rttMs: 20.456 + i,
    loss: 0.0123,
    capacityUpKbit: undefined,
    capacityDownKbit: undefined,
    txBytes: 0,
    rxBytes: w.bytes[name]!,
    txPackets: 0,
    rxPackets: 0,
    share: 0,
    lastChange: 1,
    ...w.links[name],
  });
  const transfer =
    (dir: 'down' | 'up') =>
    async (_h: string, _p: number, ms: number): Promise<Transfer> => {
      const pinned = w.state.pinned;
      w.seen.push({ dir, pinned, reply: w.jobs.result() });
      o.onTransfer?.(w);
      await new Promise((r) => setTimeout(r, 5));
      const key = pinned ?? 'bond';
      if (w.fail.has(key)) throw new Error(`no answer through ${key}`);
      const kbit = pinned ? RATES[pinned]![dir] : names.reduce((a, n) => a + RATES[n]![dir], 0) * 0.9;
      const bytes = (kbit * ms) / 8;
      const carriers = pinned && pinned !== w.leaky ? [pinned] : names;
      for (const n of carriers) w.bytes[n]! += bytes / carriers.length;
      return { bytes, ms };
    };
  const deps: SpeedtestDeps = {
    target: () => ({ host: '10.255.0.1', port: 5555 }),
    stats: () => ({
      state: w.state.session,
      establishedAt: 0,
      paths: names.map(path),
      reorderDepth: 0,
      resentPackets: 0,
      duplicatePackets: 0,
      txBytes: 0,
      rxBytes: names.reduce((a, n) => a + w.bytes[n]!, 0),
    }),
    linkNames: () => names,
    download: transfer('down'),
    upload: transfer('up'),
  };
  if (o.pin !== false) {
    deps.pin = (link) => {
      w.pins.push(link);
      w.state.pinned = link;
    };
  }
  w.jobs = new SpeedtestJobs(deps);
  return w;
}

async function finished(jobs: SpeedtestJobs, id: string): Promise<SpeedtestJob> {
  for (let i = 0; i < 200; i++) {
    const r = jobs.result(id);
    if (r.state === 'done' || r.state === 'failed') return r;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('job did not finish');
}

describe('speed test: each link alone, then bonded', () => {
  it('measures every link pinned (down then up), then the bond unpinned, with one row each', async () => {
    const w = world();
    const { job } = w.jobs.start({ seconds: 1 });
    expect(w.jobs.result(job)).toMatchObject({ state: 'queued', link: '', phase: '' });
    const r = await finished(w.jobs, job);
    expect(r.state).toBe('done');
    expect(r.results).toEqual([
      { link: 'wan1', down_kbit: 8000, up_kbit: 2000, rtt_ms: 20.46, loss: 0.0123 },
      { link: 'wan2', down_kbit: 4000, up_kbit: 1000, rtt_ms: 21.46, loss: 0.0123 },
      { link: 'bond', down_kbit: 10800, up_kbit: 2700 },
    ]);
    // Pinned for its own two transfers, unpinned after each link; the bond runs unpinned.
    expect(w.pins).toEqual(['wan1', undefined, 'wan2', undefined]);
    expect(w.seen.map((s) => [s.dir, s.pinned ?? 'bond'])).toEqual([
      ['down', 'wan1'],
      ['up', 'wan1'],
      ['down', 'wan2'],
      ['up', 'wan2'],
      ['down', 'bond'],
      ['up', 'bond'],
    ]);
    expect(r).toMatchObject({ progress: 1, phase: '', link: '' });
    expect(r.finished).toBeGreaterThanOrEqual(r.started!);
  });

  it('reports the phase and the link being measured, with progress rising through the run', async () => {
    const w = world();
    const { job } = w.jobs.start({ seconds: 1 });
    await finished(w.jobs, job);
    expect(w.seen.map((s) => [s.reply.state, s.reply.phase, s.reply.link])).toEqual([
      ['running', 'down', 'wan1'],
      ['running', 'up', 'wan1'],
      ['running', 'down', 'wan2'],
      ['running', 'up', 'wan2'],
      ['running', 'down', 'bond'],
      ['running', 'up', 'bond'],
    ]);
    // Six phases of equal length: phase k starts at k/6.
    expect(w.seen.map((s) => Math.round(s.reply.progress * 6))).toEqual([0, 1, 2, 3, 4, 5]);
    // Rows appear as the run goes: the one being measured is already listed.
    expect(w.seen.map((s) => s.reply.results.length)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it("link NAME measures that link alone; link 'bond' only the bonded tunnel; unknown links are refused", async () => {
    const w = world();
    const one = await finished(w.jobs, w.jobs.start({ link: 'wan2', seconds: 1 }).job);
    expect(one.results).toEqual([{ link: 'wan2', down_kbit: 4000, up_kbit: 1000, rtt_ms: 21.46, loss: 0.0123 }]);
    expect(w.pins).toEqual(['wan2', undefined]);
    const bond = await finished(w.jobs, w.jobs.start({ link: 'bond', seconds: 1 }).job);
    expect(bond.results).toEqual([{ link: 'bond', down_kbit: 10800, up_kbit: 2700 }]);
    expect(w.pins).toEqual(['wan2', undefined]);
    expect(() => w.jobs.start({ link: 'nosuch' })).toThrow(UnknownLinkError);
  });

  it('caps the seconds per phase', async () => {
    const w = world();
    const { job } = w.jobs.start({ link: 'bond', seconds: 500 });
    expect(w.jobs.result(job).seconds).toBe(30);
    w.jobs.close();
  });

  it('a link that is down gets an error row without a transfer; the others are measured', async () => {
    const w = world({ links: ['wan1', 'wan2', 'wan3'] });
    w.links.wan2 = { state: 'down', lastChange: 5 };
    const r = await finished(w.jobs, w.jobs.start({ seconds: 1 }).job);
    expect(r.state).toBe('done');
    expect(r.results.map((x) => [x.link, x.down_kbit ?? null, x.error ?? null])).toEqual([
      ['wan1', 8000, null],
      ['wan2', null, 'link down'],
      ['wan3', 1000, null],
      ['bond', 11700, null],
    ]);
    expect(w.seen.some((s) => s.pinned === 'wan2')).toBe(false);
    expect(w.pins).toEqual(['wan1', undefined, 'wan3', undefined]);
  });

  it('a link that goes down during its test gets an error (its traffic fell back to the others)', async () => {
    const w = world({
      onTransfer: (x) => {
        if (x.state.pinned === 'wan1') x.links.wan1 = { state: 'suspect', lastChange: 9 };
      },
    });
    const r = await finished(w.jobs, w.jobs.start({ seconds: 1 }).job);
    expect(r.results[0]).toMatchObject({ link: 'wan1', down_kbit: 8000, error: 'link went down during the test' });
    expect(r.results[1]!.error).toBeUndefined();
  });

  it('a link that did not carry its own test (the server ignored the pin) gets an error, with its figure', async () => {
    const w = world();
    w.leaky = 'wan2';
    const r = await finished(w.jobs, w.jobs.start({ seconds: 1 }).job);
    expect(r.results[0]!.error).toBeUndefined();
    expect(r.results[1]).toMatchObject({
      link: 'wan2',
      down_kbit: 4000,
      error: 'other links carried 50% of the test (link unstable, or a server without pinning)',
    });
  });

  it('a failed transfer is that row error; the job fails only when nothing could be measured', async () => {
    const w = world();
    w.fail.add('wan2');
    const r = await finished(w.jobs, w.jobs.start({ seconds: 1 }).job);
    expect(r.state).toBe('done');
    expect(r.results[1]).toEqual({ link: 'wan2', error: 'no answer through wan2', rtt_ms: 21.46, loss: 0.0123 });
    expect(w.state.pinned).toBeUndefined();

    w.fail.add('wan1');
    w.fail.add('bond');
    const all = await finished(w.jobs, w.jobs.start({ seconds: 1 }).job);
    expect(all).toMatchObject({ state: 'failed', error: 'no answer through wan1', phase: '', link: '' });
    expect(all.results).toHaveLength(3);
  });

  it('without a way to pin, links cannot be measured alone: their rows say so, the bond is measured', async () => {
    const w = world({ pin: false });
    const r = await finished(w.jobs, w.jobs.start({ seconds: 1 }).job);
    expect(r.results.map((x) => x.error ?? x.down_kbit)).toEqual([
      'this daemon cannot measure a link alone',
      'this daemon cannot measure a link alone',
      10800,
    ]);
  });

  it('fails clearly when the tunnel is not established', async () => {
    const w = world();
    w.state.session = 'handshaking';
    const r = await finished(w.jobs, w.jobs.start({}).job);
    expect(r).toMatchObject({ state: 'failed', error: 'the tunnel is not established' });
    expect(w.pins).toEqual([]);
  });

  it('closing aborts the run: the job fails and the tunnel is unpinned', async () => {
    const w = world({
      onTransfer: (x) => {
        if (x.state.pinned === 'wan1') queueMicrotask(() => x.jobs.close());
      },
    });
    // The fake transfers do not listen to the abort signal: close() while one runs, the next phase sees it.
    const r = await finished(w.jobs, w.jobs.start({ seconds: 1 }).job);
    expect(r).toMatchObject({ state: 'failed', error: 'aborted' });
    expect(w.state.pinned).toBeUndefined();
    expect(w.seen).toHaveLength(1);
  });
});
