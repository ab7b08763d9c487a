/** Measurements the demo and the bench share: one link alone, the bonded tunnel, counters over time. */
import { TUNNEL_SERVER } from './addressing.js';
import { type IperfPoint, type IperfResult, runIperf } from './iperf.js';
import type { Lab } from './lab.js';
import { type PingResult, runPing } from './ping.js';

export interface Measurement {
  label: string;
  direction: 'up' | 'down';
  flows: number;
  iperf: IperfResult;
  /** RTT while the transfer runs. */
  loadedRtt: PingResult;
  /** Per-link throughput over time from the emulators' counters (Mbit/s of IP bytes). */
  perLink: Record<string, IperfPoint[]>;
}

let nextPort = 5201;
function port(): number {
  nextPort = nextPort >= 5299 ? 5201 : nextPort + 1;
  return nextPort;
}

/** Samples every link's delivered bytes each `intervalS` until `stop` is called. */
export function sampleLinks(lab: Lab, direction: 'up' | 'down', intervalS = 0.5, onSample?: (mbit: number) => void) {
  const series: Record<string, IperfPoint[]> = {};
  const last: Record<string, number> = {};
  const t0 = Date.now();
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      let total = 0;
      for (const l of lab.info.links) {
        const s = await lab.stats(l.name);
        const bytes = s[direction].out_bytes;
        const prev = last[l.name];
        last[l.name] = bytes;
        if (prev === undefined) continue;
        const mbit = ((bytes - prev) * 8) / intervalS / 1e6;
        total += mbit;
        const points = series[l.name] ?? [];
        points.push({ t: (Date.now() - t0) / 1000, mbit });
        series[l.name] = points;
      }
      onSample?.(total);
    } catch {
      // an emulator that went away ends the samples; the measurement itself reports the failure
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalS * 1000);
  return {
    stop(): Record<string, IperfPoint[]> {
      clearInterval(timer);
      return series;
    },
  };
}

export interface RunOptions {
  seconds: number;
  direction: 'up' | 'down';
  flows?: number;
  intervalS?: number;
  mptcp?: boolean;
  /** Progress: called about every half second with the current total Mbit/s and elapsed seconds. */
  progress?: (mbit: number, elapsedS: number) => void;
  /** Called when the transfer starts (e.g. to schedule a cut). */
  onStart?: () => void;
}

async function measure(
  lab: Lab,
  label: string,
  o: RunOptions,
  target: { host: string; bind?: string; pingSource?: string },
): Promise<Measurement> {
  await lab.resetClocks();
  const t0 = Date.now();
  const sampler = sampleLinks(lab, o.direction, 0.5, (mbit) => o.progress?.(mbit, (Date.now() - t0) / 1000));
  const ping = runPing(
    lab.info.router.ns,
    target.host,
    o.seconds,
    target.pingSource ? { source: target.pingSource } : {},
  );
  const iperf = await runIperf({
    clientNs: lab.info.router.ns,
    serverNs: lab.info.vps.ns,
    host: target.host,
    ...(target.bind ? { bind: target.bind } : {}),
    port: port(),
    seconds: o.seconds,
    reverse: o.direction === 'down',
    parallel: o.flows ?? 1,
    intervalS: o.intervalS ?? 0.5,
    mptcp: o.mptcp ?? false,
    ...(o.onStart ? { onStart: o.onStart } : {}),
  });
  const perLink = sampler.stop();
  return { label, direction: o.direction, flows: o.flows ?? 1, iperf, loadedRtt: await ping, perLink };
}

/** One WAN alone: the client binds to the WAN's source address, so policy routing keeps it on that link. */
export function measureLink(lab: Lab, name: string, o: RunOptions): Promise<Measurement> {
  const l = lab.link(name);
  return measure(lab, name, o, { host: lab.info.vps.publicAddress, bind: l.source, pingSource: l.source });
}

/** The bonded tunnel: from the router to the server's tunnel address, through the TUN the router daemon made. */
export function measureBonded(lab: Lab, o: RunOptions): Promise<Measurement> {
  return measure(lab, 'bonded', o, { host: TUNNEL_SERVER });
}

/** Linux MPTCP: first subflow on the first WAN, one more per other WAN from `ip mptcp endpoint`s. */
export function measureMptcp(lab: Lab, o: RunOptions): Promise<Measurement> {
  const first = lab.info.links[0]!;
  return measure(
    lab,
    'mptcp',
    { ...o, mptcp: true },
    {
      host: lab.info.vps.publicAddress,
      bind: first.source,
      pingSource: first.source,
    },
  );
}

/** Idle RTT over one link (or the tunnel), median of a few pings. */
export async function idleRtt(lab: Lab, host: string, source?: string): Promise<number | undefined> {
  const r = await runPing(lab.info.router.ns, host, 2, { intervalS: 0.2, ...(source ? { source } : {}) });
  return r.p50;
}
