import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

/** Keys travel as base64 of the raw 32 bytes, the format `wg` uses, so admins can reuse their habits. */
export const KEY_BYTES = 32;

export function decodeKey(text: string, what = 'key'): Buffer {
  const trimmed = text.trim();
  const raw = Buffer.from(trimmed, 'base64');
  if (raw.length !== KEY_BYTES || raw.toString('base64') !== trimmed) {
    throw new Error(`invalid ${what}: expected base64 of ${KEY_BYTES} bytes`);
  }
  return raw;
}

export function generatePrivateKey(): string {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return Buffer.from(jwk.d as string, 'base64url').toString('base64');
}

export function publicKeyOf(privateKeyBase64: string): string {
  return publicKeyRaw(decodeKey(privateKeyBase64, 'private key')).toString('base64');
}

export function publicKeyRaw(privateRaw: Buffer): Buffer {
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: privateRaw.toString('base64url'), x: '' },
    format: 'jwk',
  });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}
