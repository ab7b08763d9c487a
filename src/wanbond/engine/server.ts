import { randomBytes } from 'node:crypto';
import { type Aead, NodeAead } from './aead.js';
import type { ServerClient, ServerEngine, ServerEngineOptions, ServerLimits, ServerStats } from './api.js';
import { ByteBudget } from './budget.js';
import { DEFAULT_TIMING, type Timing, TYPE_CONTROL, TYPE_DATA, TYPE_INITIATION } from './constants.js';
import { Fifo } from './fifo.js';
import {
  checkMac1,
  checkMac2,
  createCookieReply,
  createResponse,
  INITIATION_BYTES,
  mac1Key,
  mac1Of,
  readInitiation,
} from './handshake.js';
import { hmac, keyFromPrivate, type StaticKey } from './noise.js';
import { type Prefix, PrefixTable, parsePrefix } from './prefix.js';
import { hostOf, SourceLimiter } from './ratelimit.js';
import { type Keypair, Session } from './session.js';

/** Initiations per second (all sources) above which the server demands a cookie (mac2). */
export const UNDER_LOAD_PER_SECOND = 64;
const COOKIE_ROTATE_MS = 120_000;
const REMEMBERED_EPOCHS = 16;
const REMEMBERED_EPHEMERALS = 8;
const DEFAULT_MAX_CLIENTS = 256;
const DEFAULT_BUFFER_BUDGET_BYTES = 256 * 2 ** 20;
/**
 * A session that heard nothing authenticated for this long is dead (its router starts over after 2 s of silence):
 * at the client cap it gives its place to a router that handshakes.
 */
const STALE_SESSION_MS = 30_000;

interface Peer {
  client: ServerClient;
  keyHex: string;
  prefixes: Prefix[];
  session: Session | undefined;
  epoch: string | undefined;
  retiredEpochs: string[];
  ephemerals: string[];
}

function validate(c: ServerClient): Prefix[] {
  if (!c || typeof c.name !== 'string' || c.name === '') throw new Error('client without a name');
  if (!(c.publicKey instanceof Uint8Array) || c.publicKey.length !== 32) {
    throw new Error(`client '${c.name}': public key must be 32 bytes`);
  }
  const out: Prefix[] = [];
  for (const a of [...(c.addresses ?? []), ...(c.routes ?? [])]) {
    try {
      out.push(parsePrefix(a));
    } catch (e) {
      throw new Error(`client '${c.name}': ${(e as Error).message}`);
    }
  }
  return out;
}

/** The VPS engine: responder of every client's handshakes, one session per client, routing by inner address. */
export class Server implements ServerEngine {
  private readonly local: StaticKey;
  private readonly ownMac1Key: Buffer;
  private readonly random: (n: number) => Uint8Array;
  private readonly timing: Timing;
  private peers = new Map<string, Peer>();
  private readonly byIndex = new Map<number, { peer: Peer; kp: Keypair }>();
  private routes = new PrefixTable<Peer>();
  private readonly out = new Fifo<{ to: string; bytes: Uint8Array }>();
  private readonly delivered = new Fifo<Uint8Array>();
  private readonly dirty = new Set<Peer>();
  private cookieSecret: Buffer;
  private cookieSecretAt: number;
  private loadWindowAt: number;
  private loadCount = 0;
  private readonly handshakeLimiter = new SourceLimiter(5, 10);
  private readonly cookieLimiter = new SourceLimiter(5, 10);
  private lastNow: number;
  private handshakesRejected = 0;
  private datagramsRejected = 0;
  private spoofedDropped = 0;
  private maxClients = DEFAULT_MAX_CLIENTS;
  private sessions = 0;
  private sessionsRefused = 0;
  private lastRefused: string | undefined;
  private readonly budget = new ByteBudget(DEFAULT_BUFFER_BUDGET_BYTES);

