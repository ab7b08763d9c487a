import type { Mode, PathId, PathState } from './api.js';
import type { Timing } from './constants.js';
import type { AckFrame } from './frames.js';
import { diff32 } from './numbers.js';
import { ReplayWindow } from './replay.js';

/** Segment size the congestion windows count in. */
export const CC_MSS = 1400;
const INITIAL_CWND = 32 * CC_MSS;
// At least two acks' worth of packets (the receiver acks every 4th) so a tiny RTT never stalls on the ack delay.
const MIN_CWND = 10 * CC_MSS;
/**
 * cwnd = CWND_GAIN x bandwidth x min RTT + a queue allowance of QUEUE_TARGET_MS at the bandwidth (at least 4
 * packets, for ack aggregation). The allowance is in time, not in RTTs: a slow path with a long RTT would otherwise
 * keep a long queue, and every packet lost on it holds the receiver's reorder buffer for that much longer.
 */
const CWND_GAIN = 1;
const MIN_CWND_GAIN = 0.85;
/** The gain rises towards this while the path shows no queue (probing for capacity that came back). */
const MAX_CWND_GAIN = 1.5;
export const QUEUE_TARGET_MS = 12;
/** Queueing delay above which the bandwidth estimate is taken as stale. */
const DRAIN_TRIGGER_MS = 3 * QUEUE_TARGET_MS + 10;
/** Initial and largest reordering tolerance in packets; it grows each time a loss turns out to be spurious. */
const PACKET_THRESHOLD = 1;
const MAX_PACKET_THRESHOLD = 64;
const RECENT_LOSSES = 256;
const MIN_RTT_WINDOW_MS = 10_000;
const STALL_MIN_MS = 80;
/** Queueing delay that makes a path stalled (its packets would arrive long after the other paths' ones). */
const STALL_QUEUE_MS = 120;
/** Loss fraction of a round above which a loss is taken as congestion (random link loss stays below). */
const NOISE_LOSS = 0.05;
/** The bandwidth maximum filter spans max(BW_WINDOW_MIN_MS, BW_WINDOW_RTTS x min RTT), two such windows. */
const BW_WINDOW_MIN_MS = 300;
const BW_WINDOW_RTTS = 8;

/** One sent packet the sender waits to hear about (only ack-eliciting packets are tracked). */
export interface SentPacket {
  pn: number;
  size: number;
  sentAt: number;
  /** Session sequence of a data packet, -1 for a probe. */
  seq: number;
  payload: Buffer | undefined;
  mode: Mode;
  delivered: number;
  deliveredAt: number;
  firstSentAt: number;
  appLimited: boolean;
  done: boolean;
  /** Copied to another path when this one stalled: a later loss here needs no further re-send. */
  rescued?: boolean;
}

export interface AckSink {
  acked(p: SentPacket): void;
  lost(p: SentPacket, path: Path): void;
}

/** Per-path state of one session, both directions: what we sent (estimators, congestion) and what we received. */
export class Path {
  state: PathState = 'probing';
  lastChange: number;
  address: string | undefined;
  closed = false;

