import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PolicyConfig, RuleConfig } from '../../../src/wanbond/config/types.js';
import { ClassifierError, compileClassifier, parsePorts } from '../../../src/wanbond/engine/classify.js';
import { packet } from './packets.js';

const policies: PolicyConfig[] = [
  { name: 'stream', mode: 'redundant', useLinks: ['wan1', 'wan2'] },
  { name: 'bank', mode: 'direct', useLinks: ['wan2'] },
  { name: 'bulk', mode: 'failover', useLinks: [] },
];

const rules: RuleConfig[] = [
  { name: 'rtmp', proto: 'tcp', destPort: '1935', usePolicy: 'stream' },
  { name: 'bank', destIp: '203.0.113.0/24 2001:db8:ba0c::/48', usePolicy: 'bank' },
  { name: 'games', proto: 'udp', destPort: '27000-27050,3074 3478:3480', usePolicy: 'stream' },
  { name: 'nas', srcIp: '192.168.1.50', family: 'ipv4', usePolicy: 'bulk' },
  { name: 'v6ping', proto: 'icmp', family: 'ipv6', usePolicy: 'bulk' },
  { name: 'plain', srcPort: '5000', usePolicy: 'default' },
];

const c = compileClassifier({ rules, policies, mode: 'bond' });

describe('classifier', () => {
  it('matches by protocol and destination port, returning the policy mode and links', () => {
    const p = packet({ src: '192.168.1.10', dst: '198.51.100.7', proto: 6, sport: 40000, dport: 1935 });
    expect(c.lookup(p)).toEqual({ mode: 'redundant', links: ['wan1', 'wan2'], rule: 'rtmp', policy: 'stream' });
    expect(c.classify(p)).toBe('redundant');
    // Same port over UDP is not rtmp, and nothing else matches: the main mode.
    const u = packet({ src: '192.168.1.10', dst: '198.51.100.7', proto: 17, sport: 40000, dport: 1935 });
    expect(c.lookup(u)).toEqual({ mode: 'bond' });
  });

  it('matches destination prefixes of both families in one rule', () => {
    expect(c.lookup(packet({ src: '192.168.1.10', dst: '203.0.113.99', proto: 6, sport: 1, dport: 443 })).rule).toBe(
      'bank',
    );
    expect(c.classify(packet({ src: 'fd00::10', dst: '2001:db8:ba0c:1::5', proto: 6, sport: 1, dport: 443 }))).toBe(
      'direct',
    );
    expect(c.classify(packet({ src: '192.168.1.10', dst: '203.0.114.1', proto: 6, sport: 1, dport: 443 }))).toBe(
      'bond',
    );
  });

  it('takes port lists and ranges in both 1000-2000 and 1000:2000 forms', () => {
    const at = (dport: number) => c.classify(packet({ src: '10.0.0.1', dst: '10.9.9.9', proto: 17, sport: 9, dport }));
    expect([26999, 27000, 27050, 27051, 3074, 3477, 3478, 3480, 3481].map(at)).toEqual([
      'bond',
      'redundant',
      'redundant',
      'bond',
      'redundant',
      'bond',
      'redundant',
      'redundant',
      'bond',
    ]);
  });

  it('first match wins, in order', () => {
    // rtmp to the bank network: rule 'rtmp' comes first.
    const p = packet({ src: '192.168.1.10', dst: '203.0.113.5', proto: 6, sport: 1, dport: 1935 });
    expect(c.lookup(p).rule).toBe('rtmp');
    const reordered = compileClassifier({ rules: [rules[1]!, rules[0]!], policies, mode: 'bond' });
    expect(reordered.lookup(p).rule).toBe('bank');
  });

  it('applies family: ipv4-only rules ignore IPv6 and icmp means ICMPv6 in IPv6', () => {
    expect(c.lookup(packet({ src: '192.168.1.50', dst: '1.1.1.1', proto: 1 })).rule).toBe('nas');
    expect(c.lookup(packet({ src: 'fd00::50', dst: '2001:db8::1', proto: 58 })).rule).toBe('v6ping');
    expect(c.lookup(packet({ src: '192.168.1.51', dst: '1.1.1.1', proto: 1 })).rule).toBeUndefined();
  });

  it("use_policy 'default' returns the main mode but names the rule", () => {
    expect(c.lookup(packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, sport: 5000, dport: 80 }))).toEqual({
      mode: 'bond',
      rule: 'plain',
    });
  });

  it('walks IPv6 extension headers to the transport header', () => {
    const base = { src: 'fd00::10', dst: '2001:db8::9', proto: 6, sport: 40000, dport: 1935 };
    expect(c.lookup(packet({ ...base, ext: [0, 60, 43] })).rule).toBe('rtmp');
    expect(c.lookup(packet({ ...base, ext: [51] })).rule).toBe('rtmp');
    expect(c.lookup(packet({ ...base, ext: [0], fragOffset: 0 })).rule).toBe('rtmp');
  });

  it('non-first fragments have no ports: port rules skip them, address rules still match', () => {
    const v4 = packet({ src: '192.168.1.10', dst: '198.51.100.7', proto: 6, sport: 1, dport: 1935, fragOffset: 185 });
    expect(c.lookup(v4).rule).toBeUndefined();
    const v6 = packet({ src: 'fd00::1', dst: '2001:db8::1', proto: 6, sport: 1, dport: 1935, fragOffset: 100 });
    expect(c.lookup(v6).rule).toBeUndefined();
    const bank = packet({ src: '192.168.1.10', dst: '203.0.113.7', proto: 17, sport: 1, dport: 2, fragOffset: 3 });
    expect(c.lookup(bank).rule).toBe('bank');
  });

  it('malformed and truncated packets fall back safely', () => {
    expect(c.lookup(new Uint8Array(0))).toBe(c.defaultResult);
    expect(c.lookup(Uint8Array.of(0x45, 0, 0))).toBe(c.defaultResult);
    expect(c.lookup(Uint8Array.of(0x20, ...new Array(60).fill(0)))).toBe(c.defaultResult);
    // IHL 15 (60 bytes) in a 40-byte packet.
    const badIhl = packet({ src: '192.168.1.10', dst: '203.0.113.7', proto: 6, sport: 1, dport: 1935 });
    badIhl[0] = 0x4f;
    expect(c.lookup(badIhl.subarray(0, 40))).toBe(c.defaultResult);
    // Header intact but the TCP ports are cut off: the port rule cannot match, the address rule can.
    const cut = packet({ src: '192.168.1.10', dst: '203.0.113.7', proto: 6, sport: 1, dport: 1935, truncate: 22 });
    expect(c.lookup(cut).rule).toBe('bank');
    // IPv6 extension header running past the end: protocol unknown, no port rule matches.
    const v6 = packet({ src: 'fd00::1', dst: '2001:db8::1', proto: 6, sport: 1, dport: 1935, ext: [0], truncate: 44 });
    expect(c.lookup(v6).rule).toBeUndefined();
  });

  it('with no rules everything gets the main mode', () => {
    const none = compileClassifier({ rules: [], policies: [], mode: 'failover' });
    expect(none.classify(packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, sport: 1, dport: 2 }))).toBe('failover');
  });
});

