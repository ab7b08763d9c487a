import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRoot, uniquePrefix } from '../../../src/wanbond/lab/netns.js';
import { createEmulatorPair, type EmulatorPair, PAIR_B } from '../../../src/wanbond/lab/pair.js';
import { runPing } from '../../../src/wanbond/lab/ping.js';
import { fixedRateTrace, traceText } from '../../../src/wanbond/lab/trace-gen.js';

function run(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.on('close', () => resolve(out));
  });
}

/** Offers `mbit` of UDP from A to B for `seconds` and returns the rate the emulator delivered (IP bytes). */
async function deliveredMbit(pair: EmulatorPair, mbit: number, seconds: number): Promise<number> {
  const server = spawn('ip', ['netns', 'exec', pair.nsB, 'iperf3', '-s', '-1', '-p', '5301'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const client = run(
    ['netns', 'exec', pair.nsA, 'iperf3', '-c', PAIR_B, '-p', '5301', '-u', '-b', `${mbit}M`].concat([
      '-l',
      '1400',
      '-t',
      String(seconds + 1),
    ]),
  );
  // Skip the first second (iperf3 start-up), then count what left the emulator.
  await new Promise((r) => setTimeout(r, 1000));
  const a = await pair.emu.stats();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await pair.emu.stats();
  await client;
  server.kill('SIGKILL');
  return ((b.up.out_bytes - a.up.out_bytes) * 8) / ((b.t_ms - a.t_ms) / 1000) / 1e6;
}

describe.skipIf(!isRoot())('link emulator in namespaces (needs root)', () => {
  let pair: EmulatorPair | undefined;
  afterEach(async () => {
    await pair?.dispose();
    pair = undefined;
  });

  it('a 10 Mbit/s link carries 9-11 Mbit/s and drops the excess at its queue', async () => {
    pair = await createEmulatorPair(uniquePrefix(), ['rate both 10', 'queue-ms both 50']);
    const mbit = await deliveredMbit(pair, 20, 2);
    expect(mbit).toBeGreaterThan(9);
    expect(mbit).toBeLessThan(11);
    const s = await pair.emu.stats();
    expect(s.up.drop.queue).toBeGreaterThan(0);
  });

  it('a 12 Mbit/s Mahimahi trace carries 11-13 Mbit/s', async () => {
    const file = join(tmpdir(), `wb-test-${process.pid}.trace`);
    writeFileSync(file, traceText(fixedRateTrace(12, 1)));
    pair = await createEmulatorPair(uniquePrefix(), [`trace both ${file}`]);
    const mbit = await deliveredMbit(pair, 20, 2);
    expect(mbit).toBeGreaterThan(11);
    expect(mbit).toBeLessThan(13);
  });

  it('adds the one-way delay in each direction (RTT 40 ms +- 2)', async () => {
    pair = await createEmulatorPair(uniquePrefix(), ['rate both 100', 'delay both 20']);
    const ping = await runPing(pair.nsA, PAIR_B, 2, { intervalS: 0.05 });
    expect(ping.samples.length).toBeGreaterThan(20);
    expect(ping.p50!).toBeGreaterThan(39.5);
    expect(ping.p50!).toBeLessThan(42);
    expect(ping.min!).toBeGreaterThanOrEqual(40);
  });

  it('jitter spreads delays within delay +- jitter', async () => {
    pair = await createEmulatorPair(uniquePrefix(), ['delay up 20', 'jitter up 10']);
    const ping = await runPing(pair.nsA, PAIR_B, 2, { intervalS: 0.02 });
    const sorted = [...ping.samples].sort((a, b) => a - b);
    expect(sorted[sorted.length - 1]! - sorted[0]!).toBeGreaterThan(5);
    expect(sorted[0]!).toBeGreaterThanOrEqual(10);
    expect(sorted[sorted.length - 1]!).toBeLessThan(33);
  });

  it('loses about the configured share of packets, counted by cause', async () => {
    pair = await createEmulatorPair(uniquePrefix(), ['loss up 20']);
    await run(['netns', 'exec', pair.nsA, 'ping', '-n', '-q', '-f', '-c', '1000', '-W', '1', PAIR_B]);
    const s = await pair.emu.stats();
    expect(s.up.in_pkts).toBeGreaterThanOrEqual(1000);
    expect(s.up.drop.loss).toBeGreaterThan(140);
    expect(s.up.drop.loss).toBeLessThan(260);
    expect(s.down.drop.loss).toBe(0);
    expect(s.up.out_pkts + s.up.drop.loss).toBe(s.up.in_pkts);
  });

  it('Gilbert-Elliott loses in bursts near the stationary rate p/(p+r)', async () => {
    pair = await createEmulatorPair(uniquePrefix(), ['ge up 5 45']);
    await run(['netns', 'exec', pair.nsA, 'ping', '-n', '-q', '-f', '-c', '2000', '-W', '1', PAIR_B]);
    const s = await pair.emu.stats();
    const share = s.up.drop.burst / s.up.in_pkts;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.16);
  });

  it('cut drops everything until restore, on command and on schedule', async () => {
    pair = await createEmulatorPair(uniquePrefix(), ['delay both 5'], {
      schedule: [{ atMs: 1500, command: 'cut' }],
    });
    expect((await runPing(pair.nsA, PAIR_B, 1, { intervalS: 0.1 })).samples.length).toBeGreaterThan(5);
    await new Promise((r) => setTimeout(r, 700));
    const cutPing = await runPing(pair.nsA, PAIR_B, 1, { intervalS: 0.1 });
    expect(cutPing.samples.length).toBe(0);
    const s = await pair.emu.stats();
    expect(s.up.cut).toBe(true);
    expect(s.up.drop.cut).toBeGreaterThan(5);
    await pair.emu.command('restore');
    expect((await runPing(pair.nsA, PAIR_B, 1, { intervalS: 0.1 })).samples.length).toBeGreaterThan(5);
    await pair.emu.command('cut down');
    const oneWay = await pair.emu.stats();
    expect([oneWay.up.cut, oneWay.down.cut]).toEqual([false, true]);
  });

  it('refuses bad commands with a reason', async () => {
    pair = await createEmulatorPair(uniquePrefix(), []);
    await expect(pair.emu.command('rate sideways 5')).rejects.toThrow(/direction/);
    await expect(pair.emu.command('loss up 250')).rejects.toThrow(/percentage/);
    await expect(pair.emu.command('trace up /nonexistent/x')).rejects.toThrow(/No such file/);
    await expect(pair.emu.command('frobnicate up 1')).rejects.toThrow(/unknown command/);
  });
});
