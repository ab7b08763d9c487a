#!/usr/bin/env node
// bench/tun-io: how many 1400-byte packets per second tuntap2 moves between two TUN devices in one Node process.
//
// In a fresh namespace with forwarding on: packets written into TUN A (10.201.1.0/24 side) addressed to
// 10.201.2.2 are routed by the kernel out of TUN B, where we read them, and the same the other way round at the
// same time. Each direction keeps a fixed window of packets in flight (a new packet is written for every packet
// read), so the figure is what read + write sustain without the kernel dropping. Both directions run together,
// like a tunnel daemon that reads its TUN for uploads while it writes downloads into it.
//
//   node bench/tun-io/run.mjs [--seconds 5] [--api packets|batch] [--batch 64] [--window 512]
// Needs root. Prints JSON and writes bench/results/tun-io.json.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const PACKET_BYTES = 1400;

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const seconds = Number(arg('seconds', '5'));
const api = arg('api', 'packets');
const batchSize = Number(arg('batch', '64'));
const window = Number(arg('window', '512'));

if (process.argv.includes('--inside')) {
  await inside(arg('bundle', ''), arg('tag', 'wb'));
} else {
  await outside();
}

async function outside() {
  if (process.getuid?.() !== 0) {
    console.error('bench/tun-io needs root (it creates a network namespace and TUN devices)');
    process.exit(1);
  }
  execFileSync('make', ['-C', join(root, 'src/tuntap2'), '-s', '--no-print-directory'], { stdio: 'inherit' });
  // The daemon runs the wrapper from an esbuild bundle; so does this benchmark.
  const { build } = await import('esbuild');
  const tag = `wb${Math.random().toString(16).slice(2, 8)}`;
  const bundle = join(tmpdir(), `${tag}-tuntap2-bench.mjs`);
  await build({
    entryPoints: [join(root, 'src/tuntap2/src/index.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    logLevel: 'warning',
  });
  const ns = `${tag}bench`;
  const cleanup = () => {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(bundle, { force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  let result;
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    const args = [process.argv[1], '--inside', '--bundle', bundle, '--tag', tag];
    args.push('--seconds', String(seconds), '--api', api, '--batch', String(batchSize), '--window', String(window));
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, ...args], {
      env: { ...process.env, WANBOND_ADDON_DIR: join(root, 'src/tuntap2/build') },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: (seconds + 30) * 1000,
    });
    result = JSON.parse(out);
  } finally {
    cleanup();
  }
  const text = `${JSON.stringify(result, null, 2)}\n`;
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/tun-io.json'), text);
  process.stdout.write(text);
}

function ipv4Checksum(p) {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A 1400-byte IPv4/UDP packet; UDP checksum 0 (allowed for IPv4) so the sequence number can change freely. */
function udpPacket(src, dst) {
  const p = new Uint8Array(PACKET_BYTES);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, PACKET_BYTES);
  p[8] = 64;
  p[9] = 17;
  p.set(src, 12);
  p.set(dst, 16);
  v.setUint16(10, ipv4Checksum(p));
  v.setUint16(20, 40000);
  v.setUint16(22, 40001);
  v.setUint16(24, PACKET_BYTES - 20);
  return p;
}

function sh(...args) {
  execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function inside(bundle, tag) {
  const { TunDevice } = await import(pathToFileURL(bundle).href);
  for (const [k, v] of [
    ['net.ipv4.ip_forward', '1'],
    ['net.ipv4.conf.all.rp_filter', '0'],
    ['net.ipv4.conf.default.rp_filter', '0'],
    ['net.ipv6.conf.all.disable_ipv6', '1'],
    ['net.ipv6.conf.default.disable_ipv6', '1'],
  ]) {
    writeFileSync(`/proc/sys/${k.replaceAll('.', '/')}`, v);
  }
  const a = TunDevice.open({ name: `${tag}a`, batchSize });
  const b = TunDevice.open({ name: `${tag}b`, batchSize });
  sh('ip', 'link', 'set', 'lo', 'up');
  sh('ip', 'addr', 'add', '10.201.1.1/24', 'dev', a.name);
  sh('ip', 'addr', 'add', '10.201.2.1/24', 'dev', b.name);
  for (const t of [a, b]) sh('ip', 'link', 'set', t.name, 'up', 'mtu', '1500', 'txqueuelen', '1000');

  // A -> B: written into A, leaves through B. B -> A: the reverse.
  const dirs = [
    { from: a, to: b, packet: udpPacket([10, 201, 1, 2], [10, 201, 2, 2]), sent: 0, received: 0, bytes: 0, bad: 0 },
    { from: b, to: a, packet: udpPacket([10, 201, 2, 2], [10, 201, 1, 2]), sent: 0, received: 0, bytes: 0, bad: 0 },
  ];
  const batch = [];
  let running = true;
  const send = (d, n) => {
    while (n > 0 && running) {
      const k = Math.min(n, batchSize);
      batch.length = k;
      batch.fill(d.packet, 0, k);
      const w = d.from.writeBatch(batch, k);
      d.sent += w;
      n -= w;
      if (w < k) break; // EAGAIN: the pump below tops the window up again
    }
  };
  // The forwarded packet has its TTL lowered by one: a cheap check that what we read is what the kernel routed.
  const isForwarded = (p) => p.length === PACKET_BYTES && p[8] === 63 && p[9] === 17;
  for (const d of dirs) {
    if (api === 'batch') {
      d.to.onBatch((count, raw) => {
        for (let i = 0; i < count; i++) {
          const len = raw.lengths[i];
          const off = i * raw.stride;
          if (len === PACKET_BYTES && raw.bytes[off + 8] === 63) {
            d.received++;
            d.bytes += len;
          } else d.bad++;
        }
        send(d, count);
      });
    } else {
      d.to.onPackets((packets) => {
        for (const p of packets) {
          if (isForwarded(p)) {
            d.received++;
            d.bytes += p.length;
          } else d.bad++;
        }
        send(d, packets.length);
      });
    }
  }
  // Packets the kernel dropped shrink the window for good; this keeps it full.
  const pump = setInterval(() => {
    for (const d of dirs) send(d, window - (d.sent - d.received));
  }, 5);

  // Warm-up, then measure.
  for (const d of dirs) send(d, window);
  await new Promise((r) => setTimeout(r, 300));
  const start = dirs.map((d) => ({ ...d }));
  const statsStart = [a.stats(), b.stats()];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const statsEnd = [a.stats(), b.stats()];
  running = false;
  clearInterval(pump);
  a.close();
  b.close();

  const per = dirs.map((d, i) => {
    const received = d.received - start[i].received;
    const sent = d.sent - start[i].sent;
    const rx = statsEnd[1 - i].rxBatches - statsStart[1 - i].rxBatches;
    return {
      direction: i === 0 ? 'A->B' : 'B->A',
      packetsPerSecond: Math.round(received / elapsed),
      mbitPerSecond: Math.round(((d.bytes - start[i].bytes) * 8) / elapsed / 1e6),
      written: sent,
      read: received,
      lostOrQueued: sent - received,
      unexpected: d.bad,
      averageReadBatch: rx > 0 ? +(received / rx).toFixed(1) : 0,
    };
  });
  const result = {
    bench: 'tun-io',
    packetBytes: PACKET_BYTES,
    seconds: +elapsed.toFixed(2),
    api,
    batchSize,
    window,
    node: process.version,
    directions: per,
    minPacketsPerSecondEachWay: Math.min(...per.map((p) => p.packetsPerSecond)),
    totalMbitPerSecond: per.reduce((s, p) => s + p.mbitPerSecond, 0),
    cpuSecondsPerSecond: +((cpu.user + cpu.system) / 1e6 / elapsed).toFixed(2),
    goalPacketsPerSecondEachWay: 100000,
  };
  result.goalMet = result.minPacketsPerSecondEachWay >= result.goalPacketsPerSecondEachWay;
  process.stdout.write(JSON.stringify(result));
}
