import type { NetSim } from './netsim.js';

/**
 * A TCP-like bulk flow over the tunnel (slow start, CUBIC growth, SACK-style recovery, RTO), to check that
 * one congestion-controlled flow gets the bonded capacity. Segments are IPv4 packets (protocol 253): offset 20
 * holds the sequence (data) or cumulative ack (ack), 24 the kind, 28 a timestamp echoed for RTT.
 */
const CUBIC_C = 0.4;
const CUBIC_BETA = 0.7;
const DATA = 1;
const ACK = 2;
const DSACK = 3;

function packet(src: number[], dst: number[], kind: number, n: number, ts: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, size);
  p[8] = 64;
  p[9] = 253;
  p.set(src, 12);
  p.set(dst, 16);
  dv.setUint32(20, n);
  p[24] = kind;
  dv.setFloat64(28, ts);
  return p;
}

export interface FlowEnds {
  /** Inject a packet on the sender's side (its TUN). */
  sendData(p: Uint8Array, now: number): void;
  /** Inject a packet on the receiver's side (its TUN). */
  sendAck(p: Uint8Array, now: number): void;
}

export class TcpFlow {
  cwnd = 10;
  ssthresh = Number.POSITIVE_INFINITY;
  nextSeq = 0;
  una = 0;
  private dup = 0;
  private recovery = false;
  private recover = 0;
  private srtt: number | undefined;
  private rttvar = 0;
  private rto = 1000;
  private roundMin = Number.POSITIVE_INFINITY;
  private lastRoundMin = Number.POSITIVE_INFINITY;
  private roundEnd = 0;
  private rtoAt = Number.POSITIVE_INFINITY;
  private checkAt = Number.POSITIVE_INFINITY;
  // receiver
  private expected = 0;
  private readonly ooo = new Set<number>();
  private latestDeliveredSentAt = 0;
  private probePending = false;
  private wMax = 0;
  private epochAt = 0;
  /** Window the current CUBIC epoch starts from: K = cbrt((wMax - it) / C), as Linux computes it. */
  private epochCwnd = 0;
  private sinceAck = 0;
  /** In-order bytes delivered to the receiving application, with times. */
  readonly goodput: Array<{ t: number; bytes: number }> = [];
  retransmits = 0;
  timeouts = 0;
  /** Times fast recovery was entered. */
  readonly recoveries: number[] = [];
  /** Segments that arrived at the receiver below what it had (spurious retransmissions, duplicates). */
  duplicates = 0;

  constructor(
    private readonly sim: NetSim,
    private readonly ends: FlowEnds,
    private readonly src: number[],
    private readonly dst: number[],
    private readonly segment = 1400,
    private readonly maxCwnd = 3000,
  ) {}

  start(now: number): void {
    this.pump(now);
  }

  private readonly sentAt = new Map<number, number>();

  private transmit(seq: number, now: number): void {
    this.sentAt.set(seq, now);
    this.ends.sendData(packet(this.src, this.dst, DATA, seq, now, this.segment), now);
  }

  private pump(now: number): void {
    // In recovery the window counts what is still in the network (RFC 6675's pipe): SACKed segments left it. A
    // sender that stalled for a round trip after every loss would be harsher than Linux (SACK + PRR).
    const sacked = this.recovery ? this.ooo.size : 0;
    while (this.nextSeq - sacked < this.una + Math.floor(this.cwnd)) this.transmit(this.nextSeq++, now);
    if (this.una < this.nextSeq && this.rtoAt === Number.POSITIVE_INFINITY) this.rtoAt = now + this.rto;
    this.armCheck();
  }

  private armCheck(): void {
    if (this.rtoAt < this.checkAt) {
      this.checkAt = this.rtoAt;
      const at = this.rtoAt;
      this.sim.at(at, () => {
        if (this.checkAt === at) this.checkAt = Number.POSITIVE_INFINITY;
        this.onCheck(this.sim.now);
      });
    }
  }

