import type { Aead, SealJob } from './aead.js';
import type { Mode, PathChoice, PathId, PathMask, PathStats, SessionStats } from './api.js';
import type { ByteBudget } from './budget.js';
import { CoDel, markCongestion } from './codel.js';
import { HEADER_BYTES, MAX_PATHS, SEQ_BYTES, TAG_BYTES, type Timing, TYPE_CONTROL, TYPE_DATA } from './constants.js';
import { Decaying } from './decaying.js';
import { Fifo } from './fifo.js';
import {
  type AckFrame,
  ackBytes,
  ESTIMATE_BYTES,
  FRAME_ACK,
  FRAME_ESTIMATE,
  FRAME_PATH_CLOSE,
  FRAME_PIN,
  FRAME_PING,
  MAX_ACK_RANGES,
  PATH_CLOSE_BYTES,
  PIN_BYTES,
  PING_BYTES,
  readAck,
  TICKS_PER_MS,
  writeAck,
  writeEstimate,
  writePathClose,
  writePing,
} from './frames.js';
import { expand32 } from './numbers.js';
import { type AckSink, CC_MSS, Path, type SentPacket } from './path.js';
import { Pin } from './pin.js';
import { REORDER_MAX_BYTES, ReorderBuffer } from './reorder.js';
import { ALL_PATHS, allows, pickPaths, pickResendPath } from './scheduler.js';

/** Transport keys of one handshake. Indices are how a receiver finds the keys of a datagram (its header). */
export interface Keypair {
  localIndex: number;
  remoteIndex: number;
  sendKey: Buffer;
  recvKey: Buffer;
  createdAt: number;
  sent: number;
  received: number;
}

/** A datagram built by the session, sealed lazily in batches when the adapter polls. */
export interface TxRecord extends SealJob {
  to: string | undefined;
}

interface Queued {
  packet: Buffer;
  seq: number;
  at: number;
  mode: Mode;
  avoid: number;
  /** Index of the lane of the packet's policy paths (see Lane); -1 when every path may carry it. */
  lane: number;
}

/**
 * Packets whose policy allows only some paths, waiting because those paths had no room: they step aside so the
 * main queue does not wait behind them (one lane per distinct set of paths, FIFO within it).
 */
interface Lane {
  readonly mask: PathMask;
  items: Queued[];
  head: number;
  /** The failover path of this lane's traffic (the main queue's is Session.sticky). */
  readonly sticky: { failover: Path | undefined };
}

/** Distinct restricted path sets a session keeps lanes for; packets of further sets are not restricted. */
const MAX_LANES = 32;

const MAX_QUEUE = 4096;
/** Bytes of the ingress queue: 4096 jumbo packets would be 256 MiB, the sojourn limit alone does not bound that. */
const MAX_QUEUE_BYTES = 4 * 2 ** 20;
const SEQ_RING = 65_536;
const ACK_SPAN = 512;
const ESTIMATE_EVERY_MS = 1000;

/**
 * The data plane of one session, identical on both ends: paths, ingress queue and scheduler, acknowledgements and
 * loss recovery, reordering, and the keys to seal with. Handshakes live in the client and server engines.
 */
export class Session implements AckSink {
  readonly paths: Path[] = [];
  current: Keypair | undefined;
  previous: Keypair | undefined;
  next: Keypair | undefined;
  establishedAt: number | undefined;
  lastRecvAt = Number.NEGATIVE_INFINITY;
  resent = 0;
  duplicatesSent = 0;
  handshakes = 0;
  queueDropped = 0;
  /** Bytes in the ingress queue now (a running sum). */
  queueBytes = 0;
  txBytes = 0;
  rxBytes = 0;
  readonly reorder: ReorderBuffer;
  private readonly queue: Queued[] = [];
  private qHead = 0;
  private readonly resend: Queued[] = [];
  private nextSeq = 0;
  private readonly ackedSeq = new Float64Array(SEQ_RING).fill(-1);
  private readonly delivered = new Fifo<Buffer>();
  private readonly tx: TxRecord[] = [];
  private txHead = 0;
  private sealed = 0;
  private readonly owdRef: { ticks: number | undefined } = { ticks: undefined };
  private readonly sticky: { failover: Path | undefined } = { failover: undefined };
  private readonly picked: Path[] = [];
  private readonly rangeScratch: number[] = [];
  private readonly ack: AckFrame = {
    pathId: 0,
    largestLow: 0,
    ackDelayMs: 0,
    recvTicks: 0,
    ranges: [],
    rangeCount: 0,
  };
  private readonly closing: Path[] = [];
  private readonly codel = new CoDel();
  private readonly dataSent = new Decaying();
  private readonly extraSent = new Decaying();
  private lastNow = 0;
  /** Restricted packets that had to wait for their paths (policy `use_link`), by path set. */
  private readonly lanes: Lane[] = [];
  /** Packets waiting in lanes. */
  private parked = 0;
  /** Lane + 1 of each sent sequence number (0: any path), for re-sends; made when the first lane is. */
  private seqLane: Uint8Array | undefined;
  /** allowedFor widened the mask because none of the allowed paths was up. */
  private fellBack = false;
  restrictedFallbacks = 0;
  /** The session-wide pin: pinPath on the router, the peer's PIN frames on the server. */
  private readonly pin = new Pin();

