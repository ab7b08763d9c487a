import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEndpoint, parseCidr, parseEndpoint } from '../../../src/wanbond/io/addr.js';

describe('addresses', () => {
  it('parses CIDRs of both families and bare addresses as host prefixes', () => {
    expect(parseCidr('10.255.0.2/24')).toEqual({ address: '10.255.0.2', prefix: 24, family: 4 });
    expect(parseCidr('fd00::2/64')).toEqual({ address: 'fd00::2', prefix: 64, family: 6 });
    expect(parseCidr('192.168.1.10')).toEqual({ address: '192.168.1.10', prefix: 32, family: 4 });
  });

  it('rejects bad addresses and prefixes with the option name', () => {
    expect(() => parseCidr('10.255.0.300/24', 'address')).toThrow(/invalid address '10.255.0.300\/24'/);
    expect(() => parseCidr('10.0.0.1/33')).toThrow(/prefix must be 0..32/);
    expect(() => parseCidr('10.0.0.1/')).toThrow(/prefix/);
    expect(() => parseCidr('fd00::1/x')).toThrow(/prefix must be 0..128/);
  });

  it('shows IPv4-mapped peers of a dual-stack socket as plain IPv4', () => {
    expect(formatEndpoint('::ffff:198.18.0.5', 4000)).toBe('198.18.0.5:4000');
    expect(formatEndpoint('2001:db8::1', 5555)).toBe('[2001:db8::1]:5555');
  });

  it('parses back every endpoint it formats', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
        const back = parseEndpoint(formatEndpoint(ip, port));
        expect(back.port).toBe(port);
        expect(formatEndpoint(back.address, back.port)).toBe(formatEndpoint(ip, port));
      }),
    );
    expect(() => parseEndpoint('1.2.3.4')).toThrow(/invalid endpoint/);
    expect(() => parseEndpoint('1.2.3.4:0')).toThrow(/invalid endpoint/);
  });
});