  private onCheck(now: number): void {
    if (now < this.rtoAt || this.una >= this.nextSeq) {
      this.armCheck();
      return;
    }
    if (this.probePending) {
      // Tail loss probe (as Linux does): re-send the oldest segment once before declaring a timeout.
      this.probePending = false;
      this.transmit(this.una, now);
      this.retransmits++;
      this.rtoAt = now + this.rto;
      this.armCheck();
      return;
    }
    // Retransmission timeout: restart from a window of one; holes are then repaired as acks come back.
    this.timeouts++;
    this.wMax = this.cwnd;
    this.epochAt = now;
    this.epochCwnd = this.cwnd * CUBIC_BETA;
    this.ssthresh = Math.max(2, this.cwnd * CUBIC_BETA);
    this.cwnd = 1;
    this.recovery = true;
    this.recover = this.nextSeq - 1;
    this.dup = 0;
    this.transmit(this.una, now);
    this.retransmits++;
    this.rto = Math.min(8000, this.rto * 2);
    this.rtoAt = now + this.rto;
    this.armCheck();
  }

  /** The receiving end (the other TUN) got a packet. */
  onPacket(p: Uint8Array, now: number): void {
    if (p[9] !== 253) return;
    const dv = new DataView(p.buffer, p.byteOffset);
    const n = dv.getUint32(20);
    const ts = dv.getFloat64(28);
    if (p[24] === DATA) this.onData(n, ts, now);
    else if (p[24] === ACK || p[24] === DSACK) this.onAck(n, ts, now, p[24] === DSACK);
  }

  private onData(seq: number, ts: number, now: number): void {
    if (ts > this.latestDeliveredSentAt) this.latestDeliveredSentAt = ts;
    let inOrder = false;
    if (seq === this.expected) {
      inOrder = true;
      this.expected++;
      let bytes = this.segment;
      while (this.ooo.delete(this.expected)) {
        this.expected++;
        bytes += this.segment;
      }
      this.goodput.push({ t: now, bytes });
    } else if (seq > this.expected) this.ooo.add(seq);
    else {
      // A duplicate: acked at once, flagged like a D-SACK so the sender does not read it as a loss signal.
      this.duplicates++;
      this.ends.sendAck(packet(this.dst, this.src, DSACK, this.expected, ts, 40), now);
      return;
    }
    // Ack every second in-order segment, at once on anything unusual (like a real receiver with delayed acks).
    if (inOrder && this.ooo.size === 0 && ++this.sinceAck < 2) {
      // Delayed ack: the odd segment is acked 10 ms later unless another one comes first.
      const mark = this.expected;
      this.sim.at(now + 10, () => {
        if (this.sinceAck > 0 && this.expected === mark) {
          this.sinceAck = 0;
          this.ends.sendAck(packet(this.dst, this.src, ACK, this.expected, ts, 40), this.sim.now);
        }
      });
      return;
    }
    this.sinceAck = 0;
    this.ends.sendAck(packet(this.dst, this.src, ACK, this.expected, ts, 40), now);
  }

