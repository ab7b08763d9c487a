import { timingSafeEqual } from 'node:crypto';
import { TYPE_COOKIE, TYPE_INITIATION, TYPE_RESPONSE } from './constants.js';
import { aeadOpen, aeadSeal, dh, hash, hmac, type StaticKey, SymmetricState } from './noise.js';

/**
 * Handshake messages (Noise IK): the initiator (router) knows the responder's (server's) static key in advance.
 *   initiation  -> e, es, s, ss, payload(epoch)
 *   response    <- e, ee, se, payload()
 * Both carry mac1 (HMAC keyed by the receiver's public key: proves the sender knows it) and mac2 (HMAC keyed by
 * a cookie, required only while the server is under load). Layouts in docs/protocol.md.
 */
export const INITIATION_BYTES = 141;
export const RESPONSE_BYTES = 89;
export const COOKIE_BYTES = 49;
export const EPOCH_BYTES = 8;
const INIT_MAC1 = 109;
const RESP_MAC1 = 57;

const MAC1_LABEL = Buffer.from('mac1----');
const COOKIE_LABEL = Buffer.from('cookie--');

export function mac1Key(publicKey: Uint8Array): Buffer {
  return hash(MAC1_LABEL, publicKey);
}

export function cookieKey(publicKey: Uint8Array): Buffer {
  return hash(COOKIE_LABEL, publicKey);
}

function mac(key: Uint8Array, msg: Uint8Array, end: number): Buffer {
  return hmac(key, msg.subarray(0, end)).subarray(0, 16);
}

function equal16(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === 16 && b.length === 16 && timingSafeEqual(a, b);
}

function mac1Offset(msg: Uint8Array): number {
  return msg[0] === TYPE_INITIATION ? INIT_MAC1 : RESP_MAC1;
}

export function checkMac1(msg: Uint8Array, key: Buffer): boolean {
  const off = mac1Offset(msg);
  return equal16(mac(key, msg, off), msg.subarray(off, off + 16));
}

export function checkMac2(msg: Uint8Array, cookie: Uint8Array): boolean {
  const off = mac1Offset(msg) + 16;
  return equal16(mac(cookie, msg, off), msg.subarray(off, off + 16));
}

export function mac1Of(msg: Uint8Array): Uint8Array {
  const off = mac1Offset(msg);
  return msg.subarray(off, off + 16);
}

function writeMacs(msg: Buffer, off: number, mac1k: Buffer, cookie: Uint8Array | undefined): void {
  mac(mac1k, msg, off).copy(msg, off);
  if (cookie) mac(cookie, msg, off + 16).copy(msg, off + 16);
}

export interface PendingInitiation {
  state: SymmetricState;
  ephemeral: StaticKey;
  localIndex: number;
  message: Buffer;
}

export function createInitiation(
  local: StaticKey,
  remotePublic: Buffer,
  ephemeral: StaticKey,
  localIndex: number,
  epoch: Uint8Array,
  cookie: Uint8Array | undefined,
): PendingInitiation {
  const ss = new SymmetricState();
  ss.mixHash(remotePublic);
  ss.mixHash(ephemeral.publicKey);
  const es = dh(ephemeral.privateKey, remotePublic);
  if (!es) throw new Error('invalid server public key');
  ss.mixKey(es);
  const encStatic = ss.encryptAndHash(local.publicKey);
  const ssKey = dh(local.privateKey, remotePublic);
  if (!ssKey) throw new Error('invalid server public key');
  ss.mixKey(ssKey);
  const encPayload = ss.encryptAndHash(epoch);
  const msg = Buffer.alloc(INITIATION_BYTES);
  msg[0] = TYPE_INITIATION;
  msg.writeUInt32LE(localIndex >>> 0, 1);
  ephemeral.publicKey.copy(msg, 5);
  encStatic.copy(msg, 37);
  encPayload.copy(msg, 85);
  writeMacs(msg, INIT_MAC1, mac1Key(remotePublic), cookie);
  return { state: ss, ephemeral, localIndex, message: msg };
}

export interface ReceivedInitiation {
  state: SymmetricState;
  senderIndex: number;
  ephemeral: Buffer;
  peerStatic: Buffer;
  epoch: Buffer;
}

