import { describe, expect, it } from 'vitest';
import { PrefixTable, parsePrefix } from '../../../src/wanbond/engine/prefix.js';

function v4(dst: string): Uint8Array {
  const p = new Uint8Array(20);
  p[0] = 0x45;
  p.set(dst.split('.').map(Number), 16);
  return p;
}

function v6(dst: string): Uint8Array {
  const p = new Uint8Array(40);
  p[0] = 0x60;
  p.set(parsePrefix(dst).bytes, 24);
  return p;
}

describe('prefixes and longest-prefix match', () => {
  it('parses IPv4 and IPv6 with and without a length, and zeroes host bits', () => {
    expect(parsePrefix('10.255.0.2')).toEqual({ family: 4, bytes: Uint8Array.of(10, 255, 0, 2), length: 32 });
    expect(parsePrefix('192.168.1.77/24').bytes).toEqual(Uint8Array.of(192, 168, 1, 0));
    const p = parsePrefix('2001:db8::1/32');
    expect(p.family).toBe(6);
    expect(p.length).toBe(32);
    expect(Buffer.from(p.bytes).toString('hex')).toBe('20010db8000000000000000000000000');
    expect(Buffer.from(parsePrefix('::ffff:1.2.3.4').bytes).toString('hex')).toBe('00000000000000000000ffff01020304');
    expect(Buffer.from(parsePrefix('fd00::').bytes).toString('hex')).toBe('fd000000000000000000000000000000');
    expect(parsePrefix('0.0.0.0/0').length).toBe(0);
  });

  it('rejects malformed text with a clear error', () => {
    for (const bad of ['', '10.0.0', '10.0.0.256', '10.0.0.1/33', '10.0.0.1/x', '1::2::3', 'fd00::/129', 'a/b/c']) {
      expect(() => parsePrefix(bad)).toThrow(/invalid/);
    }
  });

  it('routes to the most specific owner, per family', () => {
    const t = new PrefixTable<string>();
    t.add(parsePrefix('0.0.0.0/0'), 'default');
    t.add(parsePrefix('192.168.0.0/16'), 'wide');
    t.add(parsePrefix('192.168.1.0/24'), 'lan');
    t.add(parsePrefix('192.168.1.9'), 'host');
    t.add(parsePrefix('fd00::/64'), 'v6');
    expect(t.lookup(v4('192.168.1.9'), 'dst')).toBe('host');
    expect(t.lookup(v4('192.168.1.10'), 'dst')).toBe('lan');
    expect(t.lookup(v4('192.168.200.1'), 'dst')).toBe('wide');
    expect(t.lookup(v4('8.8.8.8'), 'dst')).toBe('default');
    expect(t.lookup(v6('fd00::5'), 'dst')).toBe('v6');
    expect(t.lookup(v6('fd01::5'), 'dst')).toBeUndefined();
    expect(t.lookup(Uint8Array.of(0x45, 0, 0), 'dst')).toBeUndefined();
    expect(t.lookup(new Uint8Array(40), 'dst')).toBeUndefined();
  });
});