  constructor(
    opts: ServerEngineOptions,
    private readonly aead: Aead = new NodeAead(),
  ) {
    this.local = keyFromPrivate(opts.privateKey);
    this.ownMac1Key = mac1Key(this.local.publicKey);
    this.random = opts.random ?? randomBytes;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.cookieSecret = Buffer.from(this.random(32));
    this.cookieSecretAt = this.loadWindowAt = this.lastNow = opts.now;
    this.setClients(opts.clients);
    if (opts.limits) this.setLimits(opts.limits);
  }

  setLimits(limits: ServerLimits): void {
    const { maxClients, bufferBudgetBytes } = limits;
    if (maxClients !== undefined && !(Number.isInteger(maxClients) && maxClients >= 1))
      throw new Error(`maxClients must be a positive integer, got ${maxClients}`);
    if (bufferBudgetBytes !== undefined && !(bufferBudgetBytes > 0))
      throw new Error(`bufferBudgetBytes must be positive, got ${bufferBudgetBytes}`);
    this.maxClients = maxClients ?? DEFAULT_MAX_CLIENTS;
    this.budget.limit = bufferBudgetBytes ?? DEFAULT_BUFFER_BUDGET_BYTES;
  }

  setClients(clients: ServerClient[]): void {
    const checked = clients.map((c) => ({ c, prefixes: validate(c) }));
    const next = new Map<string, Peer>();
    for (const { c, prefixes } of checked) {
      const keyHex = Buffer.from(c.publicKey).toString('hex');
      if (next.has(keyHex)) throw new Error(`client '${c.name}': public key used twice`);
      const old = this.peers.get(keyHex);
      const peer: Peer = old ?? {
        client: c,
        keyHex,
        prefixes,
        session: undefined,
        epoch: undefined,
        retiredEpochs: [],
        ephemerals: [],
      };
      peer.client = c;
      peer.prefixes = prefixes;
      next.set(keyHex, peer);
    }
    for (const [hex, peer] of this.peers) if (!next.has(hex)) this.dropSession(peer);
    const routes = new PrefixTable<Peer>();
    for (const peer of next.values()) for (const p of peer.prefixes) routes.add(p, peer);
    this.peers = next;
    this.routes = routes;
  }

  private dropSession(peer: Peer): void {
    const s = peer.session;
    if (s) {
      for (const kp of [s.current, s.previous, s.next]) if (kp) this.byIndex.delete(kp.localIndex);
      s.release();
      this.sessions--;
    }
    peer.session = undefined;
    this.dirty.delete(peer);
  }

  /**
   * Room for one more session at the client cap: the session silent the longest goes if it is dead (silent for
   * STALE_SESSION_MS). Runs only for an authenticated initiation at the cap, so the scan is not per packet.
   */
  private makeRoom(now: number): boolean {
    let stalest: Peer | undefined;
    let stalestAt = Number.POSITIVE_INFINITY;
    for (const peer of this.peers.values()) {
      const s = peer.session;
      if (!s) continue;
      const heardAt = Math.max(s.lastRecvAt, (s.next ?? s.current)?.createdAt ?? Number.NEGATIVE_INFINITY);
      if (heardAt < stalestAt) {
        stalest = peer;
        stalestAt = heardAt;
      }
    }
    if (!stalest || now - stalestAt < STALE_SESSION_MS) return false;
    this.dropSession(stalest);
    return true;
  }

  private newIndex(): number {
    for (;;) {
      const i = Buffer.from(this.random(4)).readUInt32LE(0);
      if (!this.byIndex.has(i)) return i;
    }
  }

