#!/usr/bin/env node
// Tunnel data-plane benchmark (needs root): wanbond vs OpenVPN static-key on the same namespaces in the same run.
//
//   node bench/tunnel/run.mjs [--seconds N] [--no-build] [--no-openvpn] [--no-wanbond] [--no-cut] [--only-cut] [--cut-runs N] [--debug] [--prof DIR]
//
// Topology: ns R (router) and ns V (VPS) joined by three unshaped veths w0..w2 (10.91.i.2 <-> 10.91.i.1), the VPS's
// public address 198.18.0.1 on its loopback, source-address policy routing in R (one table per WAN).
//  1. single TCP flow (iperf3, R -> V and V -> R) through the tunnel over w0 only: Mbit/s and CPU% of each daemon;
//  2. the same with OpenVPN 2.x static key (AES-256-CBC + HMAC-SHA256) over w0;
//  3. wanbond over w0..w2: a TCP upload paced at 20 Mbit/s, w1 cut (input drop on both ends) after 2 s: longest gap in delivered bytes,
//     next to the longest gap of the same transfer without a cut.
// Writes bench/results/tunnel-<time>.json and prints a summary.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NsChildren, ns, removeNamespaces, sh, sleep, waitFor } from '../lib/procs.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOOL = join(ROOT, 'test', 'netns', 'tunnel', 'tcp-tool.mjs');
const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf('--seconds') + 1]) || 10;
/** Pace of the link-cut transfer: 8 s of data at a rate the three links carry easily. */
const CUT_MBIT = 20;
/** The stall varies with what the cut interrupts: several cuts give a spread, not one lucky number. */
const CUT_RUNS = Number(args[args.indexOf('--cut-runs') + 1]) || 3;
const P = `wb${randomBytes(3).toString('hex')}`;
const R = `${P}r`;
const V = `${P}v`;
const TUN = `${P}t`;
const OVPN_TUN = `${P}o`;
const dir = mkdtempSync(join(tmpdir(), 'wbbench-'));
// The daemons run from a private copy: a rebuild elsewhere rewrites dist/tuntap2.node in place (SIGBUS for us).
const BUNDLE = join(dir, 'wanbond.js');
const children = new NsChildren();

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

const spawnIn = (n, cmd, a) => children.spawn(n, cmd, a);

async function stop(child) {
  if (args.includes('--debug') && child.out)
    process.stderr.write(`--- ${child.spawnargs.slice(4, 6).join(' ')}\n${child.out}\n`);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await child.exited;
  clearTimeout(t);
}

function cleanup() {
  children.killAll();
  removeNamespaces([R, V]);
  rmSync(dir, { recursive: true, force: true });
}

function topology() {
  for (const n of [R, V]) {
    sh('ip', ['netns', 'add', n]);
    ns(n, 'ip', ['link', 'set', 'lo', 'up']);
  }
  ns(V, 'ip', ['addr', 'add', '198.18.0.1/32', 'dev', 'lo']);
  for (let i = 0; i < 3; i++) {
    const [a, b] = [`${P}w${i}`, `${P}u${i}`];
    sh('ip', ['link', 'add', a, 'netns', R, 'type', 'veth', 'peer', 'name', b, 'netns', V]);
    ns(R, 'ip', ['addr', 'add', `10.91.${i}.2/24`, 'dev', a]);
    ns(V, 'ip', ['addr', 'add', `10.91.${i}.1/24`, 'dev', b]);
    ns(R, 'ip', ['link', 'set', a, 'up']);
    ns(V, 'ip', ['link', 'set', b, 'up']);
    ns(R, 'ip', ['route', 'add', 'default', 'via', `10.91.${i}.1`, 'table', String(101 + i)]);
    ns(R, 'ip', ['route', 'add', 'unreachable', 'default', 'metric', '4000', 'table', String(101 + i)]);
    ns(R, 'ip', ['rule', 'add', 'from', `10.91.${i}.2`, 'lookup', String(101 + i), 'priority', String(1000 + i)]);
  }
}

function keys() {
  const gen = () => sh(process.execPath, [BUNDLE, 'keygen']).trim();
  const pub = (k) => sh(process.execPath, [BUNDLE, 'pubkey'], k).trim();
  const server = gen();
  const router = gen();
  return { server, router, serverPub: pub(server), routerPub: pub(router) };
}

