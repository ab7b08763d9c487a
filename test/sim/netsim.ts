import type { ClientEngine, ServerEngine } from '../../src/wanbond/engine/index.js';

/** Seeded PRNG (mulberry32): every simulation is reproducible from its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

export interface LinkSpec {
  /** Capacity in Mbit/s. */
  rateMbit: number;
  delayMs: number;
  /** Uniform extra delay 0..jitterMs per packet; FIFO unless `reorder`. */
  jitterMs?: number;
  reorder?: boolean;
  /** Random loss probability 0..1. */
  loss?: number;
  /** Drop-tail queue limit in bytes (default: 50 ms at the link rate, at least 20 packets). */
  queueBytes?: number;
  /**
   * Piecewise capacity (cellular traces): Mbit/s per `stepMs` slot from t = 0, looping; 0 is an outage (packets
   * wait in the queue). `rateMbit` is then only the mean the default queue limit is sized from.
   */
  schedule?: { stepMs: number; mbit: number[] };
}

/** One direction of one WAN: serialization at `rate`, a drop-tail queue, propagation delay, jitter, loss, outage. */
export class Link {
  up = true;
  delivered = 0;
  dropped = 0;
  /** Times of queue-overflow drops (not random loss or outages). */
  readonly overflows: number[] = [];
  private busyUntil = 0;
  private lastArrival = 0;
  private epoch = 0;
  /** Scheduled links: departure time and size of each queued packet, to know the backlog in bytes. */
  private readonly pending: Array<{ at: number; size: number }> = [];
  private pendingHead = 0;
  private backlog = 0;

  constructor(
    public spec: LinkSpec,
    private readonly rng: Rng,
  ) {}

  private queueLimit(): number {
    return this.spec.queueBytes ?? Math.max(20 * 1500, (this.spec.rateMbit * 1000 * 50) / 8);
  }

  /** Returns the arrival time, or undefined when the packet is dropped. */
  transmit(size: number, now: number): number | undefined {
    if (!this.up) {
      this.dropped++;
      return undefined;
    }
    const bytesPerMs = (this.spec.rateMbit * 1000) / 8;
    const start = Math.max(now, this.busyUntil);
    const queued = this.spec.schedule ? this.backlogAt(now) : (start - now) * bytesPerMs;
    if (queued + size > this.queueLimit()) {
      this.dropped++;
      this.overflows.push(now);
      return undefined;
    }
    if (this.spec.schedule) {
      this.busyUntil = this.finishAt(this.spec.schedule, start, size);
      this.pending.push({ at: this.busyUntil, size });
      this.backlog += size;
    } else this.busyUntil = start + size / bytesPerMs;
    if (this.spec.loss && this.rng.next() < this.spec.loss) {
      this.dropped++;
      return undefined;
    }
    let arrival = this.busyUntil + this.spec.delayMs + (this.spec.jitterMs ?? 0) * this.rng.next();
    if (!this.spec.reorder) arrival = Math.max(arrival, this.lastArrival);
    this.lastArrival = arrival;
    return arrival;
  }

  private backlogAt(now: number): number {
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.at <= now) {
      this.backlog -= this.pending[this.pendingHead++]!.size;
    }
    if (this.pendingHead > 4096) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    return this.backlog;
  }

  /** When a packet of `size` bytes starting service at `start` has been serialized under the rate schedule. */
  private finishAt(sched: { stepMs: number; mbit: number[] }, start: number, size: number): number {
    let t = start;
    let left = size;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const slot = Math.floor(t / sched.stepMs);
      const rate = ((sched.mbit[slot % sched.mbit.length] ?? 0) * 1000) / 8;
      const end = (slot + 1) * sched.stepMs;
      if (rate > 0) {
        if ((end - t) * rate >= left) return t + left / rate;
        left -= (end - t) * rate;
      }
      t = end;
    }
    throw new Error('sim: rate schedule never serves the packet');
  }

  /** Capacity in Mbit/s averaged over [from, to] (ms): what a scheduled link could carry then. */
  meanMbit(from: number, to: number): number {
    const sched = this.spec.schedule;
    if (!sched) return this.spec.rateMbit;
    let sum = 0;
    for (let t = from; t < to; t += 1) sum += sched.mbit[Math.floor(t / sched.stepMs) % sched.mbit.length] ?? 0;
    return sum / (to - from);
  }

  /** A cut loses what is in flight too, like pulling a cable. */
  setUp(up: boolean): void {
    if (!up) {
      this.epoch++;
      this.busyUntil = 0;
      this.pending.length = 0;
      this.pendingHead = 0;
      this.backlog = 0;
    }
    this.up = up;
  }

  get currentEpoch(): number {
    return this.epoch;
  }
}

export interface SimPath {
  id: number;
  up: Link;
  down: Link;
  /** The router-side address the server sees (NAT rebinding changes it). */
  address: string;
}

