/**
 * The emulator's own accuracy and cost (docs/lab.md): rate and delay at 100 Mbit/s on one link, and the
 * emulators' CPU while three 50 Mbit/s links are saturated with TCP.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds } from '../../src/wanbond/lab/daemons.js';
import { runIperf } from '../../src/wanbond/lab/iperf.js';
import { createEmulatorPair, type EmulatorPair, PAIR_B } from '../../src/wanbond/lab/pair.js';
import { runPing } from '../../src/wanbond/lab/ping.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function udpFlood(pair: EmulatorPair, mbit: number, seconds: number, port: number) {
  const server = spawn('ip', ['netns', 'exec', pair.nsB, 'iperf3', '-s', '-1', '-p', String(port)], {
    stdio: 'ignore',
  });
  return sleep(300).then(() => {
    const client = spawn(
      'ip',
      [
        'netns',
        'exec',
        pair.nsA,
        'iperf3',
        '-c',
        PAIR_B,
        '-p',
        String(port),
        '-u',
        '-b',
        `${mbit}M`,
        '-l',
        '1400',
        '-t',
        String(seconds),
      ],
      { stdio: 'ignore' },
    );
    return new Promise<void>((resolve) =>
      client.on('close', () => {
        server.kill('SIGKILL');
        resolve();
      }),
    );
  });
}

export async function runAccuracy(resultsDir: string, prefix: string, log: (t: string) => void): Promise<void> {
  const out: Record<string, unknown> = {};
  // 1. Rate: offer 130 Mbit/s of UDP to a 100 Mbit/s link; count what leaves it (IP bytes) over 4 s.
  const pair = await createEmulatorPair(`${prefix}a`, ['rate both 100', 'queue-ms both 50', 'delay both 10']);
  try {
    const flood = udpFlood(pair, 130, 6, 5401);
    await sleep(1500);
    const a = await pair.emu.stats();
    await sleep(4000);
    const b = await pair.emu.stats();
    await flood;
    const rate = ((b.up.out_bytes - a.up.out_bytes) * 8) / ((b.t_ms - a.t_ms) / 1000) / 1e6;
    out.rateUdpMbit = rate;
    log(`rate, 100 Mbit/s link, UDP overload: ${rate.toFixed(2)} Mbit/s delivered (${(rate - 100).toFixed(2)}%)\n`);
    // 2. One TCP flow through the same link (goodput excludes 52 bytes of headers per 1500).
    const tcp = await runIperf({ clientNs: pair.nsA, serverNs: pair.nsB, host: PAIR_B, port: 5402, seconds: 8 });
    out.tcpGoodputMbit = tcp.mbit;
    log(
      `rate, 100 Mbit/s link, one TCP flow: ${tcp.mbit.toFixed(2)} Mbit/s goodput (max ~96.5 with 1448/1500 payload)\n`,
    );
    // 3. Delay: 10 ms each way, idle and next to a 70 Mbit/s load.
    const idle = await runPing(pair.nsA, PAIR_B, 3, { intervalS: 0.02 });
    const loadDone = udpFlood(pair, 70, 4, 5403);
    await sleep(800);
    const loaded = await runPing(pair.nsA, PAIR_B, 2, { intervalS: 0.02 });
    await loadDone;
    out.delay = { configuredRttMs: 20, idle, loaded: { p50: loaded.p50, p95: loaded.p95, min: loaded.min } };
    log(
      `delay, 2 x 10 ms: idle RTT p50 ${idle.p50} p95 ${idle.p95} min ${idle.min} ms; at 70 Mbit/s p50 ${loaded.p50} p95 ${loaded.p95} ms\n`,
    );
  } finally {
    await pair.dispose();
  }
  // 4. CPU: three 50 Mbit/s links, each saturated by one TCP flow for 10 s.
  const pairs: EmulatorPair[] = [];
  try {
    for (let i = 0; i < 3; i++)
      pairs.push(await createEmulatorPair(`${prefix}c${i}`, ['rate both 50', 'delay both 10']));
    const before = pairs.map((p) => cpuSeconds(p.emu.pid) ?? 0);
    const t0 = Date.now();
    const results = await Promise.all(
      pairs.map((p, i) => runIperf({ clientNs: p.nsA, serverNs: p.nsB, host: PAIR_B, port: 5410 + i, seconds: 10 })),
    );
    const wall = (Date.now() - t0) / 1000;
    const cpu = pairs.map((p, i) => (cpuSeconds(p.emu.pid) ?? 0) - before[i]!);
    const total = cpu.reduce((x, y) => x + y, 0);
    out.cpu3x50 = { mbit: results.map((r) => r.mbit), emulatorCpuS: cpu, wallS: wall, coresUsed: total / wall };
    log(
      `CPU, 3 x 50 Mbit/s TCP: goodput ${results.map((r) => r.mbit.toFixed(1)).join(' / ')} Mbit/s; emulators used ${total.toFixed(2)} CPU s in ${wall.toFixed(1)} s = ${((100 * total) / wall).toFixed(1)}% of one core\n`,
    );
  } finally {
    for (const p of pairs) await p.dispose();
  }
  const file = join(resultsDir, `${new Date().toISOString().slice(0, 10)}-emulator-accuracy.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${file}\n`);
}
