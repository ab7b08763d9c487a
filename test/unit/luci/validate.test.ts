import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../../src/wanbond/engine/keys.js';
import { loadModule } from './loader.js';

const v = loadModule('wanbond.validate');
const ok = (r: unknown) => r === true;

describe('wanbond.validate: single values', () => {
  it('IPv4 and IPv6 addresses', () => {
    for (const a of ['0.0.0.0', '192.0.2.1', '255.255.255.255']) expect(v.ipv4(a)).toBe(true);
    for (const a of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', '']) expect(v.ipv4(a)).toBe(false);
    for (const a of ['::', '::1', '2001:db8::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1'])
      expect(v.ipv6(a)).toBe(true);
    for (const a of ['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', '1.2.3.4', ':::'])
      expect(v.ipv6(a)).toBe(false);
    expect(v.family('10.0.0.1')).toBe('ipv4');
    expect(v.family('2001:db8::')).toBe('ipv6');
    expect(v.family('host')).toBeNull();
  });

  it('agrees with node:net on random IPv4 and IPv6 addresses', async () => {
    const net = await import('node:net');
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })), (s) => {
        expect(v.family(s)).toBe(net.isIPv4(s) ? 'ipv4' : net.isIPv6(s) ? 'ipv6' : null);
      }),
      { numRuns: 300 },
    );
  });

  it('addresses with optional prefix', () => {
    expect(v.ipOrCidr('192.0.2.0/24')).toBe(true);
    expect(v.ipOrCidr('2001:db8::/32')).toBe(true);
    expect(v.ipOrCidr('192.0.2.7')).toBe(true);
    expect(v.ipOrCidr('192.0.2.0/33')).toMatch(/between 0 and 32/);
    expect(v.ipOrCidr('2001:db8::/129')).toMatch(/between 0 and 128/);
    expect(v.ipOrCidr('example.com')).toMatch(/IPv4 or IPv6/);
  });

  it('tunnel address: IPv4 host with a prefix', () => {
    expect(v.tunnelAddress('10.255.0.2/24')).toBe(true);
    expect(ok(v.tunnelAddress('10.255.0.2'))).toBe(false);
    expect(ok(v.tunnelAddress('10.255.0.2/31'))).toBe(false);
  });

  it('server host, ports, port lists', () => {
    for (const h of ['vps.example.net', '203.0.113.5', '2001:db8::5', 'localhost']) expect(v.host(h)).toBe(true);
    for (const h of ['-bad.example', 'a b', 'exa_mple.com', '']) expect(ok(v.host(h))).toBe(false);
    expect(v.port('5555')).toBe(true);
    for (const p of ['0', '65536', '12a', '']) expect(ok(v.port(p))).toBe(false);
    for (const p of ['443', '80,443', '1000:2000', '1000-2000', '22, 80,1000:1010']) expect(v.portList(p)).toBe(true);
    expect(v.portList('2000:1000')).toMatch(/lower port/);
    expect(v.portList('0')).toMatch(/between 1 and 65535/);
    expect(v.portList('http')).toMatch(/Expecting a port/);
  });

  it('keys: exactly what wanbond keygen prints', () => {
    for (let i = 0; i < 20; i++) expect(v.key(generatePrivateKey())).toBe(true);
    const k = generatePrivateKey();
    expect(ok(v.key(k.slice(1)))).toBe(false);
    expect(ok(v.key(`${k.slice(0, 42)}B=`))).toBe(false); // non-canonical padding bits
    expect(ok(v.key(Buffer.alloc(31).toString('base64')))).toBe(false);
  });

  it('modes, fallback, mtu, device and section names, protocols, families', () => {
    for (const m of ['bond', 'redundant', 'failover', 'direct']) expect(v.mode(m)).toBe(true);
    expect(ok(v.mode('balance'))).toBe(false);
    expect(v.fallback('block')).toBe(true);
    expect(ok(v.fallback('drop'))).toBe(false);
    expect(v.mtu('1400')).toBe(true);
    expect(ok(v.mtu('500'))).toBe(false);
    expect(v.ifname('wb0')).toBe(true);
    expect(ok(v.ifname('a-very-long-name0'))).toBe(false);
    expect(ok(v.ifname('eth0:1'))).toBe(false);
    expect(v.sectionName('wan_1')).toBe(true);
    expect(ok(v.sectionName('wan-1'))).toBe(false);
    expect(ok(v.sectionName('a'.repeat(16)))).toBe(false);
    for (const p of ['all', 'tcp', 'UDP', 'icmp', 'icmpv6', '47']) expect(v.protocol(p)).toBe(true);
    expect(ok(v.protocol('256'))).toBe(false);
    expect(v.familyName('ipv6')).toBe(true);
    expect(ok(v.familyName('inet'))).toBe(false);
  });
});