  constructor(
    private readonly aead: Aead,
    private readonly timing: Timing,
    public mode: Mode,
    private readonly classify: ((packet: Uint8Array) => Mode | PathChoice) | undefined,
    private readonly budget?: ByteBudget,
  ) {
    this.reorder = new ReorderBuffer(
      (p) => this.delivered.push(p),
      timing.minHoldMs,
      timing.maxHoldMs,
      REORDER_MAX_BYTES,
      budget,
    );
  }

  path(id: PathId): Path | undefined {
    for (const p of this.paths) if (p.id === id) return p;
    return undefined;
  }

  addPath(id: PathId, name: string, now: number): Path {
    const existing = this.path(id);
    if (existing) {
      existing.name = name;
      if (existing.closed) {
        existing.closed = false;
        existing.setState('probing', now);
      }
      return existing;
    }
    if (this.paths.length >= MAX_PATHS) throw new Error(`at most ${MAX_PATHS} paths per session`);
    const p = new Path(id, name, now);
    this.paths.push(p);
    return p;
  }

  /** Announces the close to the peer (on the path itself), moves its in-flight packets, stops using it. */
  closePath(id: PathId, now: number): void {
    const p = this.path(id);
    if (!p || p.closed) return;
    this.closing.push(p);
    this.takeDown(p, 'down', now);
    p.closed = true;
  }

  /** The adapter reports a local link change. */
  pathChange(id: PathId, change: 'up' | 'down' | 'address', now: number): void {
    const p = this.path(id);
    if (!p || p.closed) return;
    if (change === 'down') this.takeDown(p, 'down', now);
    else if (change === 'up') {
      if (p.state === 'down') p.setState('probing', now);
      p.lastAckElicitingAt = Number.NEGATIVE_INFINITY;
    } else p.lastAckElicitingAt = Number.NEGATIVE_INFINITY; // probe now: the peer learns the new address
  }

  private takeDown(p: Path, state: 'down' | 'suspect', now: number): void {
    p.setState(state, now);
    for (const s of p.abandonAll()) this.lost(s, p);
    p.resetCongestion();
    if (this.sticky.failover === p) this.sticky.failover = undefined;
  }

  sendKeypair(now: number): Keypair | undefined {
    const k = this.current;
    if (!k || now - k.createdAt >= this.timing.rejectAfterMs || k.sent >= 2 ** 31) return undefined;
    return k;
  }

  // ------------------------------------------------------------------ ingress from TUN

  enqueue(packet: Uint8Array, now: number): void {
    const choice = this.classify ? this.classify(packet) : this.mode;
    const mode = typeof choice === 'string' ? choice : choice.mode;
    const lane = typeof choice === 'string' ? -1 : this.laneOf(choice.paths);
    const n = packet.length;
    const overBudget = this.budget !== undefined && !this.budget.fits(n);
    if (this.queue.length - this.qHead >= MAX_QUEUE || this.queueBytes + n > MAX_QUEUE_BYTES || overBudget) {
      if (overBudget) this.budget!.refused++;
      this.queueDropped++;
      return;
    }
    this.queueBytes += n;
    if (this.budget) this.budget.used += n;
    // The sequence number is given when the packet leaves: an AQM drop then leaves no hole for the receiver.
    this.queue.push({ packet: Buffer.from(packet), seq: -1, at: now, mode, avoid: -1, lane });
  }