  onDatagram(from: string, bytes: Uint8Array, now: number): void {
    this.lastNow = now;
    const type = bytes[0];
    if ((type === TYPE_DATA || type === TYPE_CONTROL) && bytes.length >= 26) {
      const index = (bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24)) >>> 0;
      const entry = this.byIndex.get(index);
      if (!entry || now - entry.kp.createdAt >= this.timing.rejectAfterMs || !entry.peer.session) {
        this.datagramsRejected++;
        return;
      }
      const { peer, kp } = entry;
      const s = peer.session!;
      if (!s.receive(kp, bytes, now, from, true)) {
        this.datagramsRejected++;
        return;
      }
      if (kp === s.next) {
        // The initiator proved it holds the new keys: send with them from now on.
        if (s.previous) this.byIndex.delete(s.previous.localIndex);
        s.previous = s.current;
        s.current = kp;
        s.next = undefined;
        s.handshakes++;
        s.establishedAt ??= now;
      }
      this.collect(peer);
      this.service(peer, now);
    } else if (type === TYPE_INITIATION && bytes.length === INITIATION_BYTES) this.onInitiation(from, bytes, now);
    else this.datagramsRejected++;
  }

  private underLoad(now: number): boolean {
    if (now - this.loadWindowAt >= 1000) {
      this.loadWindowAt = now;
      this.loadCount = 0;
    }
    return this.loadCount >= UNDER_LOAD_PER_SECOND;
  }

  private cookieFor(from: string, now: number): Buffer {
    if (now - this.cookieSecretAt >= COOKIE_ROTATE_MS) {
      this.cookieSecret = Buffer.from(this.random(32));
      this.cookieSecretAt = now;
    }
    return hmac(this.cookieSecret, Buffer.from(from)).subarray(0, 16);
  }

  private onInitiation(from: string, bytes: Uint8Array, now: number): void {
    // Nothing is answered unless the sender proves it knows our public key.
    if (!checkMac1(bytes, this.ownMac1Key)) {
      this.handshakesRejected++;
      return;
    }
    if (this.underLoad(now) && !checkMac2(bytes, this.cookieFor(from, now))) {
      if (this.cookieLimiter.take(hostOf(from), now)) {
        const nonce = this.random(12);
        const reply = createCookieReply(
          this.local.publicKey,
          Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(1),
          nonce,
          this.cookieFor(from, now),
          mac1Of(bytes),
        );
        this.out.push({ to: from, bytes: reply });
      }
      this.handshakesRejected++;
      return;
    }
    if (!this.handshakeLimiter.take(hostOf(from), now)) {
      this.handshakesRejected++;
      return;
    }
    this.loadCount++;
    const init = readInitiation(this.local, bytes);
    const peer = init && this.peers.get(init.peerStatic.toString('hex'));
    const eph = init?.ephemeral.toString('hex');
    if (!init || !peer || !eph || peer.ephemerals.includes(eph)) {
      this.handshakesRejected++;
      return;
    }
    const epoch = init.epoch.toString('hex');
    if (peer.epoch !== epoch && peer.retiredEpochs.includes(epoch)) {
      // An old epoch is a replay and is ignored.
      this.handshakesRejected++;
      return;
    }
    // The cap is on live sessions; a router that has one keeps it through rekeys and restarts (new epochs).
    if (!peer.session && this.sessions >= this.maxClients && !this.makeRoom(now)) {
      this.sessionsRefused++;
      this.lastRefused = peer.client.name;
      this.handshakesRejected++;
      return;
    }
    if (peer.epoch !== epoch) {
      // A new epoch is a restarted router: a fresh session.
      if (peer.epoch !== undefined) peer.retiredEpochs.push(peer.epoch);
      if (peer.retiredEpochs.length > REMEMBERED_EPOCHS) peer.retiredEpochs.shift();
      this.dropSession(peer);
      peer.epoch = epoch;
    }
    peer.ephemerals.push(eph);
    if (peer.ephemerals.length > REMEMBERED_EPHEMERALS) peer.ephemerals.shift();
    const ephemeral = keyFromPrivate(this.random(32));
    const localIndex = this.newIndex();
    const r = createResponse(init, ephemeral, localIndex, undefined);
    if (!r) {
      this.handshakesRejected++;
      return;
    }
    if (!peer.session) {
      peer.session = new Session(this.aead, this.timing, 'bond', undefined, this.budget);
      this.sessions++;
    }
    const s = peer.session;
    if (s.next) this.byIndex.delete(s.next.localIndex);
    const kp: Keypair = {
      localIndex,
      remoteIndex: init.senderIndex,
      sendKey: r.keys.sendKey,
      recvKey: r.keys.recvKey,
      createdAt: now,
      sent: 0,
      received: 0,
    };
    s.next = kp;
    this.byIndex.set(localIndex, { peer, kp });
    this.out.push({ to: from, bytes: r.message });
  }

  /** Moves a session's delivered packets out, dropping inner sources the client does not own. */
  private collect(peer: Peer): void {
    const s = peer.session!;
    for (let p = s.pollDeliver(); p; p = s.pollDeliver()) {
      if (this.routes.lookup(p, 'src') !== peer) {
        this.spoofedDropped++;
        continue;
      }
      this.delivered.push(p);
    }
  }

  private service(peer: Peer, now: number): void {
    peer.session!.flush(now);
    this.dirty.add(peer);
  }

  onTunPacket(packet: Uint8Array, now: number): void {
    this.lastNow = now;
    const peer = this.routes.lookup(packet, 'dst');
    if (!peer?.session?.current) return;
    peer.session.enqueue(packet, now);
    this.service(peer, now);
  }

  onTimer(now: number): void {
    this.lastNow = now;
    for (const peer of this.peers.values()) {
      const s = peer.session;
      if (!s) continue;
      const newest = s.next ?? s.current;
      if (!newest || now - newest.createdAt >= 3 * this.timing.rejectAfterMs) {
        // Nothing usable for a long time: forget the session (the router re-handshakes when it comes back).
        if (newest && now - newest.createdAt >= 3 * this.timing.rejectAfterMs) this.dropSession(peer);
        continue;
      }
      const due = s.nextTimer();
      if (due !== undefined && due <= now) {
        s.onTimer(now);
        this.collect(peer);
        this.service(peer, now);
      }
    }
  }

  pollTransmit(): { to: string; bytes: Uint8Array } | undefined {
    const queued = this.out.shift();
    if (queued) return queued;
    for (const peer of this.dirty) {
      for (let r = peer.session?.pollTransmit(); r; r = peer.session?.pollTransmit()) {
        // A path that never authenticated an address cannot be answered (cannot happen for data paths).
        if (r.to !== undefined) return { to: r.to, bytes: r.buf };
      }
      this.dirty.delete(peer);
    }
    return undefined;
  }

  pollDeliver(): Uint8Array | undefined {
    return this.delivered.shift();
  }

  nextTimer(): number | undefined {
    let t: number | undefined;
    for (const peer of this.peers.values()) {
      const s = peer.session;
      if (!s) continue;
      const d = s.nextTimer();
      if (d !== undefined && (t === undefined || d < t)) t = d;
      const newest = s.next ?? s.current;
      if (newest) {
        const expire = newest.createdAt + 3 * this.timing.rejectAfterMs;
        if (t === undefined || expire < t) t = expire;
      }
    }
    return t;
  }

  stats(): ServerStats {
    const clients: ServerStats['clients'] = [];
    for (const peer of this.peers.values()) {
      const s = peer.session;
      clients.push({
        name: peer.client.name,
        publicKey: Buffer.from(peer.client.publicKey).toString('base64'),
        tunnelAddress: peer.client.addresses[0] ?? '',
        session: s
          ? s.stats(this.lastNow, s.current ? 'established' : 'handshaking', true)
          : {
              state: 'idle',
              establishedAt: undefined,
              paths: [],
              reorderDepth: 0,
              resentPackets: 0,
              duplicatePackets: 0,
              txBytes: 0,
              rxBytes: 0,
            },
      });
    }
    return {
      clients,
      handshakesRejected: this.handshakesRejected,
      datagramsRejected: this.datagramsRejected,
      spoofedDropped: this.spoofedDropped,
      limits: {
        maxClients: this.maxClients,
        sessions: this.sessions,
        sessionsRefused: this.sessionsRefused,
        ...(this.lastRefused !== undefined ? { lastRefused: this.lastRefused } : {}),
        bufferBudgetBytes: this.budget.limit,
        bufferedBytes: this.budget.used,
        budgetRefused: this.budget.refused,
      },
    };
  }
}
