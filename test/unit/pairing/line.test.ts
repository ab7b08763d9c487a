import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import {
  formatPairingLine,
  isPublicAddress,
  type PairingLine,
  PairingLineError,
  parsePairingLine,
} from '../../../src/wanbond/pairing/line.js';

// Fixed keys (RFC 7748 §6.1 Alice / Bob private keys) so the expected line is stable.
const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString('base64');
const bob = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex').toString('base64');
const serverKey = publicKeyOf(alice);

const full: PairingLine = {
  hosts: ['vps.example.net', '203.0.113.5', '2001:db8::5'],
  port: 5555,
  serverKey,
  name: 'home',
  address: '10.255.0.2/24',
  address6: 'fd00:255::2/64',
  routes: ['192.168.1.0/24', '192.168.2.0/24'],
  privateKey: bob,
};

describe('pairing line format', () => {
  it('prints the documented v1 layout with a checksum', () => {
    expect(formatPairingLine(full)).toBe(
      'wanbond://v1?n=home&h=vps.example.net,203.0.113.5,2001:db8::5&p=5555' +
        '&k=hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo&a=10.255.0.2/24&a6=fd00:255::2/64' +
        '&r=192.168.1.0/24,192.168.2.0/24&sk=XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os&c=' +
        formatPairingLine(full).split('&c=')[1],
    );
    expect(formatPairingLine(full)).toMatch(/&c=[A-Za-z0-9_-]{6}$/);
    // Only URL-safe characters: nothing a chat app or a shell double-quote would mangle.
    expect(formatPairingLine(full)).toMatch(/^[A-Za-z0-9:/?&=.,_-]+$/);
  });

  it('round-trips the full form and the minimal form', () => {
    expect(parsePairingLine(formatPairingLine(full))).toEqual(full);
    const minimal: PairingLine = {
      hosts: ['198.51.100.7'],
      port: 443,
      serverKey,
      name: 'x',
      address: '10.0.0.2/30',
      routes: [],
      clientKey: publicKeyOf(bob),
    };
    expect(parsePairingLine(formatPairingLine(minimal))).toEqual(minimal);
  });

  it('accepts a line wrapped over several lines, surrounded by spaces or percent-encoded by a chat app', () => {
    const line = formatPairingLine(full);
    const wrapped = `  ${line.slice(0, 70)}\n${line.slice(70, 150)}\r\n  ${line.slice(150)}\n`;
    expect(parsePairingLine(wrapped)).toEqual(full);
    const encoded = line
      .replace(/:/g, '%3A')
      .replace(/,/g, '%2C')
      .replace(/\//g, '%2F')
      .replace('wanbond%3A%2F%2F', 'wanbond://');
    expect(parsePairingLine(encoded)).toEqual(full);
  });

  it('round-trips any valid pairing (property)', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const host = fc.oneof(
      fc.tuple(octet, octet, octet, octet).map((o) => o.join('.')),
      fc.constantFrom('vps.example.net', 'a.b', 'x1', '2001:db8::1', '::1', 'fe80::1'),
    );
    const key = fc.constant(0).map(() => publicKeyOf(generatePrivateKey()));
    const pairing = fc.record({
      hosts: fc.array(host, { minLength: 1, maxLength: 3 }),
      port: fc.integer({ min: 1, max: 65535 }),
      serverKey: key,
      name: fc.stringMatching(/^[A-Za-z0-9_]{1,20}$/),
      address: fc
        .tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 8, max: 30 }))
        .map(([h, p]) => `10.9.8.${h}/${p}`),
      routes: fc.array(fc.tuple(octet, fc.integer({ min: 8, max: 32 })).map(([o, p]) => `192.168.${o}.0/${p}`)),
    });
    fc.assert(
      fc.property(pairing, fc.boolean(), (p, withKey) => {
        const a = Number(p.address.split('/')[0]!.split('.')[3]);
        const prefix = Number(p.address.split('/')[1]);
        const host = a & ((1 << (32 - prefix)) - 1);
        fc.pre(host !== 0 && host !== (1 << (32 - prefix)) - 1);
        const line: PairingLine = withKey ? { ...p, privateKey: generatePrivateKey() } : p;
        expect(parsePairingLine(formatPairingLine(line))).toEqual(line);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects any single-character change (checksum) without crashing (property)', () => {
    const line = formatPairingLine(full);
    fc.assert(
      fc.property(
        fc.integer({ min: 'wanbond://'.length, max: line.length - 1 }),
        fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)),
        (i, ch) => {
          fc.pre(line[i] !== ch && !/\s/.test(ch));
          const changed = line.slice(0, i) + ch + line.slice(i + 1);
          expect(() => parsePairingLine(changed)).toThrow(PairingLineError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects cut-short lines at every length', () => {
    const line = formatPairingLine(full);
    for (let n = 0; n < line.length; n++) expect(() => parsePairingLine(line.slice(0, n))).toThrow(PairingLineError);
  });

  it('explains what is wrong', () => {
    const line = formatPairingLine(full);
    const err = (s: string) => {
      try {
        parsePairingLine(s);
      } catch (e) {
        expect(e).toBeInstanceOf(PairingLineError);
        return (e as Error).message;
      }
      throw new Error('parsed');
    };
    expect(err('')).toBe('empty pairing line');
    expect(err('https://example.com')).toMatch(/starts with 'wanbond:\/\/'/);
    expect(err(line.replace('v1?', 'v2?'))).toMatch(/version 2 pairing line.*update wanbond/);
    expect(err(line.replace('v1?', 'vx?'))).toMatch(/not a pairing line version/);
    expect(err('wanbond://v1')).toMatch(/no fields/);
    expect(err(line.split('&c=')[0]!)).toMatch(/no checksum/);
    expect(err(line.replace('&c=', '&zz=1&c='))).toBe("unknown field 'zz'");
    expect(err(line.replace('&c=', '&n=again&c='))).toBe("field 'n' appears twice");
    // A well-formed line with a bad value (re-checksummed) names the field.
    const bad = (patch: Partial<PairingLine>) => {
      const body = formatPairingLine(full);
      const p = { ...full, ...patch };
      return () => formatPairingLine(p) + body.length;
    };
    expect(bad({ port: 70000 })).toThrow(/port 70000 is out of range/);
    expect(bad({ name: 'my-router' })).toThrow(/client name 'my-router'/);
    expect(bad({ address: '10.255.0.0/24' })).toThrow(/tunnel address '10.255.0.0\/24'/);
    expect(bad({ address: '10.255.0.2' })).toThrow(/tunnel address/);
    expect(bad({ hosts: ['bad host'] })).toThrow(/server address 'bad host'/);
    expect(bad({ routes: ['192.168.1.0'] })).toThrow(/LAN route '192.168.1.0'/);
    expect(bad({ serverKey: 'short' })).toThrow(/server key/);
    expect(bad({ clientKey: serverKey })).toThrow(/not both/);
  });

  it('tells public addresses from private ones', () => {
    for (const a of ['203.0.113.5', '198.18.0.1', '8.8.8.8', '2001:db8::1', '2a01::1'])
      expect(isPublicAddress(a)).toBe(true);
    for (const a of [
      '::',
      '0.0.0.0',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '127.0.0.1',
      'fd00::1',
      'fe80::1',
      'vps.example.net',
    ])
      expect(isPublicAddress(a)).toBe(false);
  });
});