  /** The lane of a restricted path set (made on first use); -1 for every path, or when MAX_LANES are taken. */
  private laneOf(mask: PathMask): number {
    if (mask === ALL_PATHS) return -1;
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) if (lanes[i]!.mask === mask) return i;
    if (lanes.length >= MAX_LANES) return -1;
    lanes.push({ mask, items: [], head: 0, sticky: { failover: undefined } });
    this.seqLane ??= new Uint8Array(SEQ_RING);
    return lanes.length - 1;
  }

  /** The lane a sent sequence number belonged to (re-sends keep to its paths). */
  private laneOfSeq(seq: number): number {
    return this.seqLane ? this.seqLane[seq % SEQ_RING]! - 1 : -1;
  }

  private anyUp(mask: PathMask): boolean {
    for (const p of this.paths) if (!p.closed && p.state === 'up' && allows(mask, p.id)) return true;
    return false;
  }

  /**
   * The paths a packet of `lane` may take now: its policy's, narrowed to the pin where they include the pinned
   * path; when none of them is up, every path (mwan3 falls back to the default route the same way) and
   * `fellBack` says so.
   */
  private allowedFor(lane: number, now: number): PathMask {
    this.fellBack = false;
    let mask = lane >= 0 ? this.lanes[lane]!.mask : ALL_PATHS;
    const pin = this.pin.mask(now);
    if (pin !== ALL_PATHS) {
      if (mask === ALL_PATHS) mask = pin;
      else if ((mask & pin) !== 0 && this.anyUp(mask & pin)) mask &= pin;
    }
    if (mask !== ALL_PATHS && !this.anyUp(mask)) {
      this.fellBack = true;
      return ALL_PATHS;
    }
    return mask;
  }

  /** Pins our data to one path (-1: unpins); the peer is told separately (announcePin). */
  setPin(pathId: number, until: number): void {
    if (this.pin.set(pathId, until)) this.pinChanged();
  }

  /** Our PIN frames from now on say `pathId` (undefined: unpinned, said for one pin lifetime), starting at once. */
  announcePin(pathId: PathId | undefined, now: number): void {
    this.pin.announce(pathId, now);
  }

  /** Failover traffic picks its path afresh: after an unpin, the best one rather than the one pinned. */
  private pinChanged(): void {
    this.sticky.failover = undefined;
    for (const lane of this.lanes) lane.sticky.failover = undefined;
  }

  /** A packet left the ingress queue (sent or dropped): its bytes no longer count against the limits. */
  private dequeued(q: Queued): void {
    this.queueBytes -= q.packet.length;
    if (this.budget) this.budget.used -= q.packet.length;
  }

  /** Gives back to the shared budget everything this session holds (it is being dropped). */
  release(): void {
    this.reorder.release();
    if (this.budget) this.budget.used -= this.queueBytes;
    this.queueBytes = 0;
  }

  // ------------------------------------------------------------------ AckSink

  acked(p: SentPacket): void {
    if (p.seq >= 0) this.ackedSeq[p.seq % SEQ_RING] = p.seq;
  }

  lost(p: SentPacket, path: Path): void {
    if (p.seq < 0 || !p.payload || p.rescued || this.ackedSeq[p.seq % SEQ_RING] === p.seq) return;
    const lane = this.laneOfSeq(p.seq);
    this.resend.push({ packet: p.payload, seq: p.seq, at: p.sentAt, mode: 'bond', avoid: path.id, lane });
  }

  // ------------------------------------------------------------------ receive

  /** Authenticates and processes one data/control datagram; false when it is rejected (caller stays silent). */
  receive(kp: Keypair, buf: Uint8Array, now: number, from: string | undefined, createPaths: boolean): boolean {
    if (buf.length < HEADER_BYTES + TAG_BYTES) return false;
    const type = buf[0]!;
    const pathId = buf[5]!;
    const low = (buf[6]! | (buf[7]! << 8) | (buf[8]! << 16) | (buf[9]! << 24)) >>> 0;
    let p = this.path(pathId);
    if (!p && (!createPaths || this.paths.length >= MAX_PATHS)) return false;
    const pn = expand32((p?.replay.top ?? -1) + 1, low);
    if (p && !p.replay.check(pn)) return false;
    const pt = this.aead.open(kp.recvKey, pathId, pn, buf, HEADER_BYTES, buf.length);
    if (!pt) return false;
    if (type === TYPE_DATA && pt.length < SEQ_BYTES) return false;
    if (!p) p = this.addPath(pathId, `path${pathId}`, now);
    if (p.closed) {
      if (!createPaths) return false;
      p.closed = false;
    }
    const inSequence = pn === p.replay.top + 1;
    if (pn > p.replay.top) {
      p.largestRecvAt = now;
      if (from !== undefined) p.address = from;
    }
    p.replay.mark(pn);
    if (p.state === 'down' && createPaths) p.setState('probing', now);
    kp.received++;
    this.lastRecvAt = now;
    p.rxBytes += buf.length;
    p.rxPackets++;
    this.rxBytes += buf.length;
    let elicit = false;
    if (type === TYPE_DATA) {
      elicit = true;
      this.reorder.insert(pt.readUInt32LE(0), pt.subarray(SEQ_BYTES), now);
    } else elicit = this.readFrames(pt, now, p);
    if (elicit) {
      p.ackPending++;
      if (p.ackPending === 1) p.ackDueAt = now + this.timing.ackDelayMs;
      // A gap or a late packet is news for the sender's loss detection: say it at once, and on the fastest path
      // as well, so a loss on a slow path is repaired before the reorder hold gives up on it.
      if (p.ackPending >= this.timing.ackEvery || !inSequence) p.ackDueAt = now;
      if (!inSequence && type === TYPE_DATA) p.crossAckDue = true;
    }
    return true;
  }

  private readFrames(pt: Buffer, now: number, via: Path): boolean {
    let elicit = false;
    let off = 0;
    while (off < pt.length) {
      const t = pt[off]!;
      if (t === FRAME_PING) {
        elicit = true;
        off += PING_BYTES;
      } else if (t === FRAME_ACK) {
        const end = readAck(pt, off, pt.length, this.ack);
        if (end < 0) break;
        off = end;
        const q = this.path(this.ack.pathId);
        if (q) this.onAck(q, now, q === via);
      } else if (t === FRAME_PATH_CLOSE && off + PATH_CLOSE_BYTES <= pt.length) {
        const q = this.path(pt[off + 1]!);
        if (q && !q.closed) this.takeDown(q, 'down', now);
        off += PATH_CLOSE_BYTES;
      } else if (t === FRAME_ESTIMATE && off + ESTIMATE_BYTES <= pt.length) {
        const q = this.path(pt[off + 1]!);
        if (q) q.peerRateKbit = pt.readUInt32LE(off + 2);
        off += ESTIMATE_BYTES;
      } else if (t === FRAME_PIN && off + PIN_BYTES <= pt.length) {
        if (this.pin.fromPeer(pt[off + 1]!, pt[off + 2]!, pt.readUInt16LE(off + 3), now)) this.pinChanged();
        off += PIN_BYTES;
      } else break;
    }
    return elicit;
  }

  /**
   * A stalled path (silent for two round trips with data out, or a queue far too deep): copy what it holds to the
   * other paths now (the receiver drops whichever copy comes second); it gets nothing new until it recovers, and
   * goes suspect later if it stays silent.
   */
  private rescue(p: Path): void {
    p.rescueDue = false;
    for (const s of p.rescue()) {
      if (s.payload && this.ackedSeq[s.seq % SEQ_RING] !== s.seq) {
        const lane = this.laneOfSeq(s.seq);
        this.resend.push({ packet: s.payload, seq: s.seq, at: s.sentAt, mode: 'bond', avoid: p.id, lane });
      }
    }
  }

  private onAck(q: Path, now: number, samePath: boolean): void {
    const wasUp = q.state === 'up';
    q.onAck(this.ack, now, this, this.owdRef, samePath);
    if (q.rescueDue) this.rescue(q);
    if (!samePath) return;
    // Our sending direction's delay spread stands in for the peer's (links are mostly symmetric in delay).
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    let stall = 0;
    let fastest = Number.POSITIVE_INFINITY;
    for (const p of this.paths) {
      if (p.state !== 'up' || p.owdMin === undefined) continue;
      lo = Math.min(lo, p.owdMin);
      hi = Math.max(hi, p.owdMin);
      stall = Math.max(stall, p.stallTimeout());
      if (Number.isFinite(p.minRtt)) fastest = Math.min(fastest, p.minRtt);
    }
    this.reorder.spreadMs = hi > lo ? hi - lo : 0;
    // The peer's paths mirror ours: a hole lasts at most its stall timeout plus a re-send on the fastest path.
    this.reorder.repairMs = Number.isFinite(fastest) ? stall + fastest / 2 + 10 : 0;
    if (!wasUp && q.state !== 'down' && !q.closed) {
      q.probeAcks++;
      if (q.state === 'probing' || q.probeAcks >= this.timing.readmitProbes) {
        q.resetCongestion();
        q.setState('up', now);
      }
    }
  }

  // ------------------------------------------------------------------ timers

  onTimer(now: number): void {
    this.lastNow = now;
    this.reorder.onTimer(now);
    for (const p of this.paths) {
      if (p.closed) continue;
      p.onLossTimer(now, this);
      if (now >= p.stallAt()) this.rescue(p);
      if (now >= p.suspectAt(this.timing)) {
        if (p.state === 'up') this.takeDown(p, 'suspect', now);
        else {
          p.abandonAll();
          p.probeAcks = 0;
        }
      }
    }
  }

  nextTimer(): number | undefined {
    let t = this.reorder.deadline;
    if (this.sendKeypair(this.lastNow)) {
      const head = this.resend[0] ?? this.queue[this.qHead] ?? (this.parked > 0 ? this.firstParked() : undefined);
      const waiting = head ? head.packet.length + 64 : 0;
      const refresh = this.pin.nextDue();
      if (refresh !== undefined && refresh < t) t = refresh;
      for (const p of this.paths) {
        if (p.closed) continue;
        if (p.ackPending > 0 && p.state !== 'down' && p.ackDueAt < t) t = p.ackDueAt;
        if (p.lossTime < t) t = p.lossTime;
        const s = p.suspectAt(this.timing);
        if (s < t) t = s;
        const stall = p.stallAt();
        if (stall < t) t = stall;
        if (waiting) {
          // Only a future time is useful: a path that can send now and was not used was not wanted.
          const ready = p.readyAt(waiting);
          if (ready > this.lastNow && ready < t) t = ready;
        }
        if (p.state !== 'down') {
          const probe = p.lastAckElicitingAt + this.probeInterval(p);
          if (probe < t) t = probe;
        }
      }
    }
    return t === Number.POSITIVE_INFINITY ? undefined : t;
  }

  private firstParked(): Queued | undefined {
    for (const lane of this.lanes) if (lane.head < lane.items.length) return lane.items[lane.head];
    return undefined;
  }

  private probeInterval(p: Path): number {
    return p.state === 'up' ? this.timing.probeIntervalMs : this.timing.suspectProbeMs;
  }

  // ------------------------------------------------------------------ transmit

  /** Sends what can be sent now: re-sends, queued packets, acknowledgements and probes. */
  flush(now: number): void {
    this.lastNow = now;
    const kp = this.sendKeypair(now);
    if (!kp) return;
    this.pump(kp, now);
    for (const p of this.closing) this.sendControl(kp, p, now, true);
    this.closing.length = 0;
    this.sendCrossAcks(kp, now);
    for (const p of this.paths) if (!p.closed) this.sendControl(kp, p, now, false);
    if (this.pin.due(now)) this.sendPin(kp, now);
  }

  /** A control packet with only the PIN frame, on the pinned path when it is up, else on the lowest-RTT one. */
  private sendPin(kp: Keypair, now: number): void {
    let via: Path | undefined;
    for (const p of this.paths) {
      if (p.closed || p.state !== 'up') continue;
      if (p.id === this.pin.announcedPath) {
        via = p;
        break;
      }
      if (!via || (p.srtt ?? Number.POSITIVE_INFINITY) < (via.srtt ?? Number.POSITIVE_INFINITY)) via = p;
    }
    if (!via) {
      this.pin.deferred(now);
      return;
    }
    const buf = Buffer.allocUnsafe(HEADER_BYTES + PIN_BYTES + TAG_BYTES);
    const pn = via.nextPn++;
    this.header(buf, TYPE_CONTROL, kp, via, pn);
    // PIN last in the packet: a peer that does not know it stops parsing there and loses nothing before it.
    this.pin.write(buf, HEADER_BYTES, now);
    this.emit(kp, via, buf, pn, PIN_BYTES);
  }

  private pump(kp: Keypair, now: number): void {
    const picked = this.picked;
    // Stalled paths are avoided while another one works; when all are stalled, the one heard from last carries on
    // (holding everything back would only let the ingress queue drop it).
    let freshest: Path | undefined;
    let working = false;
    for (const p of this.paths) {
      p.carryOn = false;
      if (p.closed || p.state !== 'up') continue;
      if (!p.stalled) working = true;
      else if (!freshest || p.lastFeedbackAt > freshest.lastFeedbackAt) freshest = p;
    }
    if (!working && freshest) freshest.carryOn = true;
    if (this.resend.length > 0) this.pumpResends(kp, now);
    if (this.parked > 0) this.pumpLanes(kp, now);
    // Without policy path sets and pin, every packet may take every path: no per-packet check at all.
    const restricting = this.lanes.length > 0 || this.pin.active;
    while (this.qHead < this.queue.length) {
      const q = this.queue[this.qHead]!;
      if (now - q.at > this.timing.queueSojournMs) {
        this.queueDropped++;
        this.dequeued(q);
        this.queue[this.qHead++] = undefined as unknown as Queued;
        continue;
      }
      let allowed = ALL_PATHS;
      let sticky = this.sticky;
      if (restricting) {
        const lane = q.lane >= 0 ? this.lanes[q.lane]! : undefined;
        // Packets of its lane wait already: it waits behind them (order within a lane is kept).
        if (lane && lane.head < lane.items.length) {
          this.park(lane);
          continue;
        }
        if (lane) sticky = lane.sticky;
        allowed = this.allowedFor(q.lane, now);
      }
      const n = pickPaths(this.paths, q.mode, q.packet.length + 64, -1, sticky, picked, now, allowed);
      if (n === 0) {
        // Its own paths are full, the others may not be: it steps aside rather than hold up the whole queue.
        if (q.lane >= 0 && allowed !== ALL_PATHS) {
          this.park(this.lanes[q.lane]!);
          continue;
        }
        break;
      }
      this.dequeued(q);
      this.queue[this.qHead++] = undefined as unknown as Queued;
      if (this.codel.shouldDrop(now - q.at, this.queue.length - this.qHead + 1, now) && !markCongestion(q.packet)) {
        this.queueDropped++;
        continue;
      }
      this.sendNew(kp, q, n, now, this.qHead === this.queue.length, restricting && this.fellBack);
    }
    if (this.qHead === this.queue.length && this.resend.length === 0) {
      for (const p of this.paths) if (p.canSend(CC_MSS, now)) p.markAppLimited();
    }
    if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
      this.queue.splice(0, this.qHead);
      this.qHead = 0;
    }
  }

  /** A packet's first send, on the `n` paths pickPaths wrote to `picked`. */
  private sendNew(kp: Keypair, q: Queued, n: number, now: number, appLimited: boolean, fellBack: boolean): void {
    q.seq = this.nextSeq++;
    if (this.seqLane) this.seqLane[q.seq % SEQ_RING] = q.lane + 1;
    if (fellBack) this.restrictedFallbacks++;
    for (let i = 0; i < n; i++) this.sendData(kp, this.picked[i]!, q, now, appLimited);
    if (n > 1) {
      this.duplicatesSent += n - 1;
      this.extraSent.add(n - 1, now);
    }
  }

  /**
   * Re-sends first, in order. When an unrestricted one finds no path, the ones behind it would not either; a
   * restricted one waits for its own paths while the others go.
   */
  private pumpResends(kp: Keypair, now: number): void {
    const rs = this.resend;
    const restricting = this.lanes.length > 0 || this.pin.active;
    let keep = 0;
    let i = 0;
    for (; i < rs.length; i++) {
      const q = rs[i]!;
      if (this.ackedSeq[q.seq % SEQ_RING] === q.seq) continue;
      const allowed = restricting ? this.allowedFor(q.lane, now) : ALL_PATHS;
      const p = pickResendPath(this.paths, q.packet.length + 64, q.avoid, now, allowed);
      if (!p) {
        rs[keep++] = q;
        if (allowed === ALL_PATHS) {
          i++;
          break;
        }
        continue;
      }
      if (restricting && this.fellBack) this.restrictedFallbacks++;
      this.resent++;
      this.extraSent.add(1, now);
      this.sendData(kp, p, q, now, false);
    }
    if (keep < i) {
      while (i < rs.length) rs[keep++] = rs[i++]!;
      rs.length = keep;
    }
  }

  /** Moves the main queue's head into its lane. */
  private park(lane: Lane): void {
    lane.items.push(this.queue[this.qHead]!);
    this.queue[this.qHead++] = undefined as unknown as Queued;
    this.parked++;
  }

  /** Lanes before the main queue: their packets are older than anything of their path set behind them. */
  private pumpLanes(kp: Keypair, now: number): void {
    for (let l = 0; l < this.lanes.length; l++) {
      const lane = this.lanes[l]!;
      if (lane.head >= lane.items.length) continue;
      const allowed = this.allowedFor(l, now);
      const fellBack = this.fellBack;
      while (lane.head < lane.items.length) {
        const q = lane.items[lane.head]!;
        const late = now - q.at > this.timing.queueSojournMs;
        const n = late
          ? 0
          : pickPaths(this.paths, q.mode, q.packet.length + 64, -1, lane.sticky, this.picked, now, allowed);
        if (n === 0 && !late) break;
        lane.items[lane.head++] = undefined as unknown as Queued;
        this.parked--;
        this.dequeued(q);
        const waiting = lane.items.length - lane.head + 1;
        if (late || (this.codel.shouldDrop(now - q.at, waiting, now) && !markCongestion(q.packet))) {
          this.queueDropped++;
          continue;
        }
        this.sendNew(kp, q, n, now, false, fellBack);
      }
      if (lane.head === lane.items.length) {
        lane.items.length = 0;
        lane.head = 0;
      } else if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
        lane.items.splice(0, lane.head);
        lane.head = 0;
      }
    }
  }

  private header(buf: Buffer, type: number, kp: Keypair, p: Path, pn: number): void {
    buf[0] = type;
    buf.writeUInt32LE(kp.remoteIndex >>> 0, 1);
    buf[5] = p.id;
    buf.writeUInt32LE(pn >>> 0, 6);
  }

  private emit(kp: Keypair, p: Path, buf: Buffer, pn: number, ptLen: number): void {
    this.tx.push({ key: kp.sendKey, pathId: p.id, pn, buf, aadLen: HEADER_BYTES, ptLen, to: p.address });
    kp.sent++;
    p.txBytes += buf.length;
    p.txPackets++;
    this.txBytes += buf.length;
  }

  private sendData(kp: Keypair, p: Path, q: Queued, now: number, appLimited: boolean): void {
    const len = q.packet.length;
    const buf = Buffer.allocUnsafe(HEADER_BYTES + SEQ_BYTES + len + TAG_BYTES);
    const pn = p.nextPn++;
    this.header(buf, TYPE_DATA, kp, p, pn);
    buf.writeUInt32LE(q.seq >>> 0, HEADER_BYTES);
    q.packet.copy(buf, HEADER_BYTES + SEQ_BYTES);
    this.emit(kp, p, buf, pn, SEQ_BYTES + len);
    this.dataSent.add(1, now);
    p.onSent(
      {
        pn,
        size: buf.length,
        sentAt: now,
        seq: q.seq,
        payload: q.packet,
        mode: q.mode,
        delivered: 0,
        deliveredAt: 0,
        firstSentAt: 0,
        appLimited,
        done: false,
      },
      now,
      appLimited,
    );
  }

  /**
   * Gap reports of slow paths, copied onto the path with the shortest RTT: the sender learns of a loss up to one
   * slow one-way delay sooner. Not ack-eliciting and not tracked; the regular ACK still goes on the path itself.
   */
  private sendCrossAcks(kp: Keypair, now: number): void {
    let fastest: Path | undefined;
    for (const p of this.paths) {
      if (p.closed || p.state !== 'up' || p.srtt === undefined) continue;
      if (!fastest || p.srtt < fastest.srtt!) fastest = p;
    }
    for (const p of this.paths) {
      if (!p.crossAckDue) continue;
      p.crossAckDue = false;
      if (!fastest || p === fastest || p.closed || (p.srtt ?? 0) <= fastest.srtt! + 5) continue;
      const rangeCount = p.replay.ranges(this.rangeScratch, MAX_ACK_RANGES, ACK_SPAN);
      if (rangeCount === 0) continue;
      const len = ackBytes(rangeCount);
      const buf = Buffer.allocUnsafe(HEADER_BYTES + len + TAG_BYTES);
      const pn = fastest.nextPn++;
      this.header(buf, TYPE_CONTROL, kp, fastest, pn);
      const ticks = Math.round(p.largestRecvAt * TICKS_PER_MS) >>> 0;
      writeAck(buf, HEADER_BYTES, p.id, this.rangeScratch, rangeCount, now - p.largestRecvAt, ticks);
      this.emit(kp, fastest, buf, pn, len);
    }
  }

  private sendControl(kp: Keypair, p: Path, now: number, close: boolean): void {
    const ackDue = p.ackPending > 0 && now >= p.ackDueAt && p.state !== 'down';
    const pingDue = !close && p.state !== 'down' && now >= p.lastAckElicitingAt + this.probeInterval(p);
    const estimateDue = !close && p.state === 'up' && p.btlBw > 0 && now >= p.estimateDue && (ackDue || pingDue);
    if (!ackDue && !pingDue && !close) return;
    let rangeCount = 0;
    if (ackDue) rangeCount = p.replay.ranges(this.rangeScratch, MAX_ACK_RANGES, ACK_SPAN);
    let len =
      (rangeCount > 0 ? ackBytes(rangeCount) : 0) +
      (pingDue ? PING_BYTES : 0) +
      (estimateDue ? ESTIMATE_BYTES : 0) +
      (close ? PATH_CLOSE_BYTES : 0);
    if (len === 0) return;
    // The pin rides on what goes anyway; flush sends it alone when nothing did.
    const pin = this.pin.due(now);
    if (pin) len += PIN_BYTES;
    const buf = Buffer.allocUnsafe(HEADER_BYTES + len + TAG_BYTES);
    const pn = p.nextPn++;
    this.header(buf, TYPE_CONTROL, kp, p, pn);
    let off = HEADER_BYTES;
    if (rangeCount > 0) {
      const ticks = Math.round(p.largestRecvAt * TICKS_PER_MS) >>> 0;
      off = writeAck(buf, off, p.id, this.rangeScratch, rangeCount, now - p.largestRecvAt, ticks);
      p.ackPending = 0;
      p.ackDueAt = Number.POSITIVE_INFINITY;
    }
    if (estimateDue) {
      off = writeEstimate(buf, off, p.id, p.btlBw * 8, p.srtt ?? 0);
      p.estimateDue = now + ESTIMATE_EVERY_MS;
    }
    if (close) off = writePathClose(buf, off, p.id);
    if (pingDue) off = writePing(buf, off);
    if (pin) off = this.pin.write(buf, off, now);
    this.emit(kp, p, buf, pn, len);
    if (pingDue) {
      const probe: SentPacket = {
        pn,
        size: buf.length,
        sentAt: now,
        seq: -1,
        payload: undefined,
        mode: 'bond',
        delivered: 0,
        deliveredAt: 0,
        firstSentAt: 0,
        appLimited: true,
        done: false,
      };
      p.onSent(probe, now, true);
    }
  }

  /** Next datagram, sealing everything pending in one batch first. */
  pollTransmit(): TxRecord | undefined {
    if (this.txHead >= this.tx.length) return undefined;
    if (this.sealed < this.tx.length) {
      this.aead.sealBatch(this.tx.slice(this.sealed), this.tx.length - this.sealed);
      this.sealed = this.tx.length;
    }
    const r = this.tx[this.txHead++]!;
    if (this.txHead === this.tx.length) {
      this.tx.length = 0;
      this.txHead = 0;
      this.sealed = 0;
    }
    return r;
  }

  pollDeliver(): Buffer | undefined {
    return this.delivered.shift();
  }

  // ------------------------------------------------------------------ stats

  stats(now: number, state: SessionStats['state'], serverView: boolean): SessionStats {
    let shareTotal = 0;
    let estimates = 0;
    for (const p of this.paths) {
      shareTotal += p.shareAtTime(now);
      if (p.state === 'up' && !p.closed) estimates += p.btlBw;
    }
    // The share sums decay with a 2-s time constant: sum / 2000 is bytes per ms.
    const sendRate = shareTotal / 2000;
    const sentRecently = this.dataSent.value(now);
    const paths: PathStats[] = this.paths
      .filter((p) => !p.closed)
      .map((p) => {
        const own = p.btlBw > 0 ? Math.round(p.btlBw * 8) : undefined;
        const s: PathStats = {
          pathId: p.id,
          name: p.name,
          state: p.state,
          rttMs: p.srtt,
          loss: p.loss,
          // Orientation is always the router's WAN: up = router -> server.
          capacityUpKbit: serverView ? p.peerRateKbit : own,
          capacityDownKbit: serverView ? own : p.peerRateKbit,
          txBytes: p.txBytes,
          rxBytes: p.rxBytes,
          txPackets: p.txPackets,
          rxPackets: p.rxPackets,
          share: shareTotal > 0 ? p.shareAtTime(now) / shareTotal : 0,
          lastChange: p.lastChange,
        };
        if (p.address !== undefined) s.address = p.address;
        if (p.owdMin !== undefined) s.owdMs = p.owdMin;
        s.cwndBytes = Math.round(p.cwnd);
        s.inflightBytes = p.inflight;
        if (p.rttLatest !== undefined) s.queueDelayMs = Math.max(0, p.queueDelay());
        s.stalled = p.stalled;
        s.rescues = p.rescues;
        return s;
      });
    return {
      state,
      establishedAt: this.establishedAt,
      paths,
      reorderDepth: this.reorder.count,
      resentPackets: this.resent,
      duplicatePackets: this.reorder.duplicates,
      txBytes: this.txBytes,
      rxBytes: this.rxBytes,
      handshakes: this.handshakes,
      holdMs: this.reorder.holdMs(now),
      lateDelivered: this.reorder.late,
      duplicatesSent: this.duplicatesSent,
      queueDropped: this.queueDropped,
      queuedPackets: this.queue.length - this.qHead + this.resend.length + this.parked,
      skippedPackets: this.reorder.skipped,
      duplicateOverhead: sentRecently > 0 ? this.extraSent.value(now) / sentRecently : 0,
      sendRateKbit: Math.round(sendRate * 8),
      bondedOfEstimates: estimates > 0 ? sendRate / estimates : 0,
      restrictedFallbacks: this.restrictedFallbacks,
      ...(this.pin.pathAt(now) !== undefined ? { pinnedPath: this.pin.pathAt(now) } : {}),
      bufferedBytes: this.reorder.bytes + this.queueBytes,
      forcedSkips: this.reorder.forcedSkips,
    };
  }
}