describe('wanbond.validate: sections', () => {
  it('a link is an interface, or a device with a source address', () => {
    expect(v.link({ interface: 'wan1' })).toBe(true);
    expect(v.link({ device: 'eth1', source: '192.0.2.10' })).toBe(true);
    expect(v.link({ interface: 'wan1', device: 'eth1' })).toMatch(/not both/);
    expect(v.link({ device: 'eth1' })).toMatch(/Choose the network interface/);
    expect(v.link({})).toMatch(/Choose the network interface/);
    expect(v.link({ device: 'eth1', source: 'eth1' })).toMatch(/source address/);
  });

  it('a policy names existing links and fits its mode', () => {
    const links = ['wan1', 'wan2', 'lte'];
    expect(v.policy({ mode: 'bond', use_link: ['wan1', 'wan2'] }, links)).toBe(true);
    expect(v.policy({ mode: 'bond' }, links)).toBe(true);
    expect(v.policy({ mode: 'failover', use_link: 'lte' }, links)).toBe(true);
    expect(v.policy({ mode: 'bond', use_link: ['wan9'] }, links)).toMatch(/"wan9" does not exist/);
    expect(v.policy({ mode: 'direct', use_link: ['wan1', 'wan2'] }, links)).toMatch(/one link/);
    expect(v.policy({ mode: 'redundant', use_link: ['wan1'] }, links)).toMatch(/at least two/);
    expect(v.policy({ mode: 'x' }, links)).toMatch(/Expecting one of/);
  });

  it('a rule matches consistently and names an existing policy', () => {
    const pol = ['stream', 'voip'];
    expect(v.rule({ proto: 'tcp', dest_port: '1935', use_policy: 'stream' }, pol)).toBe(true);
    expect(v.rule({ src_ip: '192.168.1.0/24', use_policy: 'voip' }, pol)).toBe(true);
    expect(v.rule({ family: 'ipv6', dest_ip: '2001:db8::/32', proto: 'icmpv6', use_policy: 'voip' }, pol)).toBe(true);
    expect(v.rule({ proto: 'icmp', dest_port: '80', use_policy: 'voip' }, pol)).toMatch(/tcp or udp/);
    expect(v.rule({ dest_port: '80', use_policy: 'voip' }, pol)).toMatch(/tcp or udp/);
    expect(v.rule({ family: 'ipv4', dest_ip: '2001:db8::1', use_policy: 'voip' }, pol)).toMatch(/family ipv4/);
    expect(v.rule({ src_ip: '10.0.0.1', dest_ip: '2001:db8::1', use_policy: 'voip' }, pol)).toMatch(/same family/);
    expect(v.rule({ proto: 'icmp', family: 'ipv6', use_policy: 'voip' }, pol)).toMatch(/icmpv6/);
    expect(v.rule({ proto: 'tcp' }, pol)).toMatch(/Choose the policy/);
    expect(v.rule({ use_policy: 'nope' }, pol)).toMatch(/"nope" does not exist/);
    expect(v.rule({ proto: 'gre', use_policy: 'voip' }, pol)).toMatch(/protocol number/);
  });
  it('checks the MacVLAN dialog before the daemon sees it (over ubus a refusal has no words)', () => {
    const taken = { interfaces: ['lan', 'wan', 'wan1'], devices: ['eth0', 'eth1', 'vwan2'], links: ['wan1', 'lte'] };
    expect(v.macvlan({ parent: 'eth1' }, taken)).toBe(true);
    expect(v.macvlan({ parent: 'eth1', name: 'wan3', addLink: true }, taken)).toBe(true);
    expect(v.macvlan({ parent: ' ' }, taken)).toMatch(/Ethernet port/);
    expect(ok(v.macvlan({ parent: 'eth 1' }, taken))).toBe(false);
    expect(ok(v.macvlan({ parent: 'eth1', name: 'wan-3' }, taken))).toBe(false);
    expect(v.macvlan({ parent: 'eth1', name: 'abcdefghijklmno' }, taken)).toMatch(/14 characters/);
    expect(v.macvlan({ parent: 'eth1', name: 'wan1' }, taken)).toBe('A network interface named "wan1" already exists');
    expect(v.macvlan({ parent: 'eth1', name: 'wan2' }, taken)).toBe('A network device named "vwan2" already exists');
    expect(v.macvlan({ parent: 'eth1', name: 'lte', addLink: true }, taken)).toBe('A link named "lte" already exists');
    // Without a link there is no clash with the link of that name.
    expect(v.macvlan({ parent: 'eth1', name: 'lte', addLink: false }, taken)).toBe(true);
    expect(v.macvlan({ parent: 'eth1', name: 'wan1' }, undefined)).toBe(true);
  });
});
