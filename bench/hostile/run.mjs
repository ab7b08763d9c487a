#!/usr/bin/env node
// Hostile-input benchmark (needs root): a live wanbond server in a namespace takes a flood of garbage and forged
// handshakes from an attacker namespace while a real router moves an iperf3 TCP transfer through the tunnel.
//
//   node bench/hostile/run.mjs [--random N] [--handshakes N] [--pps N] [--mbit N] [--rounds N] [--build] [--debug]
//
// Runs dist/wanbond.js (`make build` first, or --build) from a private copy: a rebuild while it runs rewrites
// dist/tuntap2.node in place, which would kill (SIGBUS) every process that has it mapped.
//
// Topology (every name under one random wb prefix, removed at the end):
//   router R (10.92.0.2, WAN shaped to --mbit with tbf both ways) -- isp X -- vps V (198.18.0.1:5555, the server)
//                                                                           `-- attacker A (10.93.0.2)
// A sends --random random datagrams (1,000,000; half of them typed like wanbond messages) and --handshakes forged
// initiations (100,000: half with a random mac1, what a scanner can send; half with a valid mac1, what someone who
// knows the server's public key can send) at --pps, cut into --rounds parts (3). Each round is a quiet iperf3 upload
// and one under its part of the flood, alternating which comes first; the throughput figure is the median flooded
// run over the median quiet run (one pair of runs on a shared machine was too noisy: 0.90-1.08 over three runs).
// Counted: server crashes (its process must still run), bytes from the server reaching A (nft counters in A and in
// V's output), the throughputs, the server's RSS before and after and its `status` process/limits sections, kernel
// UDP drops, the load average before and after. Writes bench/results/hostile.json.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NsChildren, ns, removeNamespaces, sh, sleep, waitFor } from '../lib/procs.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RANDOM = opt('--random', 1_000_000);
const HANDSHAKES = opt('--handshakes', 100_000);
const PPS = opt('--pps', 50_000);
const MBIT = opt('--mbit', 50);
const ROUNDS = Math.max(1, opt('--rounds', 3));
const P = `wb${randomBytes(3).toString('hex')}`;
const NS = { r: `${P}r`, x: `${P}x`, v: `${P}v`, a: `${P}a` };
const TUN = `${P}t`;
const dir = mkdtempSync(join(tmpdir(), 'wbhostile-'));
const children = new NsChildren();

const log = (msg) => process.stderr.write(`hostile: ${msg}\n`);

const spawnIn = (n, cmd, a) => children.spawn(n, cmd, a);

function cleanup() {
  children.killAll();
  removeNamespaces(Object.values(NS));
  rmSync(dir, { recursive: true, force: true });
}

