/**
 * The speed test parts on loopback: the responder and client (real TCP), the protocol's bounds, and the job
 * runner turning per-path byte counters into per-link rates next to the bonded figure.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PathStats, SessionStats } from '../../../src/wanbond/engine/api.js';
import { measureDownload, measureUpload } from '../../../src/wanbond/speedtest/client.js';
import {
  SpeedtestJobs,
  serverTunnelAddress,
  UnknownJobError,
  UnknownLinkError,
} from '../../../src/wanbond/speedtest/jobs.js';
import { formatRequest, MAX_TEST_MS, parseRequest } from '../../../src/wanbond/speedtest/protocol.js';
import { SpeedtestResponder } from '../../../src/wanbond/speedtest/responder.js';

describe('speed test protocol', () => {
  it('round-trips requests and caps their length', () => {
    expect(parseRequest(formatRequest({ direction: 'D', ms: 2000 }))).toEqual({ direction: 'D', ms: 2000 });
    expect(parseRequest('WBST1 U 999999')).toEqual({ direction: 'U', ms: MAX_TEST_MS });
    expect(parseRequest('GET / HTTP/1.1')).toBeUndefined();
    expect(parseRequest('WBST1 X 10')).toBeUndefined();
  });

  it('the server tunnel address is the first host of the router tunnel subnet', () => {
    expect(serverTunnelAddress('10.255.0.7/24')).toBe('10.255.0.1');
    expect(serverTunnelAddress('100.64.3.9/22')).toBe('100.64.0.1');
    expect(serverTunnelAddress('10.0.0.1/32')).toBeUndefined();
    expect(serverTunnelAddress('fd00::2/64')).toBeUndefined();
  });
});

describe('responder and client over loopback', () => {
  let responder: SpeedtestResponder;
  beforeAll(async () => {
    responder = await SpeedtestResponder.listen('127.0.0.1', 0);
  });
  afterAll(async () => {
    await responder.close();
  });
  const port = () => responder.port;

  it('download: the responder sends for the asked time, then closes', async () => {
    const t = await measureDownload('127.0.0.1', port(), 300);
    expect(t.bytes).toBeGreaterThan(64 * 1024);
    expect(t.ms).toBeGreaterThanOrEqual(250);
    expect(t.ms).toBeLessThan(3000);
  });

  it('upload: the responder reports every byte it received', async () => {
    const t = await measureUpload('127.0.0.1', port(), 300);
    expect(t.bytes).toBeGreaterThan(64 * 1024);
    expect(t.ms).toBeGreaterThanOrEqual(250);
  });

  it('a connection that does not speak the protocol is closed', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(port(), '127.0.0.1', () => s.write('hello there\n'));
      s.on('close', () => resolve(true));
      s.on('error', () => {});
      setTimeout(() => resolve(false), 3000);
    });
    expect(closed).toBe(true);
  });

  it('closing the jobs aborts a running transfer: the job fails at once, nothing outlives the daemon', async () => {
    const jobs = new SpeedtestJobs({
      target: () => ({ host: '127.0.0.1', port: port() }),
      stats: () => ({
        state: 'established',
        establishedAt: 0,
        paths: [],
        reorderDepth: 0,
        resentPackets: 0,
        duplicatePackets: 0,
        txBytes: 0,
        rxBytes: 0,
      }),
      linkNames: () => [],
    });
    const { job } = jobs.start({ seconds: 10 });
    await new Promise((r) => setTimeout(r, 300));
    expect(jobs.result(job).state).toBe('running');
    const t0 = Date.now();
    jobs.close();
    while (jobs.result(job).state === 'running' && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
    expect(jobs.result(job)).toMatchObject({ state: 'failed', error: 'aborted' });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a refused connection is an error, not a hang', async () => {
    await expect(measureDownload('127.0.0.1', 1, 200)).rejects.toThrow(/cannot reach/);
  });
});

function path(name: string, rx: number, tx: number): PathStats {
  return {
    pathId: 0,
    name,
    state: 'up',
    rttMs: 12.345,
    loss: 0.01,
    capacityUpKbit: undefined,
    capacityDownKbit: undefined,
    txBytes: tx,
    rxBytes: rx,
    txPackets: 0,
    rxPackets: 0,
    share: 0.5,
    lastChange: 0,
  };
}

describe('speed test jobs', () => {
  function setup(state: SessionStats['state'] = 'established') {
    let tick = 0;
    const stats = (): SessionStats => {
      tick++;
      // Each look: wan1 carried 10000 more bytes each way, wan2 5000.
      return {
        state,
        establishedAt: 0,
        paths: [path('wan1', tick * 10_000, tick * 10_000), path('wan2', tick * 5_000, tick * 5_000)],
        reorderDepth: 0,
        resentPackets: 0,
        duplicatePackets: 0,
        txBytes: 0,
        rxBytes: 0,
      };
    };
    const transfer = async (_h: string, _p: number, ms: number) => {
      await new Promise((r) => setTimeout(r, 100));
      return { bytes: 12_500, ms: Math.max(ms, 100) };
    };
    return new SpeedtestJobs({
      target: () => ({ host: '10.255.0.1', port: 5555 }),
      stats,
      linkNames: () => ['wan1', 'wan2'],
      download: transfer,
      upload: transfer,
    });
  }

  async function finished(jobs: SpeedtestJobs, id: string) {
    for (let i = 0; i < 100; i++) {
      const r = jobs.result(id);
      if (r.state === 'done' || r.state === 'failed') return r;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('job did not finish');
  }

  it('restricts the rows to one link, rejects unknown links and jobs', async () => {
    const jobs = setup();
    const { job } = jobs.start({ link: 'wan2', seconds: 1 });
    const r = await finished(jobs, job);
    expect(r.results.map((x) => x.link)).toEqual(['wan2']);
    expect(() => jobs.start({ link: 'nosuch' })).toThrow(UnknownLinkError);
    expect(() => jobs.result('nosuch')).toThrow(UnknownJobError);
    expect(() =>
      new SpeedtestJobs({ target: () => undefined, stats: () => ({}) as SessionStats, linkNames: () => [] }).result(),
    ).toThrow(UnknownJobError);
  });

  it('fails clearly when the tunnel is not established', async () => {
    const jobs = setup('handshaking');
    const { job } = jobs.start({});
    const r = await finished(jobs, job);
    expect(r.state).toBe('failed');
    expect(r.error).toMatch(/not established/);
  });
});
