import type { SessionStats } from '../../src/wanbond/engine/index.js';
import { buildSim } from './helpers.js';
import { type LinkSpec, type NetSim, Rng } from './netsim.js';
import { TcpFlow } from './tcp.js';

/**
 * The lab's scenarios (bench/scenarios/*.ini) rebuilt in the simulator, with one TCP-like flow and a latency probe
 * riding along. Shared by the sim tests and bench/engine/sim-matrix.mjs so both report the same figures.
 */

const ROUTER = [10, 255, 0, 2];
const INTERNET = [192, 0, 2, 10];
/** Inner packet size of the flow; on the wire it carries the tunnel's 30 bytes and 28 of outer IPv4 + UDP. */
const SEGMENT = 1400;
const WIRE = SEGMENT + 30 + 28;
/** What a link of the configured rate can carry as inner packets: the sum of single links through the tunnel. */
export const PAYLOAD_EFFICIENCY = SEGMENT / WIRE;
const PROBE_KIND = 9;

export type ScenarioName = 'S-static' | 'S-lossy' | 'S-cellular' | 'S-cut';

export interface ScenarioResult {
  scenario: ScenarioName;
  direction: 'up' | 'down';
  seed: number;
  /** Inner bytes delivered in order to the receiving application, over the measurement window. */
  goodputMbit: number;
  /** Configured capacity over the window (trace mean for cellular, surviving links after a cut). */
  capacityMbit: number;
  /** goodput / (capacity x tunnel payload efficiency): the sum of the single links through the tunnel. */
  efficiency: number;
  /** goodput / configured capacity (wire bytes included in the capacity). */
  ofConfigured: number;
  /** Probe RTT through the tunnel while loaded, ms. */
  rttP50: number;
  rttP95: number;
  /** Base RTT of the slowest path (2 x one-way delay), ms; the target is p95 <= this + 50. */
  slowestBaseRtt: number;
  /** Longest time without in-order delivery to the application in the window, ms. */
  maxGapMs: number;
  /** S-cut: ms after the cut until a 500-ms window reaches 90% of the remaining payload capacity. */
  recoverMs?: number;
  tcpRetransmits: number;
  tcpTimeouts: number;
  tcpRecoveries: number;
  session: Pick<
    SessionStats,
    'resentPackets' | 'duplicatesSent' | 'lateDelivered' | 'queueDropped' | 'holdMs' | 'skippedPackets'
  >;
  shares: number[];
  /** Goodput per 500 ms from the flow's start, Mbit/s (plots, eyeballing convergence). */
  series: number[];
}

/**
 * Synthetic cellular capacity: a Markov chain over levels 0.15x..2x of the mean (a 13x swing, crossed within
 * seconds) moving every 100 ms with log-normal noise, outages of 0.2-2 s, scaled to the mean. Same idea as the
 * lab's trace generator, in the simulator's own seeded PRNG.
 */
export function cellularSchedule(meanMbit: number, seed: number, seconds: number, outagesPerMin: number): number[] {
  const levels = [0.15, 0.3, 0.6, 1.0, 1.5, 2.0];
  const rng = new Rng(seed);
  const steps = seconds * 10;
  const raw: number[] = [];
  let level = 3;
  let outage = 0;
  for (let i = 0; i < steps; i++) {
    if (outage > 0) {
      outage--;
      raw.push(0);
      continue;
    }
    // No outage in the first 2 s: the session and the flow start on live links.
    if (i > 20 && rng.next() < outagesPerMin / 600) {
      outage = Math.round(2 + rng.next() * 18) - 1;
      raw.push(0);
      continue;
    }
    const u = rng.next();
    if (u < 0.1) level = Math.max(0, level - 1);
    else if (u < 0.2) level = Math.min(levels.length - 1, level + 1);
    else if (u < 0.23) level = Math.max(0, level - 2);
    else if (u < 0.26) level = Math.min(levels.length - 1, level + 2);
    const g = Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
    raw.push(levels[level]! * Math.exp(0.15 * g));
  }
  const avg = raw.reduce((a, b) => a + b, 0) / raw.length;
  return raw.map((r) => (r * meanMbit) / avg);
}