function veth(a, nsA, addrA, b, nsB, addrB) {
  sh('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
  ns(nsA, 'ip', ['addr', 'add', addrA, 'dev', a]);
  ns(nsB, 'ip', ['addr', 'add', addrB, 'dev', b]);
  ns(nsA, 'ip', ['link', 'set', a, 'up']);
  ns(nsB, 'ip', ['link', 'set', b, 'up']);
}

function topology() {
  for (const n of Object.values(NS)) {
    sh('ip', ['netns', 'add', n]);
    ns(n, 'ip', ['link', 'set', 'lo', 'up']);
  }
  ns(NS.x, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  veth(`${P}rw`, NS.r, '10.92.0.2/24', `${P}xr`, NS.x, '10.92.0.1/24');
  veth(`${P}vp`, NS.v, '198.18.0.1/24', `${P}xv`, NS.x, '198.18.0.2/24');
  veth(`${P}ae`, NS.a, '10.93.0.2/24', `${P}xa`, NS.x, '10.93.0.1/24');
  ns(NS.r, 'ip', ['route', 'add', 'default', 'via', '10.92.0.1']);
  ns(NS.v, 'ip', ['route', 'add', 'default', 'via', '198.18.0.2']);
  ns(NS.a, 'ip', ['route', 'add', 'default', 'via', '10.93.0.1']);
  // The router's WAN is the bottleneck (a DSL/cellular link), both ways: the flood must not take its share.
  for (const [n, dev] of [
    [NS.r, `${P}rw`],
    [NS.x, `${P}xr`],
  ]) {
    ns(n, 'tc', ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${MBIT}mbit`, 'burst', '64kb', 'latency', '50ms']);
  }
  // What reaches the attacker from the server, counted on both ends.
  const count = (hook, match) =>
    `table inet wbh {\n  chain c {\n    type filter hook ${hook} priority 0;\n    ${match} counter\n  }\n}\n`;
  ns(NS.a, 'nft', ['-f', '-'], count('input', 'ip saddr 198.18.0.1'));
  ns(NS.v, 'nft', ['-f', '-'], count('output', 'ip daddr 10.93.0.2'));
}

function nftCounter(n) {
  const m = /counter packets (\d+) bytes (\d+)/.exec(ns(n, 'nft', ['list', 'table', 'inet', 'wbh']));
  return { packets: Number(m?.[1] ?? Number.NaN), bytes: Number(m?.[2] ?? Number.NaN) };
}

function udpStats(n) {
  const lines = ns(n, 'cat', ['/proc/net/snmp'])
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/).map(Number);
  return Object.fromEntries(names.slice(1).map((k, i) => [k, values[i + 1]]));
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rssKb: get('VmRSS'), peakKb: get('VmHWM') };
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

/**
 * Seconds the process's main thread (the event loop) was runnable but waited for a CPU: how much the machine's
 * other load, the flood generator's included (it shares these cores), held the server back.
 */
function runDelaySeconds(pid) {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
}

/** Initiations with a valid mac1 (HMAC keyed by the server's public key) and random everything else. */
function forgedInitiations(serverPub, count) {
  const key = createHash('sha256').update('mac1----').update(serverPub).digest();
  const out = [];
  for (let i = 0; i < count; i++) {
    const m = randomBytes(141);
    m[0] = 0x11;
    m.fill(0, 125);
    createHmac('sha256', key).update(m.subarray(0, 109)).digest().copy(m, 109, 0, 16);
    const len = Buffer.alloc(2);
    len.writeUInt16LE(m.length);
    out.push(len, m);
  }
  return Buffer.concat(out);
}

function configs(keys) {
  const server = `config server 'main'
\toption listen '::'
\toption port '5555'
\toption private_key '${keys.server}'
\toption address '10.255.0.1/24'
\toption masquerade '0'
\toption tun '${TUN}'

config client 'home'
\toption public_key '${keys.routerPub}'
\toption address '10.255.0.2'
`;
  const router = `config wanbond 'main'
\toption enabled '1'
\toption server '198.18.0.1'
\toption port '5555'
\toption private_key '${keys.router}'
\toption server_key '${keys.serverPub}'
\toption mode 'bond'
\toption address '10.255.0.2/24'
\toption tun '${TUN}'

config link 'wan0'
\toption device '${P}rw'
\toption source '10.92.0.2'
`;
  writeFileSync(join(dir, 'server'), server);
  writeFileSync(join(dir, 'router'), router);
}

async function iperf(seconds) {
  // The first second (slow start) is left out of the figure.
  const c = spawnIn(NS.r, 'iperf3', [
    '-c',
    '10.255.0.1',
    '-t',
    String(seconds),
    '-O',
    '1',
    '-J',
    '--connect-timeout',
    '5000',
  ]);
  const { code } = await c.exited;
  if (code !== 0) throw new Error(`iperf3 failed (${code}):\n${c.out.slice(-2000)}`);
  const j = JSON.parse(c.out);
  return {
    mbit: j.end.sum_received.bits_per_second / 1e6,
    bytes: j.end.sum_received.bytes,
    retransmits: j.end.sum_sent.retransmits,
  };
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return Number((v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2).toFixed(2));
}

function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root (namespaces)');
  if (args.includes('--build')) sh(process.execPath, [join(ROOT, 'scripts', 'build.mjs')]);
  for (const file of ['wanbond.js', 'tuntap2.node', 'package.json'])
    copyFileSync(join(ROOT, 'dist', file), join(dir, file));
  const BUNDLE = join(dir, 'wanbond.js');
  const flood = join(dir, 'flood');
  sh('gcc', ['-O2', '-o', flood, join(HERE, 'flood.c')]);
  const keygen = () => sh(process.execPath, [BUNDLE, 'keygen']).trim();
  const pub = (k) => sh(process.execPath, [BUNDLE, 'pubkey'], `${k}\n`).trim();
  const keys = { server: keygen(), router: keygen() };
  keys.serverPub = pub(keys.server);
  keys.routerPub = pub(keys.router);
  const forgedFile = join(dir, 'forged.bin');
  writeFileSync(forgedFile, forgedInitiations(Buffer.from(keys.serverPub, 'base64'), 2000));

  topology();
  configs(keys);
  // Private control sockets: the default one (/var/run/wanbond.sock) may belong to another daemon on this machine.
  const sock = (role) => join(dir, `${role}.sock`);
  const server = spawnIn(NS.v, process.execPath, [
    BUNDLE,
    'server',
    '-c',
    join(dir, 'server'),
    '--control-socket',
    sock('server'),
  ]);
  await waitFor(server, /server up/, 15_000);
  const router = spawnIn(NS.r, process.execPath, [
    BUNDLE,
    'router',
    '-c',
    join(dir, 'router'),
    '--control-socket',
    sock('router'),
  ]);
  const routerTunnel = () => {
    try {
      return JSON.parse(sh(process.execPath, [BUNDLE, 'status', '--json', '--socket', sock('router')])).tunnel;
    } catch {
      return undefined;
    }
  };
  await waitFor(router, /router up/, 15_000);
  for (let i = 0; ; i++) {
    try {
      ns(NS.r, 'ping', ['-c', '1', '-W', '1', '10.255.0.1']);
      break;
    } catch {
      if (i > 15) throw new Error(`tunnel not up\n--- server\n${server.out}\n--- router\n${router.out}`);
    }
  }
  const serverStatusOf = (path) => {
    try {
      return JSON.parse(sh(process.execPath, [BUNDLE, 'status', '--json', '--socket', path]));
    } catch {
      return undefined;
    }
  };
  /** One part of the flood: random datagrams, and forged initiations with a random and with a valid mac1. */
  const floodOnce = async (random, handshakes) => {
    // The three floods share --pps in proportion to their counts, so they all last about as long.
    const rate = (n) => String(Math.max(1, Math.round((PPS * n) / (random + handshakes))));
    const half = Math.floor(handshakes / 2);
    const floods = [
      spawnIn(NS.a, flood, ['198.18.0.1', '5555', String(random), rate(random), 'random']),
      spawnIn(NS.a, flood, ['198.18.0.1', '5555', String(half), rate(half), 'init']),
      spawnIn(NS.a, flood, [
        '198.18.0.1',
        '5555',
        String(handshakes - half),
        rate(handshakes - half),
        'file',
        forgedFile,
      ]),
    ];
    await Promise.all(floods.map((f) => f.exited));
    return floods.map((f) => JSON.parse(f.out.trim().split('\n').pop()));
  };
  const iperfServer = spawnIn(NS.v, 'iperf3', ['-s', '-B', '10.255.0.1', '--forceflush']);
  await waitFor(iperfServer, /listening/i, 5000);
  // The flood is cut into ROUNDS equal parts; each round is one quiet and one flooded transfer of the same length,
  // in alternating order (Q F, F Q, Q F, ...), so load from elsewhere on the machine that drifts over the minutes
  // falls on both sides alike. The figure is the median flooded run over the median quiet run.
  const perRound = { random: Math.round(RANDOM / ROUNDS), handshakes: Math.round(HANDSHAKES / ROUNDS) };
  const seconds = Math.max(5, Math.ceil((perRound.random + perRound.handshakes) / PPS));

  log(`warm-up, then ${ROUNDS} rounds of a quiet and a flooded ${seconds} s upload at ${MBIT} Mbit/s`);
  const loadBefore = loadAverage();
  await iperf(2);
  const rssBefore = rssKb(server.pid);
  const attackBefore = { a: nftCounter(NS.a), v: nftCounter(NS.v) };
  const runs = [];
  const totals = {
    serverCpu: { quiet: 0, flood: 0 },
    routerCpu: { quiet: 0, flood: 0 },
    sent: { random: 0, forgedHandshakesRandomMac1: 0, forgedHandshakesValidMac1: 0, floodSeconds: 0 },
    router: { resentPackets: 0, lateDelivered: 0, udpReceiveBufferDrops: 0 },
    serverUdp: { inDatagrams: 0, receiveBufferDrops: 0, inErrors: 0 },
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['quiet', 'flood'] : ['flood', 'quiet'];
    for (const phase of order) {
      if (server.exitCode !== null || server.signalCode !== null) break;
      const cpu0 = cpuSeconds(server.pid);
      const wait0 = runDelaySeconds(server.pid);
      const rcpu0 = cpuSeconds(router.pid);
      const tunnel0 = routerTunnel();
      const rudp0 = udpStats(NS.r);
      const udp0 = udpStats(NS.v);
      const transfer = iperf(seconds);
      let floodResults = [];
      if (phase === 'flood') {
        // Past iperf's omitted first second, so the flood covers the measured part.
        await sleep(1000);
        floodResults = await floodOnce(perRound.random, perRound.handshakes);
      }
      const r = await transfer;
      const alive = server.exitCode === null && server.signalCode === null;
      const cpu = alive ? cpuSeconds(server.pid) - cpu0 : Number.NaN;
      const waited = alive ? runDelaySeconds(server.pid) - wait0 : Number.NaN;
      const rcpu = cpuSeconds(router.pid) - rcpu0;
      totals.serverCpu[phase] += cpu;
      totals.routerCpu[phase] += rcpu;
      if (phase === 'flood') {
        const tunnel1 = routerTunnel();
        const rudp1 = udpStats(NS.r);
        const udp1 = udpStats(NS.v);
        totals.sent.random += floodResults[0].sent;
        totals.sent.forgedHandshakesRandomMac1 += floodResults[1].sent;
        totals.sent.forgedHandshakesValidMac1 += floodResults[2].sent;
        totals.sent.floodSeconds += Math.max(...floodResults.map((f) => f.seconds));
        totals.router.resentPackets +=
          (tunnel1?.resent_packets ?? Number.NaN) - (tunnel0?.resent_packets ?? Number.NaN);
        totals.router.lateDelivered +=
          (tunnel1?.late_delivered ?? Number.NaN) - (tunnel0?.late_delivered ?? Number.NaN);
        totals.router.udpReceiveBufferDrops += rudp1.RcvbufErrors - rudp0.RcvbufErrors;
        totals.serverUdp.inDatagrams += udp1.InDatagrams - udp0.InDatagrams;
        totals.serverUdp.receiveBufferDrops += udp1.RcvbufErrors - udp0.RcvbufErrors;
        totals.serverUdp.inErrors += udp1.InErrors - udp0.InErrors;
      }
      runs.push({
        round,
        phase,
        mbit: Number(r.mbit.toFixed(2)),
        retransmits: r.retransmits,
        serverCpuSeconds: Number(cpu.toFixed(2)),
        serverWaitedForCpuSeconds: Number(waited.toFixed(2)),
        serverRssKb: alive ? rssKb(server.pid).rssKb : undefined,
        load1: loadAverage()[0],
      });
      log(`round ${round + 1}/${ROUNDS} ${phase}: ${r.mbit.toFixed(1)} Mbit/s`);
    }
  }
  const quietRuns = runs.filter((r) => r.phase === 'quiet').map((r) => r.mbit);
  const floodRuns = runs.filter((r) => r.phase === 'flood').map((r) => r.mbit);
  // Each round's flooded run over its own quiet run: the spread of these is the measurement's noise.
  const pairRatios = [];
  for (let round = 0; round < ROUNDS; round++) {
    const q = runs.find((r) => r.round === round && r.phase === 'quiet');
    const f = runs.find((r) => r.round === round && r.phase === 'flood');
    if (q && f) pairRatios.push(Number((f.mbit / q.mbit).toFixed(3)));
  }
  await sleep(1000);
  const attackAfter = { a: nftCounter(NS.a), v: nftCounter(NS.v) };
  const serverAlive = server.exitCode === null && server.signalCode === null;
  const rssAfter = serverAlive ? rssKb(server.pid) : undefined;
  const serverStatus = serverAlive ? serverStatusOf(sock('server')) : undefined;
  let pingAfter = false;
  try {
    ns(NS.r, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.255.0.1']);
    pingAfter = true;
  } catch {}
  const crashLines = (server.out + router.out)
    .split('\n')
    .filter((l) => /uncaught|unhandled|RangeError|TypeError|FATAL/i.test(l));

  const round3 = (v) => Number(v.toFixed(3));
  const result = {
    date: new Date().toISOString(),
    command: `node bench/hostile/run.mjs ${args.join(' ')}`.trim(),
    wanMbit: MBIT,
    rounds: ROUNDS,
    secondsPerRun: seconds,
    sent: { ...totals.sent, floodSeconds: round3(totals.sent.floodSeconds) },
    serverCrashes: serverAlive && crashLines.length === 0 ? 0 : 1,
    crashLines,
    bytesToAttacker: {
      capturedAtAttacker: attackAfter.a.bytes - attackBefore.a.bytes,
      sentByServerNs: attackAfter.v.bytes - attackBefore.v.bytes,
      packets: attackAfter.a.packets - attackBefore.a.packets,
    },
    throughput: {
      quietMbit: quietRuns,
      underFloodMbit: floodRuns,
      quietMedianMbit: median(quietRuns),
      underFloodMedianMbit: median(floodRuns),
      ratio: round3(median(floodRuns) / median(quietRuns)),
      pairRatios,
      retransmitsQuiet: runs.filter((r) => r.phase === 'quiet').reduce((a, r) => a + r.retransmits, 0),
      retransmitsUnderFlood: runs.filter((r) => r.phase === 'flood').reduce((a, r) => a + r.retransmits, 0),
    },
    runs,
    serverRss: { before: rssBefore, after: rssAfter },
    serverProcess: serverStatus?.process,
    serverLimits: serverStatus?.limits,
    serverCpuSeconds: { quiet: round3(totals.serverCpu.quiet), underFlood: round3(totals.serverCpu.flood) },
    routerCpuSeconds: { quiet: round3(totals.routerCpu.quiet), underFlood: round3(totals.routerCpu.flood) },
    // The router's view of the flood phases: tunnel-level repairs, and kernel drops on its WAN socket.
    routerDuringFlood: totals.router,
    loadAverage: { before: loadBefore, after: loadAverage() },
    cpus: cpus().length,
    serverKernelUdpDuringFlood: totals.serverUdp,
    tunnelAnswersAfter: pingAfter,
  };
  const pass =
    result.serverCrashes === 0 &&
    result.bytesToAttacker.capturedAtAttacker === 0 &&
    result.bytesToAttacker.sentByServerNs === 0 &&
    result.throughput.ratio >= 0.9 &&
    pingAfter;
  result.pass = pass;
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'hostile.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (args.includes('--debug')) log(`--- server\n${server.out}\n--- router\n${router.out}`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = pass ? 0 : 1;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}
try {
  await main();
} catch (err) {
  log(err.stack ?? String(err));
  process.exitCode = 2;
} finally {
  cleanup();
}
