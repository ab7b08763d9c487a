import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, nextFreeAddress, PoolExhaustedError } from '../../../src/wanbond/pairing/pool.js';

describe('tunnel address pool', () => {
  it('gives the lowest free host address, skipping the server and every client', () => {
    expect(nextFreeAddress('10.255.0.1/24', [])).toBe('10.255.0.2');
    expect(nextFreeAddress('10.255.0.1/24', ['10.255.0.2', '10.255.0.3'])).toBe('10.255.0.4');
    expect(nextFreeAddress('10.255.0.1/24', ['10.255.0.3'])).toBe('10.255.0.2');
    // The server need not be .1: the network address stays out, the server's own is skipped.
    expect(nextFreeAddress('10.255.0.5/24', ['10.255.0.1/24'])).toBe('10.255.0.2');
    expect(nextFreeAddress('10.255.0.1/24', ['10.255.0.2/32', '10.9.9.9'])).toBe('10.255.0.3');
  });

  it('never hands out the broadcast address and says when the pool is full', () => {
    expect(nextFreeAddress('10.0.0.1/30', [])).toBe('10.0.0.2');
    expect(() => nextFreeAddress('10.0.0.1/30', ['10.0.0.2'])).toThrow(PoolExhaustedError);
    expect(() => nextFreeAddress('10.0.0.1/30', ['10.0.0.2'])).toThrow(/no free tunnel address left in 10.0.0.1\/30/);
    const all = Array.from({ length: 253 }, (_, i) => `10.1.0.${i + 2}`);
    expect(() => nextFreeAddress('10.1.0.1/24', all)).toThrow(PoolExhaustedError);
    expect(nextFreeAddress('10.1.0.1/24', all.slice(1))).toBe('10.1.0.2');
  });

  it('allocates IPv6 addresses in the server subnet, written in RFC 5952 form', () => {
    expect(nextFreeAddress('fd00:255::1/64', [])).toBe('fd00:255::2');
    expect(nextFreeAddress('fd00:255::1/64', ['fd00:255::2', 'fd00:255::3/128'])).toBe('fd00:255::4');
    expect(nextFreeAddress('2001:db8:0:1::1/64', [])).toBe('2001:db8:0:1::2');
    expect(formatIp(6, 0n)).toBe('::');
    expect(formatIp(6, 1n)).toBe('::1');
    expect(formatIp(6, (0x2001n << 112n) | (0xdb8n << 96n) | 1n)).toBe('2001:db8::1');
    expect(formatIp(6, (1n << 112n) | (1n << 64n) | 1n)).toBe('1:0:0:1::1');
  });

  it('never returns a taken, server, network or broadcast address (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 24, max: 30 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 80 }),
        (prefix, hosts) => {
          const size = 1 << (32 - prefix);
          const taken = hosts.filter((h) => h < size).map((h) => `10.7.0.${h}`);
          let got: string;
          try {
            got = nextFreeAddress(`10.7.0.1/${prefix}`, taken);
          } catch (err) {
            expect(err).toBeInstanceOf(PoolExhaustedError);
            // Full means every usable host (size - 2, minus the server) is taken.
            expect(new Set(taken.filter((t) => !/\.(0|1)$/.test(t) && t !== `10.7.0.${size - 1}`)).size).toBe(size - 3);
            return;
          }
          const last = Number(got.split('.')[3]);
          expect(taken).not.toContain(got);
          expect(last).toBeGreaterThan(1);
          expect(last).toBeLessThan(size - 1);
          // It is the lowest such address.
          for (let h = 2; h < last; h++) expect(taken).toContain(`10.7.0.${h}`);
        },
      ),
    );
  });
});
