import { randomBytes } from 'node:crypto';
import { type Aead, NodeAead } from './aead.js';
import type { ClientEngine, ClientEngineOptions, Mode, PathChange, PathId, SessionStats } from './api.js';
import { DEFAULT_TIMING, type Timing, TYPE_CONTROL, TYPE_COOKIE, TYPE_DATA, TYPE_RESPONSE } from './constants.js';
import { Fifo } from './fifo.js';
import {
  COOKIE_BYTES,
  checkMac1,
  createInitiation,
  EPOCH_BYTES,
  mac1Key,
  mac1Of,
  type PendingInitiation,
  RESPONSE_BYTES,
  readCookieReply,
  readResponse,
} from './handshake.js';
import { keyFromPrivate, type StaticKey } from './noise.js';
import { type Keypair, Session } from './session.js';

const COOKIE_LIFETIME_MS = 110_000;

/** The router's engine: the handshake initiator and one session over all its links. */
export class Client implements ClientEngine {
  private readonly local: StaticKey;
  private readonly serverPublic: Buffer;
  private readonly ownMac1Key: Buffer;
  private readonly random: (n: number) => Uint8Array;
  private readonly timing: Timing;
  private readonly aead: Aead;
  private readonly classify: ClientEngineOptions['classify'];
  private session: Session;
  private epoch: Uint8Array;
  /** The server went silent: the next response starts a fresh session (see `initiate`). */
  private restart = false;
  private pending: { init: PendingInitiation; sentAt: number; mac1: Buffer } | undefined;
  private nextHandshakeAt: number;
  private cookie: { value: Buffer; at: number } | undefined;
  private readonly out = new Fifo<{ pathId: PathId; bytes: Uint8Array }>();
  /** pinPath's path, kept across a fresh session. */
  private pinned: PathId | undefined;

  constructor(opts: ClientEngineOptions, aead: Aead = new NodeAead()) {
    this.aead = aead;
    this.classify = opts.classify;
    if (opts.serverPublicKey.length !== 32) throw new Error('server public key must be 32 bytes');
    this.local = keyFromPrivate(opts.privateKey);
    this.serverPublic = Buffer.from(opts.serverPublicKey);
    this.ownMac1Key = mac1Key(this.local.publicKey);
    this.random = opts.random ?? randomBytes;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.session = new Session(aead, this.timing, opts.mode, opts.classify);
    this.epoch = this.random(EPOCH_BYTES);
    this.nextHandshakeAt = opts.now;
    this.lastNow = opts.now;
    for (const p of opts.paths) this.session.addPath(p.id, p.name, opts.now);
    this.afterEvent(opts.now);
  }

  addPath(pathId: PathId, name: string): void {
    if (!Number.isInteger(pathId) || pathId < 0 || pathId > 255) throw new Error(`invalid path id ${pathId}`);
    const p = this.session.addPath(pathId, name, this.lastNow);
    p.lastAckElicitingAt = Number.NEGATIVE_INFINITY;
  }

  removePath(pathId: PathId): void {
    this.session.closePath(pathId, this.lastNow);
    this.session.flush(this.lastNow);
  }

  setMode(mode: Mode): void {
    this.session.mode = mode;
  }

  pinPath(pathId: PathId | undefined, now: number): void {
    if (pathId !== undefined && !(Number.isInteger(pathId) && pathId >= 0 && pathId < 255)) {
      throw new Error(`invalid path id ${pathId}`);
    }
    this.lastNow = now;
    if (pathId === this.pinned) return;
    this.pinned = pathId;
    this.session.setPin(pathId ?? -1, Number.POSITIVE_INFINITY);
    this.session.announcePin(pathId, now);
    this.afterEvent(now);
  }

  private lastNow = 0;