interface Setup {
  links: Array<{ up: LinkSpec; down: LinkSpec }>;
  durationMs: number;
  measureFrom: number;
  cutAt?: number;
}

const STATIC = [
  [20, 15],
  [10, 30],
  [5, 50],
] as const;

function setup(name: ScenarioName, seed: number, durationMs: number | undefined): Setup {
  if (name === 'S-cellular') {
    // Carriers A, B, C (mean up/down 12/24, 7/14, 4/8 Mbit/s), 20/30/40 ms, 150 ms of queue at the mean.
    const carriers = [
      [12, 24, 20, 2],
      [7, 14, 30, 3],
      [4, 8, 40, 4],
    ] as const;
    const dur = durationMs ?? 14_000;
    const seconds = Math.ceil(dur / 1000) + 1;
    const links = carriers.map(([upM, downM, delay, outages], i) => {
      const spec = (mean: number, s: number): LinkSpec => ({
        rateMbit: mean,
        delayMs: delay,
        queueBytes: (mean * 1000 * 150) / 8,
        schedule: { stepMs: 100, mbit: cellularSchedule(mean, s, seconds, outages) },
      });
      return { up: spec(upM, seed * 10 + 2 * i), down: spec(downM, seed * 10 + 2 * i + 1) };
    });
    return { links, durationMs: dur, measureFrom: 3000 };
  }
  const loss = name === 'S-lossy' ? 0.01 : 0;
  const links = STATIC.map(([rate, delay]) => {
    const spec: LinkSpec = { rateMbit: rate, delayMs: delay, ...(loss ? { loss } : {}) };
    return { up: spec, down: { ...spec } };
  });
  if (name === 'S-cut') return { links, durationMs: durationMs ?? 9000, measureFrom: 3000, cutAt: 5000 };
  return { links, durationMs: durationMs ?? 9000, measureFrom: 3500 };
}

function percentile(v: number[], q: number): number {
  if (v.length === 0) return Number.NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function probePacket(src: number[], dst: number[], n: number, ts: number): Uint8Array {
  const p = new Uint8Array(64);
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, p.length);
  p[8] = 64;
  p[9] = 253;
  p.set(src, 12);
  p.set(dst, 16);
  dv.setUint32(20, n);
  p[24] = PROBE_KIND;
  dv.setFloat64(28, ts);
  return p;
}

export interface RunOptions {
  durationMs?: number;
  /** Called with the built simulator before it runs (extra events, taps). */
  onSim?: (sim: NetSim, flow: TcpFlow) => void;
}