  // --- sending
  nextPn = 0;
  private sent: SentPacket[] = [];
  private head = 0;
  inflight = 0;
  /** Outstanding data packets (not probes). */
  dataOutstanding = 0;
  lastAckElicitingAt = Number.NEGATIVE_INFINITY;
  lastFeedbackAt = Number.NEGATIVE_INFINITY;
  lossTime = Number.POSITIVE_INFINITY;
  largestAcked = -1;
  srtt: number | undefined;
  /** Latest RTT sample less the peer's ack delay: the queue the path holds right now (vs minRtt). */
  rttLatest: number | undefined;
  /** No feedback for longer than expected with data out: no new data goes here until an ack comes back. */
  stalled = false;
  /** Set by the session when every up path is stalled: this one (heard from last) carries on meanwhile. */
  carryOn = false;
  rescueDue = false;
  rescues = 0;
  rttvar = 0;
  minRtt = Number.POSITIVE_INFINITY;
  private minRttAt = 0;
  /** Windowed minimum of (receiver clock - sender clock) in ms, with the session's arbitrary common offset. */
  owdMin: number | undefined;
  owdLatest: number | undefined;
  private owdMinAt = 0;
  cwnd = INITIAL_CWND;
  /** Bottleneck bandwidth estimate, bytes per ms (x8 = kbit/s). */
  btlBw = 0;
  private bwCur = 0;
  private bwPrev = 0;
  private bwStart = 0;
  private delivered = 0;
  private deliveredAt = 0;
  private appLimitedUntil = 0;
  private firstSentAt = 0;
  startup = true;
  private cwndGain = CWND_GAIN;
  private fullBw = 0;
  private fullBwRounds = 0;
  private roundEndPn = 0;
  private lostThisRound = 0;
  private ackedThisRound = 0;
  private reorderThreshold = PACKET_THRESHOLD;
  /** Extra time tolerance (ms) learned from spurious losses (jitter that reorders within the path). */
  private reorderTime = 0;
  private readonly recentLost = new Map<number, number>();
  spuriousLosses = 0;
  loss = 0;
  probeAcks = 0;
  private tokens = 0;
  private tokensAt = 0;
  shareBytes = 0;
  private shareAt = 0;

  // --- receiving
  readonly replay = new ReplayWindow();
  ackPending = 0;
  ackDueAt = Number.POSITIVE_INFINITY;
  /** A gap was seen: a copy of this path's ACK goes out at once on the fastest path too (fast loss recovery). */
  crossAckDue = false;
  largestRecvAt = 0;
  peerRateKbit: number | undefined;
  estimateDue = 0;

  // --- counters
  txBytes = 0;
  rxBytes = 0;
  txPackets = 0;
  rxPackets = 0;

  constructor(
    readonly id: PathId,
    public name: string,
    now: number,
  ) {
    this.lastChange = now;
  }

  setState(state: PathState, now: number): void {
    if (this.state === state) return;
    this.state = state;
    this.lastChange = now;
    if (state !== 'up') this.probeAcks = 0;
  }

  /** Congestion and estimator state back to a fresh path (after a suspect period or a new session). */
  resetCongestion(): void {
    this.cwnd = INITIAL_CWND;
    this.stalled = false;
    this.rttLatest = undefined;
    this.btlBw = this.bwCur = this.bwPrev = 0;
    this.startup = true;
    this.cwndGain = CWND_GAIN;
    this.fullBw = 0;
    this.fullBwRounds = 0;
  }

  /**
   * Pacing: a token bucket at a multiple of the bandwidth estimate, so a window's worth of packets does not hit
   * the modem's queue in one burst (2.5x while starting up, 1.25x after: enough to find more capacity).
   */
  pacingRate(): number {
    if (this.btlBw <= 0) return 0;
    if (!this.startup) return 1.25 * this.btlBw;
    // Early samples are app-limited underestimates: what the window allows per RTT is the better guide.
    const rtt = Number.isFinite(this.minRtt) && this.minRtt > 0 ? this.minRtt : 0;
    return 2.5 * Math.max(this.btlBw, rtt > 0 ? this.cwnd / rtt : 0);
  }

  private refill(now: number): void {
    const rate = this.pacingRate();
    if (rate > 0) this.tokens = Math.min(Math.max(3 * CC_MSS, 2 * rate), this.tokens + (now - this.tokensAt) * rate);
    this.tokensAt = now;
  }

  /** Stalled and not the one carrying on: takes no new data. */
  blocked(): boolean {
    return this.stalled && !this.carryOn;
  }

  canSend(bytes: number, now: number): boolean {
    if (this.state !== 'up' || this.blocked() || this.inflight + bytes > this.cwnd) return false;
    if (this.pacingRate() <= 0) return true;
    this.refill(now);
    return this.tokens >= 0;
  }

  /** When pacing lets this path send again (now or later); +Infinity when the window is what blocks it. */
  readyAt(bytes: number): number {
    if (this.state !== 'up' || this.blocked() || this.inflight + bytes > this.cwnd) return Number.POSITIVE_INFINITY;
    const rate = this.pacingRate();
    if (rate <= 0 || this.tokens >= 0) return this.tokensAt;
    return this.tokensAt + -this.tokens / rate + 0.001;
  }