  onDatagram(_pathId: PathId, bytes: Uint8Array, now: number): void {
    this.lastNow = now;
    const type = bytes[0];
    if ((type === TYPE_DATA || type === TYPE_CONTROL) && bytes.length >= 26) {
      const index = (bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24)) >>> 0;
      const kp = this.keypairFor(index, now);
      if (kp) this.session.receive(kp, bytes, now, undefined, false);
    } else if (type === TYPE_RESPONSE && bytes.length === RESPONSE_BYTES) this.onResponse(bytes, now);
    else if (type === TYPE_COOKIE && bytes.length === COOKIE_BYTES) this.onCookie(bytes, now);
    this.afterEvent(now);
  }

  private keypairFor(index: number, now: number): Keypair | undefined {
    for (const kp of [this.session.current, this.session.previous]) {
      if (kp && kp.localIndex === index && now - kp.createdAt < this.timing.rejectAfterMs) return kp;
    }
    return undefined;
  }

  private onResponse(bytes: Uint8Array, now: number): void {
    const p = this.pending;
    if (!p || Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(5) !== p.init.localIndex) return;
    if (!checkMac1(bytes, this.ownMac1Key)) return;
    const r = readResponse(p.init, this.local, bytes);
    if (!r) return;
    this.pending = undefined;
    if (this.restart) {
      this.restart = false;
      this.session = this.freshSession(now);
    }
    const s = this.session;
    s.previous = s.current;
    s.current = {
      localIndex: p.init.localIndex,
      remoteIndex: r.remoteIndex,
      sendKey: r.keys.sendKey,
      recvKey: r.keys.recvKey,
      createdAt: now,
      sent: 0,
      received: 0,
    };
    s.handshakes++;
    s.establishedAt ??= now;
    s.lastRecvAt = now;
    // Confirms the new keys to the server at once (it sends with them only after this) and probes every link.
    for (const path of s.paths) path.lastAckElicitingAt = Number.NEGATIVE_INFINITY;
  }

  private onCookie(bytes: Uint8Array, now: number): void {
    const p = this.pending;
    if (!p || Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(1) !== p.init.localIndex) return;
    const value = readCookieReply(this.serverPublic, bytes, p.mac1);
    if (!value) return;
    this.cookie = { value, at: now };
    this.nextHandshakeAt = now;
    p.sentAt = Number.NEGATIVE_INFINITY;
  }

  onTunPacket(packet: Uint8Array, now: number): void {
    this.lastNow = now;
    const v = packet[0]! >> 4;
    if ((v === 4 && packet.length >= 20) || (v === 6 && packet.length >= 40)) this.session.enqueue(packet, now);
    this.afterEvent(now);
  }

  onTimer(now: number): void {
    this.lastNow = now;
    this.session.onTimer(now);
    this.afterEvent(now);
  }

  onPathChange(pathId: PathId, change: PathChange, now: number): void {
    this.lastNow = now;
    this.session.pathChange(pathId, change, now);
    this.afterEvent(now);
  }

  private needsHandshake(now: number): boolean {
    const s = this.session;
    const kp = s.current;
    if (this.pending) return now >= this.pending.sentAt + this.timing.handshakeRetryMs;
    if (now < this.nextHandshakeAt) return false;
    if (!kp) return true;
    if (now >= kp.createdAt + this.timing.rekeyAfterMs) return true;
    if (kp.sent >= this.timing.rekeyAfterPackets || kp.received >= this.timing.rekeyAfterPackets) return true;
    return now >= s.lastRecvAt + this.timing.sessionDeadMs;
  }

  private handshakeDueAt(): number {
    const kp = this.session.current;
    if (this.pending) return this.pending.sentAt + this.timing.handshakeRetryMs;
    if (!kp) return this.nextHandshakeAt;
    return Math.max(
      this.nextHandshakeAt,
      Math.min(kp.createdAt + this.timing.rekeyAfterMs, this.session.lastRecvAt + this.timing.sessionDeadMs),
    );
  }

  private initiate(now: number): void {
    const links = this.session.paths.filter((p) => !p.closed && p.state !== 'down');
    if (links.length === 0) {
      this.nextHandshakeAt = now + this.timing.handshakeRetryMs;
      this.pending = undefined;
      return;
    }
    if (!this.restart && this.session.current && now >= this.session.lastRecvAt + this.timing.sessionDeadMs) {
      // The server stopped answering: it may have restarted and forgotten us, and then its packet numbers and
      // sequence start again from zero, which our replay windows and reorder buffer would drop. A new epoch makes
      // any server (restarted or not) start a fresh session, and ours starts fresh with it when the response comes.
      this.epoch = this.random(EPOCH_BYTES);
      this.restart = true;
    }
    const cookie = this.cookie && now - this.cookie.at < COOKIE_LIFETIME_MS ? this.cookie.value : undefined;
    const ephemeral = keyFromPrivate(this.random(32));
    const index = Buffer.from(this.random(4)).readUInt32LE(0);
    const init = createInitiation(this.local, this.serverPublic, ephemeral, index, this.epoch, cookie);
    const jitter = (this.random(1)[0]! / 255) * (this.timing.handshakeRetryMs / 3);
    this.pending = { init, sentAt: now + jitter, mac1: Buffer.from(mac1Of(init.message)) };
    this.nextHandshakeAt = now + this.timing.handshakeRetryMs;
    // The same initiation on every live link: the first to get through wins, the server answers it once.
    for (const p of links) this.out.push({ pathId: p.id, bytes: init.message });
  }

  /** A new data plane on the same links (their ids, names and down states), keeping the running totals. */
  private freshSession(now: number): Session {
    const old = this.session;
    const s = new Session(this.aead, this.timing, old.mode, this.classify);
    for (const p of old.paths) {
      if (p.closed) continue;
      const q = s.addPath(p.id, p.name, now);
      if (p.state === 'down') q.setState('down', now);
      q.txBytes = p.txBytes;
      q.rxBytes = p.rxBytes;
      q.txPackets = p.txPackets;
      q.rxPackets = p.rxPackets;
    }
    s.handshakes = old.handshakes;
    s.establishedAt = old.establishedAt;
    s.txBytes = old.txBytes;
    s.rxBytes = old.rxBytes;
    s.resent = old.resent;
    s.duplicatesSent = old.duplicatesSent;
    s.queueDropped = old.queueDropped;
    s.restrictedFallbacks = old.restrictedFallbacks;
    // The server's new session knows no pin: tell it again.
    if (this.pinned !== undefined) {
      s.setPin(this.pinned, Number.POSITIVE_INFINITY);
      s.announcePin(this.pinned, now);
    }
    return s;
  }

  private afterEvent(now: number): void {
    if (this.needsHandshake(now)) this.initiate(now);
    this.session.flush(now);
  }

  pollTransmit(): { pathId: PathId; bytes: Uint8Array } | undefined {
    const queued = this.out.shift();
    if (queued) return queued;
    const r = this.session.pollTransmit();
    return r && { pathId: r.pathId, bytes: r.buf };
  }

  pollDeliver(): Uint8Array | undefined {
    return this.session.pollDeliver();
  }

  nextTimer(): number | undefined {
    const s = this.session.nextTimer();
    const h = this.handshakeDueAt();
    return s === undefined ? h : Math.min(s, h);
  }

  stats(): SessionStats {
    const state = this.session.current ? 'established' : this.pending ? 'handshaking' : 'idle';
    return this.session.stats(this.lastNow, state, false);
  }
}