/** Runs one scenario with one TCP-like bulk flow in `direction` and a 20-ms latency probe. */
export function runScenario(
  name: ScenarioName,
  direction: 'up' | 'down',
  seed: number,
  o: RunOptions = {},
): ScenarioResult {
  const s = setup(name, seed, o.durationMs);
  const { sim } = buildSim({ links: s.links, seed });
  const toServer = (p: Uint8Array, t: number) => sim.client.onTunPacket(p, t);
  const toClient = (p: Uint8Array, t: number) => sim.server.onTunPacket(p, t);
  const flow =
    direction === 'up'
      ? new TcpFlow(sim, { sendData: toServer, sendAck: toClient }, ROUTER, INTERNET, SEGMENT)
      : new TcpFlow(sim, { sendData: toClient, sendAck: toServer }, INTERNET, ROUTER, SEGMENT);
  // The probe starts on the flow's sending side, is echoed by the far end, and times the round trip.
  const rtts: number[] = [];
  const sendProbe = direction === 'up' ? toServer : toClient;
  const echo = direction === 'up' ? toClient : toServer;
  const onDeliver = (p: Uint8Array, t: number, atFar: boolean) => {
    if (p[9] === 253 && p[24] === PROBE_KIND) {
      const ts = new DataView(p.buffer, p.byteOffset).getFloat64(28);
      if (atFar) {
        // The echo goes back with the addresses swapped, as a real reply would.
        const e = Uint8Array.from(p);
        e.set(p.subarray(16, 20), 12);
        e.set(p.subarray(12, 16), 16);
        echo(e, t);
      } else if (ts >= s.measureFrom) rtts.push(t - ts);
      return;
    }
    flow.onPacket(p, t);
  };
  sim.onServerDeliver = (p, t) => onDeliver(p, t, direction === 'up');
  sim.onClientDeliver = (p, t) => onDeliver(p, t, direction === 'down');
  for (let t = 1000, n = 0; t < s.durationMs; t += 20, n++) {
    const src = direction === 'up' ? ROUTER : INTERNET;
    const dst = direction === 'up' ? INTERNET : ROUTER;
    sim.at(t, () => sendProbe(probePacket(src, dst, n, sim.now), sim.now));
  }
  if (s.cutAt !== undefined) {
    sim.at(s.cutAt, () => {
      sim.paths[0]!.up.setUp(false);
      sim.paths[0]!.down.setUp(false);
    });
  }
  o.onSim?.(sim, flow);
  sim.run(500);
  flow.start(sim.now);
  sim.run(s.durationMs);

  const from = s.measureFrom;
  const to = s.durationMs;
  const dirLink = (i: number) => (direction === 'up' ? sim.paths[i]!.up : sim.paths[i]!.down);
  let capacity = 0;
  if (s.cutAt !== undefined) {
    // The cut link counts until the cut, the others throughout.
    for (let i = 0; i < s.links.length; i++) {
      const span = i === 0 ? Math.max(0, s.cutAt - from) : to - from;
      capacity += (dirLink(i).meanMbit(from, to) * span) / (to - from);
    }
  } else for (let i = 0; i < s.links.length; i++) capacity += dirLink(i).meanMbit(from, to);
  const goodput = flow.mbits(from, to);
  const times = flow.goodput.map((g) => g.t);
  let last = from;
  let gap = 0;
  for (const t of times) {
    if (t < from || t > to) continue;
    gap = Math.max(gap, t - last);
    last = t;
  }
  gap = Math.max(gap, to - last);
  let recoverMs: number | undefined;
  if (s.cutAt !== undefined) {
    let remaining = 0;
    for (let i = 1; i < s.links.length; i++) remaining += dirLink(i).meanMbit(s.cutAt, to);
    for (let t = s.cutAt; t + 500 <= to; t += 50) {
      if (flow.mbits(t, t + 500) >= 0.9 * remaining * PAYLOAD_EFFICIENCY) {
        recoverMs = t + 500 - s.cutAt;
        break;
      }
    }
  }
  const st = direction === 'up' ? sim.client.stats() : sim.server.stats().clients[0]!.session;
  let slowest = 0;
  for (const l of s.links) slowest = Math.max(slowest, 2 * l.up.delayMs);
  const r: ScenarioResult = {
    scenario: name,
    direction,
    seed,
    goodputMbit: goodput,
    capacityMbit: capacity,
    efficiency: goodput / (capacity * PAYLOAD_EFFICIENCY),
    ofConfigured: goodput / capacity,
    rttP50: percentile(rtts, 0.5),
    rttP95: percentile(rtts, 0.95),
    slowestBaseRtt: slowest,
    maxGapMs: gap,
    tcpRetransmits: flow.retransmits,
    tcpTimeouts: flow.timeouts,
    tcpRecoveries: flow.recoveries.length,
    session: {
      resentPackets: st.resentPackets,
      duplicatesSent: st.duplicatesSent ?? 0,
      lateDelivered: st.lateDelivered ?? 0,
      queueDropped: st.queueDropped ?? 0,
      holdMs: st.holdMs ?? 0,
      skippedPackets: st.skippedPackets ?? 0,
    },
    shares: st.paths.map((p) => Math.round(p.share * 100) / 100),
    series: [],
  };
  for (let t = 500; t + 500 <= to; t += 500) r.series.push(Math.round(flow.mbits(t, t + 500) * 10) / 10);
  if (recoverMs !== undefined) r.recoverMs = recoverMs;
  return r;
}