  /** Expected arrival at the receiver of `bytes` sent now, relative to a common base (see scheduler). */
  eta(bytes: number, base: number): number {
    const delay = this.owdMin !== undefined ? this.owdMin - base : (this.srtt ?? 100) / 2;
    const rtt = Number.isFinite(this.minRtt) ? this.minRtt : 0;
    // While starting up the estimate lags what the window already allows: be optimistic, or a path that was
    // never used would never be measured.
    const rate = this.startup && rtt > 0 ? Math.max(this.btlBw, this.cwnd / rtt) : this.btlBw;
    if (rate <= 0) return delay;
    const backlog = Math.max(0, this.inflight - rate * rtt);
    return delay + (backlog + bytes) / rate;
  }

  /** How long without feedback, while something is outstanding, before the path is suspect. */
  suspectTimeout(t: Timing): number {
    const rtt = this.srtt === undefined ? t.suspectMaxMs : 3 * this.srtt + 4 * this.rttvar;
    return Math.min(t.suspectMaxMs, Math.max(t.suspectMinMs, rtt));
  }

  /** When the path turns suspect if no feedback arrives; +Infinity when nothing is outstanding. */
  suspectAt(t: Timing): number {
    const first = this.oldestOutstanding();
    if (first === undefined) return Number.POSITIVE_INFINITY;
    // With only probes out (an idle path), one lost probe is not enough: the next one must go unanswered too.
    const grace = this.dataOutstanding > 0 ? 0 : this.state === 'up' ? t.probeIntervalMs : 0;
    return Math.max(this.lastFeedbackAt, first.sentAt) + this.suspectTimeout(t) + grace;
  }

  private oldestOutstanding(): SentPacket | undefined {
    for (let i = this.head; i < this.sent.length; i++) {
      const p = this.sent[i]!;
      if (!p.done) return p;
    }
    return undefined;
  }

  /**
   * The sender ran out of packets while this path had room: rate samples until what is in flight now has been
   * delivered measure the demand, not the path (BBR's app-limited "bubble").
   */
  markAppLimited(): void {
    this.appLimitedUntil = Math.max(this.appLimitedUntil, this.delivered + this.inflight + 1);
  }

  onSent(p: SentPacket, now: number, appLimited: boolean): void {
    if (this.inflight === 0) this.firstSentAt = this.deliveredAt = now;
    p.delivered = this.delivered;
    p.deliveredAt = this.deliveredAt;
    p.firstSentAt = this.firstSentAt;
    p.appLimited = appLimited || this.appLimitedUntil > this.delivered;
    this.sent.push(p);
    this.inflight += p.size;
    if (p.seq >= 0) this.dataOutstanding++;
    if (p.seq >= 0) {
      this.refill(now);
      this.tokens -= p.size;
    }
    this.lastAckElicitingAt = now;
    if (p.seq >= 0) {
      const decay = Math.exp(-(now - this.shareAt) / 2000);
      this.shareBytes = this.shareBytes * decay + p.size;
      this.shareAt = now;
    }
  }

  shareAtTime(now: number): number {
    return this.shareBytes * Math.exp(-(now - this.shareAt) / 2000);
  }

  /** Takes every outstanding packet off the path (it went suspect, down or closed); the caller re-sends them. */
  abandonAll(): SentPacket[] {
    const out: SentPacket[] = [];
    for (let i = this.head; i < this.sent.length; i++) {
      const p = this.sent[i]!;
      if (!p.done) {
        p.done = true;
        out.push(p);
      }
    }
    this.sent = [];
    this.head = 0;
    this.inflight = 0;
    this.dataOutstanding = 0;
    this.largestAcked = -1;
    this.lossTime = Number.POSITIVE_INFINITY;
    return out;
  }

