import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkMac1,
  checkMac2,
  createCookieReply,
  createInitiation,
  createResponse,
  INITIATION_BYTES,
  mac1Key,
  mac1Of,
  RESPONSE_BYTES,
  readCookieReply,
  readInitiation,
  readResponse,
} from '../../../src/wanbond/engine/handshake.js';
import { keyFromPrivate } from '../../../src/wanbond/engine/noise.js';

const key = () => keyFromPrivate(randomBytes(32));

describe('Noise IK handshake', () => {
  it('derives matching transport keys on both sides and authenticates both statics', () => {
    const client = key();
    const server = key();
    const epoch = randomBytes(8);
    const init = createInitiation(client, server.publicKey, key(), 1234, epoch, undefined);
    expect(init.message.length).toBe(INITIATION_BYTES);
    expect(checkMac1(init.message, mac1Key(server.publicKey))).toBe(true);
    const got = readInitiation(server, init.message)!;
    expect(got.peerStatic.equals(client.publicKey)).toBe(true);
    expect(got.epoch.equals(epoch)).toBe(true);
    expect(got.senderIndex).toBe(1234);
    const resp = createResponse(got, key(), 99, undefined)!;
    expect(resp.message.length).toBe(RESPONSE_BYTES);
    expect(checkMac1(resp.message, mac1Key(client.publicKey))).toBe(true);
    const done = readResponse(init, client, resp.message)!;
    expect(done.remoteIndex).toBe(99);
    expect(done.keys.sendKey.equals(resp.keys.recvKey)).toBe(true);
    expect(done.keys.recvKey.equals(resp.keys.sendKey)).toBe(true);
    expect(done.keys.sendKey.equals(done.keys.recvKey)).toBe(false);
  });

  it('uses fresh keys per handshake (ephemeral keys give forward secrecy)', () => {
    const client = key();
    const server = key();
    const run = () => {
      const init = createInitiation(client, server.publicKey, key(), 1, randomBytes(8), undefined);
      const resp = createResponse(readInitiation(server, init.message)!, key(), 2, undefined)!;
      return resp.keys.sendKey;
    };
    expect(run().equals(run())).toBe(false);
  });

  it('rejects a wrong server key, a wrong mac1 and any modified message', () => {
    const client = key();
    const server = key();
    const other = key();
    const init = createInitiation(client, server.publicKey, key(), 1, randomBytes(8), undefined);
    expect(checkMac1(init.message, mac1Key(other.publicKey))).toBe(false);
    expect(readInitiation(other, init.message)).toBeUndefined();
    for (const pos of [0, 5, 40, 90, 108]) {
      const bad = Buffer.from(init.message);
      bad[pos]! ^= 0x20;
      expect(checkMac1(bad, mac1Key(server.publicKey))).toBe(false);
      if (pos >= 5) expect(readInitiation(server, bad)).toBeUndefined();
    }
    const got = readInitiation(server, init.message)!;
    const resp = createResponse(got, key(), 2, undefined)!;
    const bad = Buffer.from(resp.message);
    bad[45]! ^= 1;
    expect(readResponse(init, client, bad)).toBeUndefined();
    // A response made for another initiation does not complete this one.
    const init2 = createInitiation(client, server.publicKey, key(), 1, randomBytes(8), undefined);
    expect(readResponse(init2, client, resp.message)).toBeUndefined();
  });

  it('carries a cookie only a holder of the server public key can read, bound to the initiation', () => {
    const client = key();
    const server = key();
    const init = createInitiation(client, server.publicKey, key(), 77, randomBytes(8), undefined);
    const cookie = randomBytes(16);
    const reply = createCookieReply(server.publicKey, 77, randomBytes(12), cookie, mac1Of(init.message));
    expect(readCookieReply(server.publicKey, reply, mac1Of(init.message))!.equals(cookie)).toBe(true);
    expect(readCookieReply(key().publicKey, reply, mac1Of(init.message))).toBeUndefined();
    expect(readCookieReply(server.publicKey, reply, randomBytes(16))).toBeUndefined();
    const withCookie = createInitiation(client, server.publicKey, key(), 78, randomBytes(8), cookie);
    expect(checkMac2(withCookie.message, cookie)).toBe(true);
    expect(checkMac2(withCookie.message, randomBytes(16))).toBe(false);
    expect(checkMac2(init.message, cookie)).toBe(false);
  });
});
