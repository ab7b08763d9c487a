import { createCipheriv, createDecipheriv } from 'node:crypto';
import { TAG_BYTES } from './constants.js';

/**
 * One datagram waiting to be sealed: `buf[0, aadLen)` is the clear header, `buf[aadLen, aadLen + ptLen)` the
 * plaintext, followed by TAG_BYTES of room for the tag. Sealing happens in place.
 */
export interface SealJob {
  key: Buffer;
  pathId: number;
  pn: number;
  buf: Buffer;
  aadLen: number;
  ptLen: number;
}

/**
 * The only place per-packet cryptography happens, shaped for batches so an addon can later seal N datagrams in
 * one native call (see ARCHITECTURE.md, "The hot path"). Implementations must not keep references to buffers.
 */
export interface Aead {
  sealBatch(jobs: readonly SealJob[], count: number): void;
  /** Opens `buf[aadLen, end)` (ciphertext + tag); returns the plaintext or undefined when it does not authenticate. */
  open(key: Buffer, pathId: number, pn: number, buf: Uint8Array, aadLen: number, end: number): Buffer | undefined;
}

/** Nonce of data and control packets: path id (u32 LE) || packet number (u64 LE). Unique per key and direction. */
export function writeNonce(out: Buffer, pathId: number, pn: number): Buffer {
  out.writeUInt32LE(pathId, 0);
  out.writeUInt32LE(pn >>> 0, 4);
  out.writeUInt32LE(Math.floor(pn / 0x1_0000_0000), 8);
  return out;
}

/** ChaCha20-Poly1305 from node:crypto (OpenSSL). */
export class NodeAead implements Aead {
  private readonly nonce = Buffer.alloc(12);

  sealBatch(jobs: readonly SealJob[], count: number): void {
    for (let i = 0; i < count; i++) {
      const j = jobs[i]!;
      const c = createCipheriv('chacha20-poly1305', j.key, writeNonce(this.nonce, j.pathId, j.pn), {
        authTagLength: TAG_BYTES,
      });
      c.setAAD(j.buf.subarray(0, j.aadLen), { plaintextLength: j.ptLen });
      const ct = c.update(j.buf.subarray(j.aadLen, j.aadLen + j.ptLen));
      ct.copy(j.buf, j.aadLen);
      c.final();
      c.getAuthTag().copy(j.buf, j.aadLen + j.ptLen);
    }
  }

  open(key: Buffer, pathId: number, pn: number, buf: Uint8Array, aadLen: number, end: number): Buffer | undefined {
    const ctEnd = end - TAG_BYTES;
    if (ctEnd < aadLen) return undefined;
    const d = createDecipheriv('chacha20-poly1305', key, writeNonce(this.nonce, pathId, pn), {
      authTagLength: TAG_BYTES,
    });
    d.setAAD(buf.subarray(0, aadLen), { plaintextLength: ctEnd - aadLen });
    d.setAuthTag(buf.subarray(ctEnd, end));
    const pt = d.update(buf.subarray(aadLen, ctEnd));
    try {
      d.final();
    } catch {
      return undefined;
    }
    return pt;
  }
}