  /**
   * Processes an acknowledgement of this path's packets. `owdRef` anchors the u32 clock difference. `samePath` is
   * false for a copy that came back on another path (a gap report): it acknowledges and detects losses, but its
   * timing mixes two paths, so it feeds neither the RTT nor the delivery rate.
   */
  onAck(ack: AckFrame, now: number, sink: AckSink, owdRef: { ticks: number | undefined }, samePath = true): void {
    const largest = this.expandAcked(ack.largestLow);
    if (largest < 0) return;
    this.lastFeedbackAt = now;
    if (largest > this.largestAcked) this.largestAcked = largest;
    let newestAcked: SentPacket | undefined;
    let ackedBytes = 0;
    // Packets go oldest first, so their offsets below `largest` shrink: walk the ranges from the far end.
    let r = ack.rangeCount - 1;
    for (let i = this.head; i < this.sent.length; i++) {
      const p = this.sent[i]!;
      if (p.done) continue;
      if (p.pn > largest) break;
      const off = largest - p.pn;
      while (r >= 0 && off < ack.ranges[2 * r]!) r--;
      if (r >= 0 && off <= ack.ranges[2 * r + 1]!) {
        p.done = true;
        this.inflight -= p.size;
        if (p.seq >= 0) this.dataOutstanding--;
        ackedBytes += p.size;
        this.ackedThisRound++;
        newestAcked = p;
        this.loss = this.loss * 0.98;
        sink.acked(p);
      }
    }
    if (this.recentLost.size > 0) this.checkSpurious(ack, largest);
    if (newestAcked && !samePath) this.delivered += ackedBytes;
    else if (newestAcked) {
      this.delivered += ackedBytes;
      this.deliveredAt = now;
      if (newestAcked.pn === largest) {
        const rtt = now - newestAcked.sentAt;
        this.onRtt(rtt, ack.ackDelayMs, now);
        this.rttLatest = rtt - ack.ackDelayMs >= this.minRtt ? rtt - ack.ackDelayMs : rtt;
        // A growing RTT while starting up means the modem's queue fills: the pipe is full (HyStart's idea). Not on
        // an app-limited packet while the path uses little of its window: that queue is not ours but the reverse
        // direction's, which our acks come back through while a transfer runs the other way. Leaving startup on
        // it froze the ack trickle this path carried as its capacity, and the next transfer this way crawled up
        // from it for seconds (lab, S-static: 7, 19, 24 Mbit/s in the first half seconds of a download).
        const ours = !newestAcked.appLimited || this.inflight + ackedBytes >= this.cwnd / 2;
        if (this.startup && this.btlBw > 0 && ours && rtt - ack.ackDelayMs > 1.25 * this.minRtt + 4)
          this.startup = false;
        const sentTicks = Math.round(newestAcked.sentAt * 10) >>> 0;
        if (owdRef.ticks === undefined) owdRef.ticks = (ack.recvTicks - sentTicks) >>> 0;
        const owd = diff32((ack.recvTicks - sentTicks) >>> 0, owdRef.ticks) / 10;
        this.owdLatest = owd;
        if (this.owdMin === undefined || owd <= this.owdMin || now - this.owdMinAt > MIN_RTT_WINDOW_MS) {
          this.owdMin = owd;
          this.owdMinAt = now;
        }
      }
      this.onDelivered(newestAcked, ackedBytes, now);
    }
    this.detectLosses(largest, now, sink);
    // A queue this deep holds packets that other paths would deliver sooner: stop feeding it and copy what it
    // holds elsewhere (the session does, on `rescueDue`). It is fed again once its RTT is back near the floor.
    if (this.stalled) {
      if (this.queueDelay() <= STALL_QUEUE_MS) this.stalled = false;
    } else if (this.state === 'up' && this.queueDelay() > STALL_QUEUE_MS && this.dataOutstanding > 0) {
      this.rescueDue = true;
    }
  }

  /** A packet we declared lost was acked after all: it was reordered, so tolerate more reordering. */
  private checkSpurious(ack: AckFrame, largest: number): void {
    for (const [pn, age] of this.recentLost) {
      if (pn < largest - 2048) {
        this.recentLost.delete(pn);
        continue;
      }
      const off = largest - pn;
      if (off < 0) continue;
      for (let r = 0; r < ack.rangeCount; r++) {
        if (off >= ack.ranges[2 * r]! && off <= ack.ranges[2 * r + 1]!) {
          this.recentLost.delete(pn);
          this.spuriousLosses++;
          this.reorderThreshold = Math.min(MAX_PACKET_THRESHOLD, this.reorderThreshold * 2);
          this.reorderTime = Math.min(200, Math.max(this.reorderTime, age / 4));
          break;
        }
      }
    }
  }