  private onAck(cum: number, ts: number, now: number, dsack: boolean): void {
    const sample = now - ts;
    if (this.srtt === undefined) {
      this.srtt = sample;
      this.rttvar = sample / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample);
      this.srtt = 0.875 * this.srtt + 0.125 * sample;
    }
    this.rto = Math.max(200, this.srtt + 4 * this.rttvar);
    // HyStart (delay increase), on by default in Linux CUBIC: leave slow start when this round's minimum RTT
    // exceeds the previous round's by an eighth (4..16 ms), before the doubling overflows a queue by a window.
    if (sample < this.roundMin) this.roundMin = sample;
    if (cum >= this.roundEnd) {
      const last = this.lastRoundMin;
      if (this.cwnd < this.ssthresh && this.cwnd >= 16 && this.roundMin > last + Math.min(16, Math.max(4, last / 8))) {
        this.ssthresh = this.cwnd;
        this.wMax = this.cwnd;
        this.epochAt = now;
        this.epochCwnd = this.cwnd;
      }
      this.lastRoundMin = this.roundMin;
      this.roundMin = Number.POSITIVE_INFINITY;
      this.roundEnd = this.nextSeq;
    }
    if (cum > this.una) {
      const acked = cum - this.una;
      for (let s = this.una; s < cum; s++) this.sentAt.delete(s);
      this.una = cum;
      this.dup = 0;
      this.probePending = true;
      this.rtoAt = this.una < this.nextSeq ? now + Math.max(2 * this.srtt, 20) : Number.POSITIVE_INFINITY;
      if (this.recovery && cum > this.recover) {
        this.recovery = false;
        this.cwnd = this.ssthresh;
      } else if (!this.recovery) {
        if (this.cwnd < this.ssthresh) this.cwnd += acked;
        else this.cubicGrow(acked, now);
        this.cwnd = Math.min(this.cwnd, this.maxCwnd);
      }
    } else if (cum === this.una && this.una < this.nextSeq && !dsack) {
      this.dup++;
      if (this.dup === 3 && !this.recovery) {
        this.wMax = this.cwnd;
        this.epochAt = now;
        this.epochCwnd = this.cwnd * CUBIC_BETA;
        this.ssthresh = Math.max(2, this.cwnd * CUBIC_BETA);
        this.cwnd = this.ssthresh;
        this.recovery = true;
        this.recover = this.nextSeq - 1;
        this.recoveries.push(now);
      }
    }
    if (!this.recovery && this.rackLost()) {
      // RACK runs on every ack, not only after three duplicates: a lost tail that a probe exposed starts recovery.
      this.wMax = this.cwnd;
      this.epochAt = now;
      this.epochCwnd = this.cwnd * CUBIC_BETA;
      this.ssthresh = Math.max(2, this.cwnd * CUBIC_BETA);
      this.cwnd = this.ssthresh;
      this.recovery = true;
      this.recover = this.nextSeq - 1;
      this.recoveries.push(now);
    }
    if (this.recovery) this.repairHoles(now);
    if (this.nextSeq < this.una) this.nextSeq = this.una;
    this.pump(now);
  }

  /** CUBIC (RFC 8312) window growth in congestion avoidance, as Linux senders do, with the Reno-friendly floor. */
  private cubicGrow(acked: number, now: number): void {
    const k = Math.cbrt(Math.max(0, this.wMax - this.epochCwnd) / CUBIC_C);
    const t = (now - this.epochAt + (this.srtt ?? 0)) / 1000;
    const target = CUBIC_C * (t - k) ** 3 + this.wMax;
    const step = target > this.cwnd ? (target - this.cwnd) / this.cwnd : 0.01 / this.cwnd;
    this.cwnd += Math.max(step, acked / this.cwnd / 3) * acked;
  }

  /**
   * SACK-style repair: the receiver's out-of-order set stands in for SACK blocks. A hole below the highest
   * segment received is re-sent when a segment sent after its last copy has arrived (RACK's rule), two per ack.
   */
  /** RACK's rule: is some segment not received although one sent after it (by more than srtt/4) was? */
  private rackLost(): boolean {
    const reorderWindow = (this.srtt ?? 0) / 4;
    for (let s = Math.max(this.una, this.expected); s < this.nextSeq; s++) {
      if (this.ooo.has(s)) continue;
      return (this.sentAt.get(s) ?? 0) < this.latestDeliveredSentAt - reorderWindow;
    }
    return false;
  }

  private repairHoles(now: number): void {
    let budget = 2;
    // RACK marks lost any segment sent before one that was delivered, above the highest SACKed one too: after a
    // lost tail, the tail loss probe's delivery is what reveals the rest (Linux RACK-TLP).
    const limit = this.nextSeq;
    const reorderWindow = (this.srtt ?? 0) / 4;
    for (let s = Math.max(this.una, this.expected); s < limit && budget > 0; s++) {
      if (this.ooo.has(s)) continue;
      if ((this.sentAt.get(s) ?? 0) >= this.latestDeliveredSentAt - reorderWindow) continue;
      this.transmit(s, now);
      this.retransmits++;
      budget--;
    }
  }

  /** Goodput in Mbit/s (inner IP bytes delivered in order) over [from, to]. */
  mbits(from: number, to: number): number {
    let bytes = 0;
    for (const g of this.goodput) if (g.t >= from && g.t < to) bytes += g.bytes;
    return (bytes * 8) / ((to - from) * 1000);
  }
}
