#!/usr/bin/env node
// Hostile-input benchmark (needs root): a live wanbond server in a namespace takes a flood of garbage and forged
// handshakes from an attacker namespace while a real router moves an iperf3 TCP transfer through the tunnel.
//
//   node bench/hostile/run.mjs [--random N] [--handshakes N] [--pps N] [--mbit N] [--build] [--debug]
//
// Runs dist/wanbond.js (`make build` first, or --build) from a private copy: a rebuild while it runs rewrites
// dist/tuntap2.node in place, which would kill (SIGBUS) every process that has it mapped.
//
// Topology (every name under one random wb prefix, removed at the end):
//   router R (10.92.0.2, WAN shaped to --mbit with tbf both ways) -- isp X -- vps V (198.18.0.1:5555, the server)
//                                                                           `-- attacker A (10.93.0.2)
// Phases: a quiet iperf3 upload (baseline), then the same upload while A sends --random random datagrams (1,000,000;
// half of them typed like wanbond messages) and --handshakes forged initiations (100,000: half with a random mac1,
// what a scanner can send; half with a valid mac1, what someone who knows the server's public key can send) at --pps.
// Counted: server crashes (its process must still run), bytes from the server reaching A (nft counters in A and in
// V's output), the router's throughput under flood / quiet, the server's RSS before and after, kernel UDP drops.
// Writes bench/results/hostile.json.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NsChildren, ns, sh, sleep, waitFor } from '../lib/procs.mjs';

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
const P = `wb${randomBytes(3).toString('hex')}`;
const NS = { r: `${P}r`, x: `${P}x`, v: `${P}v`, a: `${P}a` };
const TUN = `${P}t`;
const dir = mkdtempSync(join(tmpdir(), 'wbhostile-'));
const children = new NsChildren();

const log = (msg) => process.stderr.write(`hostile: ${msg}\n`);

const spawnIn = (n, cmd, a) => children.spawn(n, cmd, a);

