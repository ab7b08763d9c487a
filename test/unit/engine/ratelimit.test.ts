import { describe, expect, it } from 'vitest';
import { hostOf, SourceLimiter } from '../../../src/wanbond/engine/ratelimit.js';

describe('handshake rate limits', () => {
  it('keys limits by host, for IPv4 and IPv6 adapter addresses', () => {
    expect(hostOf('198.51.100.7:5555')).toBe('198.51.100.7');
    expect(hostOf('[2001:db8::1]:5555')).toBe('2001:db8::1');
    expect(hostOf('2001:db8::1')).toBe('2001:db8::1');
  });

  it('allows a burst, then the sustained rate, per source', () => {
    const l = new SourceLimiter(5, 10);
    let ok = 0;
    for (let i = 0; i < 50; i++) if (l.take('a', 0)) ok++;
    expect(ok).toBe(10);
    expect(l.take('b', 0)).toBe(true);
    expect(l.take('a', 100)).toBe(false);
    expect(l.take('a', 200)).toBe(true);
    let later = 0;
    for (let t = 1000; t < 3000; t += 10) if (l.take('a', t)) later++;
    // 0.8 s of refill before t=1000 (4 tokens) plus 2 s at 5/s.
    expect(later).toBeGreaterThanOrEqual(13);
    expect(later).toBeLessThanOrEqual(15);
  });
});