describe('classifier input errors', () => {
  const bad = (r: Partial<RuleConfig>) => () =>
    compileClassifier({ rules: [{ name: 'r1', usePolicy: 'bulk', ...r }], policies, mode: 'bond' });

  it('names the rule and option', () => {
    expect(bad({ usePolicy: 'nope' })).toThrow(/rule 'r1': option use_policy: no policy named 'nope'/);
    expect(bad({ destPort: '70000' })).toThrow(/rule 'r1': option dest_port: .*out of range/);
    expect(bad({ destPort: '2000-1000' })).toThrow(/ends before it starts/);
    expect(bad({ srcPort: 'http' })).toThrow(/option src_port: 'http' is not a port/);
    expect(bad({ destIp: '10.0.0.300' })).toThrow(/option dest_ip/);
    expect(bad({ proto: 'tcpp' })).toThrow(/unknown protocol 'tcpp'/);
    expect(bad({ proto: 'icmp', destPort: '80' })).toThrow(/ports need tcp, udp/);
    expect(bad({ family: 'ipv6', srcIp: '10.0.0.0/8' })).toThrow(/can never match/);
    expect(bad({ family: 'ipv4', proto: 'icmpv6' })).toThrow(/can never match/);
    expect(bad({})).not.toThrow();
    expect(bad({ srcIp: '10.0.0.0/8' })).not.toThrow(ClassifierError);
  });

  it('parses port lists', () => {
    expect(parsePorts('80,443 1000-2000 3000:3001')).toEqual([
      { lo: 80, hi: 80 },
      { lo: 443, hi: 443 },
      { lo: 1000, hi: 2000 },
      { lo: 3000, hi: 3001 },
    ]);
  });
});