/** Responder side; the caller has checked the length and mac1. undefined when it does not authenticate. */
export function readInitiation(local: StaticKey, msg: Uint8Array): ReceivedInitiation | undefined {
  const ss = new SymmetricState();
  ss.mixHash(local.publicKey);
  const ephemeral = Buffer.from(msg.subarray(5, 37));
  ss.mixHash(ephemeral);
  const es = dh(local.privateKey, ephemeral);
  if (!es) return undefined;
  ss.mixKey(es);
  const peerStatic = ss.decryptAndHash(msg.subarray(37, 85));
  if (!peerStatic) return undefined;
  const ssKey = dh(local.privateKey, peerStatic);
  if (!ssKey) return undefined;
  ss.mixKey(ssKey);
  const epoch = ss.decryptAndHash(msg.subarray(85, 109));
  if (!epoch) return undefined;
  return { state: ss, senderIndex: Buffer.from(msg).readUInt32LE(1), ephemeral, peerStatic, epoch };
}

export interface TransportKeys {
  sendKey: Buffer;
  recvKey: Buffer;
}

export function createResponse(
  init: ReceivedInitiation,
  ephemeral: StaticKey,
  localIndex: number,
  cookie: Uint8Array | undefined,
): { message: Buffer; keys: TransportKeys } | undefined {
  const ss = init.state;
  ss.mixHash(ephemeral.publicKey);
  const ee = dh(ephemeral.privateKey, init.ephemeral);
  const se = dh(ephemeral.privateKey, init.peerStatic);
  if (!ee || !se) return undefined;
  ss.mixKey(ee);
  ss.mixKey(se);
  const encPayload = ss.encryptAndHash(Buffer.alloc(0));
  const msg = Buffer.alloc(RESPONSE_BYTES);
  msg[0] = TYPE_RESPONSE;
  msg.writeUInt32LE(localIndex >>> 0, 1);
  msg.writeUInt32LE(init.senderIndex >>> 0, 5);
  ephemeral.publicKey.copy(msg, 9);
  encPayload.copy(msg, 41);
  writeMacs(msg, RESP_MAC1, mac1Key(init.peerStatic), cookie);
  const [i2r, r2i] = ss.split();
  return { message: msg, keys: { sendKey: r2i, recvKey: i2r } };
}

/** Initiator side; the caller has checked length, receiver index and mac1. */
export function readResponse(
  pending: PendingInitiation,
  local: StaticKey,
  msg: Uint8Array,
): { remoteIndex: number; keys: TransportKeys } | undefined {
  const ss = pending.state.clone();
  const re = msg.subarray(9, 41);
  ss.mixHash(re);
  const ee = dh(pending.ephemeral.privateKey, re);
  const se = dh(local.privateKey, re);
  if (!ee || !se) return undefined;
  ss.mixKey(ee);
  ss.mixKey(se);
  if (!ss.decryptAndHash(msg.subarray(41, 57))) return undefined;
  const [i2r, r2i] = ss.split();
  return { remoteIndex: Buffer.from(msg).readUInt32LE(1), keys: { sendKey: i2r, recvKey: r2i } };
}

/** Cookie reply: the cookie sealed under a key only holders of the server's public key can derive. */
export function createCookieReply(
  serverPublic: Buffer,
  receiverIndex: number,
  nonce: Uint8Array,
  cookie: Uint8Array,
  initiationMac1: Uint8Array,
): Buffer {
  const msg = Buffer.alloc(COOKIE_BYTES);
  msg[0] = TYPE_COOKIE;
  msg.writeUInt32LE(receiverIndex >>> 0, 1);
  Buffer.from(nonce).copy(msg, 5, 0, 12);
  aeadSeal(cookieKey(serverPublic), msg.subarray(5, 17), initiationMac1, cookie).copy(msg, 17);
  return msg;
}

export function readCookieReply(serverPublic: Buffer, msg: Uint8Array, initiationMac1: Uint8Array): Buffer | undefined {
  return aeadOpen(cookieKey(serverPublic), Buffer.from(msg.subarray(5, 17)), initiationMac1, msg.subarray(17, 49));
}
