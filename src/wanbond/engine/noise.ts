import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
} from 'node:crypto';

/**
 * Noise primitives for Noise_IK_25519_ChaChaPoly_SHA256 (noiseprotocol.org rev 34): SHA-256, HMAC-based HKDF,
 * X25519 through node:crypto, ChaCha20-Poly1305 with the Noise nonce layout.
 */
export const PROTOCOL_NAME = 'Noise_IK_25519_ChaChaPoly_SHA256';
export const PROLOGUE = 'wanbond v1';

export function hash(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);

/** Noise HKDF with two outputs. */
export function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Buffer, Buffer] {
  const temp = hmac(chainingKey, ikm);
  const out1 = hmac(temp, ONE);
  const out2 = hmac(temp, out1, TWO);
  return [out1, out2];
}

export interface StaticKey {
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
}

export function keyFromPrivate(raw: Uint8Array): StaticKey {
  if (raw.length !== 32) throw new Error('X25519 private key must be 32 bytes');
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(raw).toString('base64url'), x: '' },
    format: 'jwk',
  });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicKey: Buffer.from(jwk.x as string, 'base64url') };
}

/** X25519; undefined for a low-order peer key (all-zero shared secret), which OpenSSL refuses. */
export function dh(own: KeyObject, peerPublic: Uint8Array): Buffer | undefined {
  try {
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublic).toString('base64url') },
      format: 'jwk',
    });
    return diffieHellman({ privateKey: own, publicKey });
  } catch {
    return undefined;
  }
}

function noiseNonce(n: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32LE(n >>> 0, 4);
  return nonce;
}

export function aeadSeal(key: Uint8Array, nonce: Buffer, ad: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: plaintext.length });
  const ct = c.update(plaintext);
  c.final();
  return Buffer.concat([ct, c.getAuthTag()]);
}

export function aeadOpen(key: Uint8Array, nonce: Buffer, ad: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < 16) return undefined;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAAD(ad, { plaintextLength: sealed.length - 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const pt = d.update(sealed.subarray(0, sealed.length - 16));
  try {
    d.final();
  } catch {
    return undefined;
  }
  return pt;
}

/** The Noise SymmetricState (chaining key, handshake hash, current cipher key). */
export class SymmetricState {
  ck: Buffer;
  h: Buffer;
  private k: Buffer | undefined;
  private n = 0;

  constructor() {
    const name = Buffer.from(PROTOCOL_NAME);
    this.h = name.length <= 32 ? Buffer.concat([name, Buffer.alloc(32 - name.length)]) : hash(name);
    this.ck = this.h;
    this.mixHash(Buffer.from(PROLOGUE));
  }

  clone(): SymmetricState {
    const s = Object.create(SymmetricState.prototype) as SymmetricState;
    s.ck = this.ck;
    s.h = this.h;
    s.k = this.k;
    s.n = this.n;
    return s;
  }

  mixHash(data: Uint8Array): void {
    this.h = hash(this.h, data);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.k = k;
    this.n = 0;
  }

  encryptAndHash(plaintext: Uint8Array): Buffer {
    if (!this.k) throw new Error('noise: no key');
    const ct = aeadSeal(this.k, noiseNonce(this.n++), this.h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  decryptAndHash(ciphertext: Uint8Array): Buffer | undefined {
    if (!this.k) return undefined;
    const pt = aeadOpen(this.k, noiseNonce(this.n++), this.h, ciphertext);
    if (pt) this.mixHash(ciphertext);
    return pt;
  }

  /** Transport keys: [initiator -> responder, responder -> initiator]. */
  split(): [Buffer, Buffer] {
    return hkdf2(this.ck, Buffer.alloc(0));
  }
}