  private expandAcked(low: number): number {
    // The acked number is one we sent: the largest sent one with these low 32 bits.
    const top = this.nextPn - 1;
    if (top < 0) return -1;
    const candidate = top - (((top - low) % 0x1_0000_0000) >>> 0);
    return candidate >= 0 ? candidate : -1;
  }

  private onRtt(rtt: number, ackDelay: number, now: number): void {
    if (rtt < this.minRtt || now - this.minRttAt > MIN_RTT_WINDOW_MS) {
      this.minRtt = rtt;
      this.minRttAt = now;
    }
    const adjusted = rtt - ackDelay >= this.minRtt ? rtt - ackDelay : rtt;
    if (this.srtt === undefined) {
      this.srtt = adjusted;
      this.rttvar = adjusted / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - adjusted);
      this.srtt = 0.875 * this.srtt + 0.125 * adjusted;
    }
  }

  private onDelivered(p: SentPacket, ackedBytes: number, now: number): void {
    const interval = Math.max(p.sentAt - p.firstSentAt, now - p.deliveredAt);
    this.firstSentAt = p.sentAt;
    if (interval > 0) {
      const rate = (this.delivered - p.delivered) / interval;
      if (!p.appLimited || rate > this.btlBw) this.updateBw(rate, now, p.appLimited);
      // A standing queue far above the target means the estimate is stale (the capacity fell, a cellular link
      // dropped 10x): the path is backlogged, so this sample is its capacity now. Take it instead of waiting for
      // the max filter to age out, while the queue grows by the second.
      if (!this.startup && !p.appLimited && rate < this.btlBw && this.queueDelay() > DRAIN_TRIGGER_MS) {
        this.bwCur = this.bwPrev = this.btlBw = rate;
        this.bwStart = now;
      }
    }
    if (this.startup && this.inflight + ackedBytes >= this.cwnd / 2) this.cwnd += ackedBytes;
    if (p.pn >= this.roundEndPn) {
      // One round trip of packets: judge it.
      this.roundEndPn = this.nextPn;
      if (this.startup) {
        if (this.btlBw >= this.fullBw * 1.25) {
          this.fullBw = this.btlBw;
          this.fullBwRounds = 0;
        } else if (!p.appLimited) this.fullBwRounds++;
        if (this.fullBwRounds >= 3 || this.congestiveLoss()) this.startup = false;
      }
      // Queue overflow losses mean the window overfills this modem's buffer: aim lower, creep back up.
      // Loss with a queue (RTT above its floor) is congestion; loss on an empty pipe is the link's noise.
      const queued = this.srtt !== undefined && this.srtt > 1.2 * this.minRtt + 2;
      if (this.congestiveLoss() && queued) this.cwndGain = Math.max(MIN_CWND_GAIN, this.cwndGain * 0.9);
      else if (this.queueDelay() < QUEUE_TARGET_MS / 2) this.cwndGain = Math.min(MAX_CWND_GAIN, this.cwndGain + 0.1);
      else if (this.queueDelay() > QUEUE_TARGET_MS) this.cwndGain = Math.max(CWND_GAIN, this.cwndGain - 0.1);
      this.lostThisRound = 0;
      this.ackedThisRound = 0;
    }
    if (!this.startup) {
      const bdp = this.btlBw * (Number.isFinite(this.minRtt) ? this.minRtt : 0);
      this.cwnd = Math.max(MIN_CWND, this.cwndGain * bdp + Math.max(4 * CC_MSS, this.btlBw * QUEUE_TARGET_MS));
    }
  }

  /** Queueing delay the path shows now, ms (latest RTT above the floor). */
  queueDelay(): number {
    if (this.rttLatest === undefined || !Number.isFinite(this.minRtt)) return 0;
    return this.rttLatest - this.minRtt;
  }

  /**
   * How long a path with data out may stay silent before it counts as stalled (an outage, a capacity crash): about
   * two round trips at its floor RTT plus its queue allowance, far shorter than the suspect timeout, which follows
   * the smoothed RTT a growing queue inflates.
   */
  stallTimeout(): number {
    const rtt = Number.isFinite(this.minRtt) ? this.minRtt : 200;
    return Math.max(STALL_MIN_MS, 2 * rtt + 3 * QUEUE_TARGET_MS);
  }

  /** When the path counts as stalled if no feedback arrives; +Infinity when no data is out or it already is. */
  stallAt(): number {
    if (this.stalled || this.state !== 'up' || this.dataOutstanding === 0) return Number.POSITIVE_INFINITY;
    const first = this.oldestOutstanding();
    if (first === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(this.lastFeedbackAt, first.sentAt) + this.stallTimeout();
  }

  /** Marks the path stalled and returns its outstanding data packets not rescued yet (still tracked here). */
  rescue(): SentPacket[] {
    this.stalled = true;
    this.rescues++;
    const out: SentPacket[] = [];
    for (let i = this.head; i < this.sent.length; i++) {
      const p = this.sent[i]!;
      if (!p.done && p.seq >= 0 && !p.rescued) {
        p.rescued = true;
        out.push(p);
      }
    }
    return out;
  }

  /**
   * More than a link's background noise lost in this round: a modem queue overflowed. Random loss (radio, a bad
   * line) stays below it and must not shrink the window: the lost packets are re-sent on another path anyway.
   */
  private congestiveLoss(): boolean {
    return this.lostThisRound >= 2 && this.lostThisRound > NOISE_LOSS * (this.lostThisRound + this.ackedThisRound);
  }

  private updateBw(rate: number, now: number, appLimited: boolean): void {
    // On the floor RTT, not the smoothed one: a queue that builds after a capacity drop inflates srtt and would
    // keep the stale maximum alive for seconds, just when it must go.
    const window = Math.max(BW_WINDOW_MIN_MS, BW_WINDOW_RTTS * (Number.isFinite(this.minRtt) ? this.minRtt : 100));
    // Only a path pushed to its limit can show that its capacity fell: an idle one keeps its estimate.
    if (now - this.bwStart > window && !appLimited) {
      this.bwPrev = this.bwCur;
      this.bwCur = 0;
      this.bwStart = now;
    }
    if (rate > this.bwCur) this.bwCur = rate;
    this.btlBw = Math.max(this.bwCur, this.bwPrev);
  }

  /** Declares lost what is older than the packet/time thresholds; arms `lossTime` for the rest. */
  detectLosses(largest: number, now: number, sink: AckSink): void {
    const lossDelay =
      Math.max(2, 1.125 * Math.max(this.srtt ?? 0, this.minRtt === Infinity ? 0 : this.minRtt)) + this.reorderTime;
    this.lossTime = Number.POSITIVE_INFINITY;
    for (let i = this.head; i < this.sent.length; i++) {
      const p = this.sent[i]!;
      if (p.done) continue;
      if (p.pn >= largest) break;
      if (largest - p.pn >= this.reorderThreshold || p.sentAt + lossDelay <= now) {
        p.done = true;
        this.inflight -= p.size;
        if (p.seq >= 0) this.dataOutstanding--;
        this.loss = this.loss * 0.98 + 0.02;
        this.lostThisRound++;
        if (this.recentLost.size >= RECENT_LOSSES) this.recentLost.clear();
        this.recentLost.set(p.pn, now - p.sentAt);
        sink.lost(p, this);
      } else if (p.sentAt + lossDelay < this.lossTime) this.lossTime = p.sentAt + lossDelay;
    }
    while (this.head < this.sent.length && this.sent[this.head]!.done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.sent.length) {
      this.sent = this.sent.slice(this.head);
      this.head = 0;
    }
  }

  /** Timer-driven loss detection (packets below the largest acked, older than the time threshold). */
  onLossTimer(now: number, sink: AckSink): void {
    if (now < this.lossTime) return;
    this.detectLosses(this.largestAcked, now, sink);
  }
}