function cleanup() {
  children.killAll();
  for (const n of Object.values(NS)) {
    try {
      for (const pid of sh('ip', ['netns', 'pids', n]).split('\n').filter(Boolean))
        process.kill(Number(pid), 'SIGKILL');
    } catch {}
    try {
      sh('ip', ['netns', 'del', n]);
    } catch {}
  }
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
  const c = spawnIn(NS.r, 'iperf3', ['-c', '10.255.0.1', '-t', String(seconds), '-J', '--connect-timeout', '5000']);
  const { code } = await c.exited;
  if (code !== 0) throw new Error(`iperf3 failed (${code}):\n${c.out.slice(-2000)}`);
  const j = JSON.parse(c.out);
  return {
    mbit: j.end.sum_received.bits_per_second / 1e6,
    bytes: j.end.sum_received.bytes,
    retransmits: j.end.sum_sent.retransmits,
  };
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
  const iperfServer = spawnIn(NS.v, 'iperf3', ['-s', '-B', '10.255.0.1', '--forceflush']);
  await waitFor(iperfServer, /listening/i, 5000);
  const floodSeconds = Math.ceil((RANDOM + HANDSHAKES) / PPS);
  const seconds = Math.max(5, floodSeconds);

  log(`warm-up, then quiet run (${seconds} s at ${MBIT} Mbit/s)`);
  await iperf(2);
  const rssBefore = rssKb(server.pid);
  const cpu0 = cpuSeconds(server.pid);
  const rcpu0 = cpuSeconds(router.pid);
  const quiet = await iperf(seconds);
  const cpu1 = cpuSeconds(server.pid);
  const rcpu1 = cpuSeconds(router.pid);
  const tunnelBefore = routerTunnel();
  const routerUdpBefore = udpStats(NS.r);
  // RSS after the quiet transfer too: growth from here on is the flood's, not the transfer's buffers.
  const rssAfterQuiet = rssKb(server.pid);
  log(`quiet: ${quiet.mbit.toFixed(1)} Mbit/s`);

  const udpBefore = udpStats(NS.v);
  const attackBefore = { a: nftCounter(NS.a), v: nftCounter(NS.v) };
  // The three floods share --pps in proportion to their counts, so they all last about floodSeconds.
  const rate = (n) => String(Math.max(1, Math.round((PPS * n) / (RANDOM + HANDSHAKES))));
  const half = Math.floor(HANDSHAKES / 2);
  const floods = [
    spawnIn(NS.a, flood, ['198.18.0.1', '5555', String(RANDOM), rate(RANDOM), 'random']),
    spawnIn(NS.a, flood, ['198.18.0.1', '5555', String(half), rate(half), 'init']),
    spawnIn(NS.a, flood, [
      '198.18.0.1',
      '5555',
      String(HANDSHAKES - half),
      rate(HANDSHAKES - half),
      'file',
      forgedFile,
    ]),
  ];
  log(`flood: ${RANDOM} random + ${HANDSHAKES} handshakes at ${PPS}/s (~${floodSeconds} s) during the same upload`);
  const [underFlood] = await Promise.all([iperf(seconds), ...floods.map((f) => f.exited)]);
  const floodResults = floods.map((f) => JSON.parse(f.out.trim().split('\n').pop()));
  const cpu2 = server.exitCode === null ? cpuSeconds(server.pid) : Number.NaN;
  const rcpu2 = cpuSeconds(router.pid);
  const tunnelAfter = routerTunnel();
  const routerUdpAfter = udpStats(NS.r);
  await sleep(1000);
  const attackAfter = { a: nftCounter(NS.a), v: nftCounter(NS.v) };
  const udpAfter = udpStats(NS.v);
  const serverAlive = server.exitCode === null && server.signalCode === null;
  const rssAfter = serverAlive ? rssKb(server.pid) : undefined;
  let pingAfter = false;
  try {
    ns(NS.r, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.255.0.1']);
    pingAfter = true;
  } catch {}
  const crashLines = (server.out + router.out)
    .split('\n')
    .filter((l) => /uncaught|unhandled|RangeError|TypeError|FATAL/i.test(l));

  const result = {
    date: new Date().toISOString(),
    command: `node bench/hostile/run.mjs ${args.join(' ')}`.trim(),
    wanMbit: MBIT,
    seconds,
    sent: {
      random: floodResults[0].sent,
      forgedHandshakesRandomMac1: floodResults[1].sent,
      forgedHandshakesValidMac1: floodResults[2].sent,
      floodSeconds: Math.max(...floodResults.map((f) => f.seconds)),
    },
    serverCrashes: serverAlive && crashLines.length === 0 ? 0 : 1,
    crashLines,
    bytesToAttacker: {
      capturedAtAttacker: attackAfter.a.bytes - attackBefore.a.bytes,
      sentByServerNs: attackAfter.v.bytes - attackBefore.v.bytes,
      packets: attackAfter.a.packets - attackBefore.a.packets,
    },
    throughput: {
      quietMbit: Number(quiet.mbit.toFixed(2)),
      underFloodMbit: Number(underFlood.mbit.toFixed(2)),
      ratio: Number((underFlood.mbit / quiet.mbit).toFixed(3)),
      retransmitsQuiet: quiet.retransmits,
      retransmitsUnderFlood: underFlood.retransmits,
    },
    serverRss: { before: rssBefore, afterQuiet: rssAfterQuiet, after: rssAfter },
    serverCpuSeconds: { quiet: Number((cpu1 - cpu0).toFixed(2)), underFlood: Number((cpu2 - cpu1).toFixed(2)) },
    routerCpuSeconds: { quiet: Number((rcpu1 - rcpu0).toFixed(2)), underFlood: Number((rcpu2 - rcpu1).toFixed(2)) },
    // The router's view of the flood phase: tunnel-level repairs, and kernel drops on its WAN socket.
    routerDuringFlood: {
      resentPackets: (tunnelAfter?.resent_packets ?? Number.NaN) - (tunnelBefore?.resent_packets ?? Number.NaN),
      lateDelivered: (tunnelAfter?.late_delivered ?? Number.NaN) - (tunnelBefore?.late_delivered ?? Number.NaN),
      udpReceiveBufferDrops: routerUdpAfter.RcvbufErrors - routerUdpBefore.RcvbufErrors,
    },
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    serverKernelUdp: {
      inDatagrams: udpAfter.InDatagrams - udpBefore.InDatagrams,
      receiveBufferDrops: udpAfter.RcvbufErrors - udpBefore.RcvbufErrors,
      inErrors: udpAfter.InErrors - udpBefore.InErrors,
    },
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