interface Event {
  t: number;
  n: number;
  fn: () => void;
}

/** Binary heap of events ordered by time, then insertion. */
class EventQueue {
  private h: Event[] = [];
  private n = 0;
  push(t: number, fn: () => void): void {
    const e = { t, n: this.n++, fn };
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }
  private less(a: Event, b: Event): boolean {
    return a.t < b.t || (a.t === b.t && a.n < b.n);
  }
  peek(): Event | undefined {
    return this.h[0];
  }
  pop(): Event | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let cand = last;
        if (l < h.length && this.less(h[l]!, cand)) {
          m = l;
          cand = h[l]!;
        }
        if (r < h.length && this.less(h[r]!, cand)) m = r;
        if (m === i) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

export interface Tap {
  /** Called for every datagram entering a link; return false to drop it (tests capture/tamper here). */
  clientToServer?(pathId: number, bytes: Uint8Array): boolean;
  serverToClient?(to: string, bytes: Uint8Array): boolean;
}

/**
 * A client and a server engine joined by simulated WAN paths, on a virtual clock. Datagrams are copied when they
 * enter a link (the engines may reuse buffers), events run in time order, engine timers fire when due.
 */
export class NetSim {
  now = 0;
  readonly events = new EventQueue();
  readonly toServer: Uint8Array[] = [];
  readonly toClient: Uint8Array[] = [];
  tap: Tap = {};
  /** Inner packets delivered to each side's TUN. */
  onServerDeliver: (p: Uint8Array, now: number) => void = (p) => this.toServer.push(p);
  onClientDeliver: (p: Uint8Array, now: number) => void = (p) => this.toClient.push(p);
  clientSent = 0;
  serverSent = 0;

  constructor(
    readonly client: ClientEngine,
    readonly server: ServerEngine,
    readonly paths: SimPath[],
  ) {}

  at(t: number, fn: () => void): void {
    this.events.push(t, fn);
  }

  private drain(): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      let moved = false;
      for (let tx = this.client.pollTransmit(); tx; tx = this.client.pollTransmit()) {
        moved = true;
        this.clientSent++;
        if (this.tap.clientToServer && !this.tap.clientToServer(tx.pathId, tx.bytes)) continue;
        const path = this.paths.find((p) => p.id === tx.pathId);
        if (!path) continue;
        const bytes = Uint8Array.from(tx.bytes);
        const epoch = path.up.currentEpoch;
        const arrival = path.up.transmit(bytes.length + 28, this.now);
        if (arrival === undefined) continue;
        this.at(arrival, () => {
          if (path.up.currentEpoch !== epoch) return;
          path.up.delivered++;
          this.server.onDatagram(path.address, bytes, this.now);
        });
      }
      for (let tx = this.server.pollTransmit(); tx; tx = this.server.pollTransmit()) {
        moved = true;
        this.serverSent++;
        if (this.tap.serverToClient && !this.tap.serverToClient(tx.to, tx.bytes)) continue;
        const path = this.paths.find((p) => p.address === tx.to);
        if (!path) continue; // a stale address: the NAT mapping is gone
        const bytes = Uint8Array.from(tx.bytes);
        const epoch = path.down.currentEpoch;
        const arrival = path.down.transmit(bytes.length + 28, this.now);
        if (arrival === undefined) continue;
        this.at(arrival, () => {
          if (path.down.currentEpoch !== epoch) return;
          path.down.delivered++;
          this.client.onDatagram(path.id, bytes, this.now);
        });
      }
      for (let p = this.server.pollDeliver(); p; p = this.server.pollDeliver()) {
        moved = true;
        this.onServerDeliver(p, this.now);
      }
      for (let p = this.client.pollDeliver(); p; p = this.client.pollDeliver()) {
        moved = true;
        this.onClientDeliver(p, this.now);
      }
      if (!moved) return;
    }
    throw new Error('sim: engines never stop producing output');
  }

  /** Runs until virtual time `until` (ms). */
  run(until: number): void {
    let spins = 0;
    let lastT = -1;
    for (;;) {
      this.drain();
      const ev = this.events.peek();
      const ct = this.client.nextTimer();
      const st = this.server.nextTimer();
      let t = ev ? ev.t : Number.POSITIVE_INFINITY;
      if (ct !== undefined && ct < t) t = ct;
      if (st !== undefined && st < t) t = st;
      if (t > until) {
        this.now = until;
        return;
      }
      if (t <= lastT) {
        if (++spins > 100_000) throw new Error(`sim: time stuck at ${t}`);
      } else spins = 0;
      lastT = t;
      this.now = Math.max(this.now, t);
      if (ev && ev.t <= this.now) {
        this.events.pop()!.fn();
        continue;
      }
      if (ct !== undefined && ct <= this.now) this.client.onTimer(this.now);
      if (st !== undefined && st <= this.now) this.server.onTimer(this.now);
    }
  }
}