/** Reference semantics, written independently: node's BlockList for prefixes, plain comparisons for the rest. */
function reference(
  r: { src?: string; dst?: string; proto?: number; lo?: number; hi?: number },
  p: { src: string; dst: string; proto: number; dport: number },
): boolean {
  const inList = (cidr: string, addr: string) => {
    const [a, len] = cidr.split('/');
    const bl = new BlockList();
    bl.addSubnet(a!, Number(len), 'ipv4');
    return bl.check(addr, 'ipv4');
  };
  if (r.src !== undefined && !inList(r.src, p.src)) return false;
  if (r.dst !== undefined && !inList(r.dst, p.dst)) return false;
  if (r.proto !== undefined && r.proto !== p.proto) return false;
  if (r.lo !== undefined && (p.proto === 1 || p.dport < r.lo || p.dport > r.hi!)) return false;
  return true;
}

describe('classifier properties', () => {
  const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.'));
  const cidr = fc.tuple(ip, fc.integer({ min: 0, max: 32 })).map(([a, l]) => `${a}/${l}`);
  const ruleArb = fc.record(
    {
      src: cidr,
      dst: cidr,
      proto: fc.constantFrom(6, 17),
      lo: fc.integer({ min: 0, max: 65535 }),
      span: fc.integer({ min: 0, max: 2000 }),
    },
    { requiredKeys: [] },
  );

  it('agrees with a reference matcher on random rules and packets (first match wins)', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.record({ src: ip, dst: ip, proto: fc.constantFrom(1, 6, 17), dport: fc.nat(65535) }), {
          minLength: 1,
          maxLength: 10,
        }),
        (rs, ps) => {
          const norm = rs.map((r) => ({
            ...r,
            ...(r.lo !== undefined ? { hi: Math.min(65535, r.lo + (r.span ?? 0)) } : {}),
          }));
          const cfg: RuleConfig[] = norm.map((r, i) => ({
            name: `r${i}`,
            usePolicy: 'stream',
            ...(r.src !== undefined ? { srcIp: r.src } : {}),
            ...(r.dst !== undefined ? { destIp: r.dst } : {}),
            ...(r.proto !== undefined ? { proto: r.proto === 6 ? 'tcp' : 'udp' } : {}),
            ...(r.lo !== undefined ? { destPort: `${r.lo}-${r.hi}` } : {}),
          }));
          const cl = compileClassifier({ rules: cfg, policies, mode: 'bond' });
          for (const p of ps) {
            const bytes = packet({ src: p.src, dst: p.dst, proto: p.proto, sport: 1, dport: p.dport });
            const want = norm.findIndex((r) => reference(r, p));
            expect(cl.lookup(bytes).rule).toBe(want < 0 ? undefined : `r${want}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes and always returns a mode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (bytes, v6) => {
        if (bytes.length > 0) bytes[0] = (v6 ? 0x60 : 0x45) | (bytes[0]! & (v6 ? 0x0f : 0x00));
        const r = c.lookup(bytes);
        expect(['bond', 'redundant', 'failover', 'direct']).toContain(r.mode);
      }),
      { numRuns: 2000 },
    );
  });
});