function writeConfigs(k, links) {
  writeFileSync(
    join(dir, 'server'),
    `config server 'main'\n\toption listen '::'\n\toption port '5555'\n\toption private_key '${k.server}'\n` +
      `\toption address '10.255.0.1/24'\n\toption masquerade '0'\n\toption tun '${TUN}'\n\n` +
      `config client 'bench'\n\toption public_key '${k.routerPub}'\n\toption address '10.255.0.2'\n`,
  );
  const linkText = Array.from(
    { length: links },
    (_, i) => `config link 'wan${i}'\n\toption device '${P}w${i}'\n\toption source '10.91.${i}.2'\n`,
  ).join('\n');
  writeFileSync(
    join(dir, 'router'),
    `config wanbond 'main'\n\toption server '198.18.0.1'\n\toption port '5555'\n\toption private_key '${k.router}'\n` +
      `\toption server_key '${k.serverPub}'\n\toption mode 'bond'\n\toption address '10.255.0.2/24'\n` +
      `\toption tun '${TUN}'\n\n${linkText}`,
  );
}

async function waitPing(n, address, seconds = 15) {
  for (let i = 0; i < seconds * 2; i++) {
    try {
      ns(n, 'ping', ['-c', '1', '-W', '1', address]);
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error(`no ping to ${address} from ${n}`);
}

async function startWanbond(links) {
  writeConfigs(state.keys, links);
  const debug = args.includes('--debug') ? ['-d'] : [];
  // --prof DIR: V8 CPU profiles of both daemons (written when they stop), for finding the hot spots.
  const prof = args.includes('--prof') ? ['--cpu-prof', `--cpu-prof-dir=${args[args.indexOf('--prof') + 1]}`] : [];
  const server = spawnIn(V, process.execPath, [...prof, BUNDLE, 'server', '-c', join(dir, 'server'), ...debug]);
  await waitFor(server, /server up/);
  const router = spawnIn(R, process.execPath, [...prof, BUNDLE, 'router', '-c', join(dir, 'router'), ...debug]);
  await waitFor(router, /router up/);
  await waitPing(R, '10.255.0.1');
  return { server, router, peerAddress: '10.255.0.1' };
}

async function startOpenvpn() {
  const key = join(dir, 'ovpn.key');
  sh('openvpn', ['--genkey', 'secret', key]);
  const common = ['--dev', OVPN_TUN, '--dev-type', 'tun', '--proto', 'udp', '--secret', key];
  const crypto = ['--cipher', 'AES-256-CBC', '--auth', 'SHA256', '--verb', '3', '--mute-replay-warnings'];
  const server = spawnIn(V, 'openvpn', [
    ...common,
    '0',
    ...crypto,
    '--local',
    '198.18.0.1',
    '--lport',
    '1194',
    '--float',
    '--ifconfig',
    '10.8.0.1',
    '10.8.0.2',
  ]);
  const router = spawnIn(R, 'openvpn', [
    ...common,
    '1',
    ...crypto,
    '--local',
    '10.91.0.2',
    '--remote',
    '198.18.0.1',
    '1194',
    '--ifconfig',
    '10.8.0.2',
    '10.8.0.1',
  ]);
  await waitFor(server, /Initialization Sequence Completed/);
  await waitFor(router, /Initialization Sequence Completed/);
  await waitPing(R, '10.8.0.1');
  return { server, router, peerAddress: '10.8.0.1' };
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** One iperf3 TCP flow R -> V (or V -> R with reverse) through the tunnel, CPU% of both tunnel daemons. */
async function iperf(tunnel, reverse) {
  const srv = spawnIn(V, 'iperf3', ['-s', '-1', '--forceflush', '-B', tunnel.peerAddress]);
  await waitFor(srv, /Server listening/);
  const pids = [tunnel.router.pid, tunnel.server.pid];
  const before = pids.map(cpuTicks);
  const t0 = performance.now();
  const out = await new Promise((resolve, reject) => {
    const c = spawnIn(R, 'iperf3', ['-c', tunnel.peerAddress, '-t', String(SECONDS), '-J', ...(reverse ? ['-R'] : [])]);
    c.on('exit', (code) => (code === 0 ? resolve(c.out) : reject(new Error(`iperf3 failed: ${c.out}`))));
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = pids.map((pid, i) => Math.round(((cpuTicks(pid) - before[i]) / 100 / seconds) * 1000) / 10);
  await stop(srv);
  const json = JSON.parse(out);
  const bps = json.end.sum_received.bits_per_second;
  return {
    mbit: Math.round(bps / 1e5) / 10,
    retransmits: json.end.sum_sent.retransmits,
    cpuPercent: { router: cpu[0], server: cpu[1] },
  };
}

async function throughput(tunnel) {
  const upload = await iperf(tunnel, false);
  const download = await iperf(tunnel, true);
  // Datagrams the kernel dropped because a socket buffer was full: losses the tunnel itself caused.
  return { upload, download, udpErrors: { router: udpErrors(R), server: udpErrors(V) } };
}

function udpErrors(n) {
  const lines = ns(n, 'cat', ['/proc/net/snmp'])
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  const get = (k) => Number(values[names.indexOf(k)]);
  return { rcvbufErrors: get('RcvbufErrors'), sndbufErrors: get('SndbufErrors'), inErrors: get('InErrors') };
}

/** A paced upload over three links; with `cut`, w1 drops everything from 2 s on. Longest gap at the receiver. */
async function stall(cut) {
  const srv = spawnIn(V, process.execPath, [TOOL, 'serve', '9000']);
  await waitFor(srv, /listening/);
  const bytes = CUT_MBIT * 1024 * 1024;
  const client = spawnIn(R, process.execPath, [TOOL, 'up', '10.255.0.1', '9000', String(bytes), String(CUT_MBIT)]);
  let cutAt;
  if (cut) {
    await sleep(2000);
    cutAt = new Date().toISOString();
    // A silent blackhole like a dead modem: both ends drop what arrives on the link, neither gets a send error.
    for (const [n, dev] of [
      [R, `${P}w1`],
      [V, `${P}u1`],
    ]) {
      ns(
        n,
        'nft',
        ['-f', '-'],
        `table inet wbcut { chain i { type filter hook input priority 0; iifname "${dev}" drop; }\n}`,
      );
    }
  }
  await client.exited;
  await stop(srv);
  if (cut) for (const n of [R, V]) ns(n, 'nft', ['delete', 'table', 'inet', 'wbcut']);
  let result;
  try {
    result = JSON.parse(client.out.trim().split('\n').pop());
  } catch {
    throw new Error(`transfer failed (${cut ? 'with' : 'without'} cut):\n${client.out}`);
  }
  return {
    bytes,
    intact: result.server.bytes === bytes && result.server.sha256 === result.sha256,
    maxGapMs: result.server.maxGapMs,
    seconds: Math.round(result.server.seconds * 100) / 100,
    cutAt,
  };
}

const state = {};

async function main() {
  if (!args.includes('--no-build'))
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  for (const f of ['wanbond.js', 'tuntap2.node', 'package.json']) copyFileSync(join(ROOT, 'dist', f), join(dir, f));
  topology();
  state.keys = keys();
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cores: Number(sh('nproc', []).trim()),
    seconds: SECONDS,
    topology: 'two namespaces, unshaped veth(s), iperf3 single TCP flow through the tunnel',
    // The machine is shared: the load around the run says how much the figures can be trusted.
    loadAverageBefore: loadavg()[0],
  };

  let t;
  if (!args.includes('--no-wanbond') && !args.includes('--only-cut')) {
    log('wanbond over one veth');
    t = await startWanbond(1);
    result.wanbond = await throughput(t);
    await Promise.all([stop(t.router), stop(t.server)]);
    log(`wanbond ${JSON.stringify(result.wanbond)}`);
  }

  if (!args.includes('--no-openvpn') && !args.includes('--only-cut')) {
    log('openvpn static key over the same veth');
    t = await startOpenvpn();
    result.openvpn = {
      version: sh('openvpn', ['--version']).split('\n')[0],
      cipher: 'AES-256-CBC',
      auth: 'SHA256',
      ...(await throughput(t)),
    };
    await Promise.all([stop(t.router), stop(t.server)]);
    log(`openvpn ${JSON.stringify(result.openvpn)}`);
  }

  if (!args.includes('--no-cut') && !args.includes('--no-wanbond')) {
    log('link cut over three veths');
    t = await startWanbond(3);
    const baseline = await stall(false);
    const cuts = [];
    for (let i = 0; i < CUT_RUNS; i++) cuts.push(await stall(true));
    const gaps = cuts.map((c) => c.maxGapMs).sort((a, b) => a - b);
    result.linkCut = {
      rateMbit: CUT_MBIT,
      baseline,
      cuts,
      allIntact: cuts.every((c) => c.intact),
      maxGapMs: { min: gaps[0], median: gaps[Math.floor(gaps.length / 2)], max: gaps[gaps.length - 1] },
    };
    await Promise.all([stop(t.router), stop(t.server)]);
    log(`link cut ${JSON.stringify(result.linkCut)}`);
  }

  result.loadAverageAfter = loadavg()[0];
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `tunnel-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwrote ${file}\n`);
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(cleanup);
