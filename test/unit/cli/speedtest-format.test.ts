import { describe, expect, it } from 'vitest';
import { formatSpeedtest, ofSum } from '../../../src/wanbond/cli/speedtest.js';
import type { SpeedtestJob } from '../../../src/wanbond/speedtest/jobs.js';

function job(results: SpeedtestJob['results'], state: SpeedtestJob['state'] = 'done'): SpeedtestJob {
  return { job: 'st1', state, progress: 1, phase: '', link: '', seconds: 5, results };
}

describe('wanbond speedtest output', () => {
  const rows = [
    { link: 'wan1', down_kbit: 20000, up_kbit: 10000, rtt_ms: 31.5, loss: 0 },
    { link: 'wan2', down_kbit: 10000, up_kbit: 5000, rtt_ms: 61, loss: 0.012 },
    { link: 'bond', down_kbit: 27000, up_kbit: 14250 },
  ];

  it('prints one row per link alone, the bonded row and the bonded share of the sum', () => {
    const text = formatSpeedtest(job(rows));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^LINK\s+DOWN\s+UP\s+RTT\s+LOSS$/);
    expect(lines[1]).toMatch(/^wan1\s+20\.0 Mbit\/s\s+10\.0 Mbit\/s\s+31\.5 ms\s+0\.0%$/);
    expect(lines[2]).toMatch(/^wan2\s+10\.0 Mbit\/s\s+5000 kbit\/s\s+61 ms\s+1\.2%$/);
    expect(lines[3]).toMatch(/^bonded\s+27\.0 Mbit\/s\s+14\.3 Mbit\/s/);
    expect(lines[4]).toBe("bonded = 90 % (down) / 95 % (up) of the links' sum");
  });

  it('gives no share when a link failed or the bonded row is missing', () => {
    expect(ofSum(rows)).toEqual({ down: 90, up: 95 });
    expect(ofSum([{ link: 'wan1', error: 'link down' }, ...rows.slice(1)])).toBeUndefined();
    expect(ofSum(rows.slice(0, 2))).toBeUndefined();
    expect(
      ofSum([
        { link: 'wan1', down_kbit: 1000 },
        { link: 'bond', down_kbit: 900 },
      ]),
    ).toEqual({ down: 90 });
    expect(formatSpeedtest(job(rows.slice(0, 1)))).not.toContain('sum');
  });

  it('says why a failed run failed', () => {
    expect(formatSpeedtest({ ...job([], 'failed'), error: 'the tunnel is not established' })).toBe(
      'speed test failed: the tunnel is not established\n',
    );
  });
});
