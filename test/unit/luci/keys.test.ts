import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { loadModule } from './loader.js';

const keys = loadModule('wanbond.keys');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

describe('wanbond.keys (X25519 in the browser)', () => {
  it('matches the RFC 7748 section 5.2 test vector', () => {
    const out = keys.x25519(
      unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
    );
    expect(hex(out)).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  });

  it('matches the RFC 7748 section 6.1 public keys (Alice and Bob)', () => {
    const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    const bob = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex');
    expect(Buffer.from(keys.publicKey(alice.toString('base64')), 'base64').toString('hex')).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
    expect(Buffer.from(keys.publicKey(bob.toString('base64')), 'base64').toString('hex')).toBe(
      'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
    );
  });

  it('agrees with the daemon (node:crypto) on random keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (raw) => {
        const priv = Buffer.from(raw).toString('base64');
        expect(keys.publicKey(priv)).toBe(publicKeyOf(priv));
      }),
      { numRuns: 25 },
    );
    const priv = generatePrivateKey();
    expect(keys.publicKey(priv)).toBe(publicKeyOf(priv));
  });

  it('generates clamped keys that the daemon accepts', () => {
    const k = keys.generate((n: number) => new Uint8Array(randomBytes(n)));
    const raw = Buffer.from(k, 'base64');
    expect(raw).toHaveLength(32);
    expect(raw[0]! & 7).toBe(0);
    expect(raw[31]! & 0xc0).toBe(0x40);
    expect(publicKeyOf(k)).toBe(keys.publicKey(k));
    expect(keys.generate()).not.toBe(keys.generate());
  });

  it('returns null for anything that is not a base64 32-byte key', () => {
    for (const bad of ['', 'abc', 'A'.repeat(44), `${'A'.repeat(43)}`, null, undefined, `${'A'.repeat(42)}==`]) {
      expect(keys.publicKey(bad)).toBeNull();
    }
  });
});
