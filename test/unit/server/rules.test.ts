import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../src/wanbond/config/types.js';
import { serverRuleset } from '../../../src/wanbond/server/nft-rules.js';
import { engineClients, routedPrefixes } from '../../../src/wanbond/server/registry.js';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

function sampleServer(over: Partial<ServerConfig> = {}): ServerConfig {
  return {
    file: '/etc/wanbond/server',
    listen: '::',
    port: 5555,
    privateKey: KEY_A,
    address: '10.255.0.1/24',
    masquerade: true,
    wanDevice: 'eth0',
    tunName: 'wb0',
    clients: [
      {
        name: 'home',
        publicKey: KEY_A,
        address: '10.255.0.2',
        routes: ['192.168.1.0/24', '2001:db8:1::/64'],
        forwards: [
          { proto: 'tcp', publicPort: 8080, host: '192.168.1.10', port: 80 },
          { proto: 'udp', publicPort: 5060, host: '2001:db8:1::10', port: 5060 },
        ],
      },
      { name: 'shop', publicKey: KEY_B, address: '10.255.0.3', address6: 'fd00::3', routes: [], forwards: [] },
    ],
    ...over,
  };
}

describe('server client registry', () => {
  it('hands the engine keys, tunnel addresses and routes per client', () => {
    const clients = engineClients(sampleServer());
    expect(clients.map((c) => [c.name, c.addresses, c.routes])).toEqual([
      ['home', ['10.255.0.2'], ['192.168.1.0/24', '2001:db8:1::/64']],
      ['shop', ['10.255.0.3', 'fd00::3'], []],
    ]);
    expect(Buffer.from(clients[0]!.publicKey)).toEqual(Buffer.alloc(32, 1));
    expect(routedPrefixes(sampleServer())).toEqual(['192.168.1.0/24', '2001:db8:1::/64']);
  });

  it('refuses two clients with one key and a bad key, naming the client', () => {
    const cfg = sampleServer();
    const [home, shop] = cfg.clients;
    expect(() => engineClients({ ...cfg, clients: [home!, { ...shop!, publicKey: KEY_A }] })).toThrow(
      "clients 'home' and 'shop' have the same public_key",
    );
    expect(() => engineClients({ ...cfg, clients: [{ ...shop!, publicKey: 'short' }] })).toThrow(
      "invalid public_key of client 'shop'",
    );
  });
});

describe('server nftables rules', () => {
  it('masquerades tunnel traffic out of the WAN device, DNATs forwards, isolates clients, clamps MSS', () => {
    const text = serverRuleset(sampleServer(), 1420);
    expect(text).toContain('iifname "wb0" oifname "eth0" masquerade');
    expect(text).toContain('meta nfproto ipv4 iifname "eth0" tcp dport 8080 dnat ip to 192.168.1.10:80');
    expect(text).toContain('meta nfproto ipv6 iifname "eth0" udp dport 5060 dnat ip6 to [2001:db8:1::10]:5060');
    expect(text).toContain('iifname "wb0" oifname "wb0" drop');
    expect(text).toContain('tcp option maxseg size set 1380');
    expect(text).toContain('tcp option maxseg size set 1360');
  });

  it('without a WAN device masquerades and forwards on every non-tunnel interface; masquerade can be off', () => {
    const text = serverRuleset(sampleServer({ wanDevice: undefined, masquerade: false }), 1420);
    expect(text).not.toContain('masquerade');
    expect(text).toContain('iifname != "wb0" tcp dport 8080');
    expect(serverRuleset(sampleServer({ wanDevice: undefined }), 1420)).toContain(
      'iifname "wb0" oifname != "wb0" masquerade',
    );
  });

  it('caps a client with rate_limit_kbit: one named limit per direction shared by its v4 and v6 prefixes', () => {
    const base = sampleServer();
    const [home, shop] = base.clients;
    const text = serverRuleset({ ...base, clients: [{ ...home!, rateLimitKbit: 10_000 }, shop!] }, 1420);
    expect(text).toContain('limit rl_down_home { rate over 1250 kbytes/second burst 125 kbytes }');
    expect(text).toContain('limit rl_up_home { rate over 1250 kbytes/second burst 125 kbytes }');
    expect(text).toContain(
      'oifname "wb0" ip daddr { 10.255.0.2/32, 192.168.1.0/24 } limit name "rl_down_home" drop comment "home rate limit"',
    );
    expect(text).toContain('oifname "wb0" ip6 daddr { 2001:db8:1::/64 } limit name "rl_down_home" drop');
    expect(text).toContain('iifname "wb0" ip saddr { 10.255.0.2/32, 192.168.1.0/24 } limit name "rl_up_home" drop');
    // Before the DNAT accept, so inbound forwards are capped too; clients without a cap get no rule.
    expect(text.indexOf('rl_down_home" drop')).toBeLessThan(text.indexOf('ct status dnat accept'));
    expect(text).not.toContain('rl_down_shop');
  });

  it('filters the tunnel port before conntrack: message types, initiation size, minimum length, flood per source', () => {
    const text = serverRuleset(sampleServer({ port: 7000 }), 1420);
    expect(text).toContain('type filter hook prerouting priority raw; policy accept;');
    expect(text).toContain('udp dport 7000 fib daddr type local jump tunnel_port');
    expect(text).toContain('@th,64,8 != { 0x11, 0x14, 0x15 } counter drop');
    expect(text).toContain('@th,64,8 0x11 udp length != 149 counter drop');
    expect(text).toContain('udp length < 34 counter drop');
    expect(text).toContain('update @handshakes4 { ip saddr limit rate over 20/second burst 40 packets } counter drop');
    expect(text).toContain('set handshakes6 { type ipv6_addr; size 65536; flags dynamic,timeout; timeout 10s; }');
  });

  it('refuses interface names nft would misparse', () => {
    expect(() => serverRuleset(sampleServer({ wanDevice: 'eth0"; flush ruleset' }), 1420)).toThrow(/unsafe name/);
  });
});
