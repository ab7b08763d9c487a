import { describe, expect, it } from 'vitest';
import type { PolicyConfig, RuleConfig } from '../../../src/wanbond/config/types.js';
import {
  parseJsonRoute,
  parseJsonRule,
  routeCommand,
  routeKey,
  ruleCommand,
  ruleKey,
} from '../../../src/wanbond/openwrt/policy-ip.js';
import {
  type PolicyLink,
  type PolicyPlan,
  planPolicyRouting,
  tunnelRoutes,
} from '../../../src/wanbond/openwrt/policy-plan.js';
import { policyLinksFrom } from '../../../src/wanbond/openwrt/policy-routing.js';

const policies: PolicyConfig[] = [
  { name: 'bank', mode: 'direct', useLinks: ['wan1', 'wan3'] },
  { name: 'stream', mode: 'redundant', useLinks: [] },
];
const rules: RuleConfig[] = [
  { name: 'rtmp', proto: 'tcp', destPort: '1935', usePolicy: 'stream' },
  { name: 'bank', destIp: '203.0.113.0/24 2001:db8:ba0c::/48', usePolicy: 'bank' },
  { name: 'voip', srcIp: '192.168.1.20', proto: 'udp', srcPort: '5060-5080', usePolicy: 'bank' },
];
const links: PolicyLink[] = [
  { name: 'wan1', device: 'wan1mac', source: '192.168.11.10', gateway: '192.168.11.1' },
  { name: 'wan2', device: 'pppoe-wan2', source: '100.64.1.2' },
  {
    name: 'wan3',
    device: 'wan3mac',
    source: '192.168.13.10',
    gateway: '192.168.13.1',
    source6: '2001:db8:3::10',
    gateway6: 'fe80::1',
  },
  { name: 'lte', up: false },
];

function commands(plan: PolicyPlan): string {
  return [...plan.routes.map(routeCommand), ...plan.rules.map(ruleCommand)].join('\n');
}

describe('policy routing plan', () => {
  const plan = planPolicyRouting({ mode: 'bond', fallback: 'block', policies, rules }, links, {
    tunDevice: 'wb0',
    serverAddresses: ['198.51.100.1', '2001:db8:5::1'],
    ipv6: true,
  });

  it('gives the exact ip commands', () => {
    expect(commands(plan)).toBe(
      `ip -4 route replace default via 192.168.11.1 dev wan1mac table 7701 metric 1
ip -4 route replace default dev pppoe-wan2 table 7702 metric 1
ip -4 route replace default via 192.168.13.1 dev wan3mac table 7703 metric 1
ip -6 route replace default via fe80::1 dev wan3mac table 7703 metric 1
ip -4 route replace default dev wb0 table 7700 metric 1
ip -4 route replace blackhole default table 7700 metric 4294967295
ip -4 route replace throw 198.51.100.1 table 7700 metric 1
ip -6 route replace default dev wb0 table 7700 metric 1
ip -6 route replace blackhole default table 7700 metric 4294967295
ip -6 route replace throw 2001:db8:5::1 table 7700 metric 1
ip -4 rule add pref 900 fwmark 0x01000000/0x3f000000 lookup 7701
ip -4 rule add pref 910 from 192.168.11.10 lookup 7701
ip -4 rule add pref 900 fwmark 0x02000000/0x3f000000 lookup 7702
ip -4 rule add pref 910 from 100.64.1.2 lookup 7702
ip -4 rule add pref 900 fwmark 0x03000000/0x3f000000 lookup 7703
ip -4 rule add pref 910 from 192.168.13.10 lookup 7703
ip -6 rule add pref 900 fwmark 0x03000000/0x3f000000 lookup 7703
ip -6 rule add pref 910 from 2001:db8:3::10 lookup 7703
ip -4 rule add pref 920 iif br-lan lookup main suppress_prefixlength 0
ip -4 rule add pref 930 iif br-lan lookup 7700
ip -6 rule add pref 920 iif br-lan lookup main suppress_prefixlength 0
ip -6 rule add pref 930 iif br-lan lookup 7700`,
    );
    expect(plan.tables).toEqual([7700, 7701, 7702, 7703]);
  });

  it('gives the exact nft ruleset', () => {
    expect(plan.nft).toBe(`table inet wanbond_policy {}
delete table inet wanbond_policy
table inet wanbond_policy {
  chain prerouting {
    type filter hook prerouting priority mangle - 5; policy accept;
    iifname != "br-lan" return
    ct mark & 0x3f000000 vmap { 0x01000000 : goto link_0, 0x02000000 : goto link_1, 0x03000000 : goto link_2 }
    jump rules
  }
  chain rules {
    meta nfproto ipv4 meta l4proto 6 th dport 1935 return comment "rule rtmp"
    meta nfproto ipv6 meta l4proto 6 th dport 1935 return comment "rule rtmp"
    meta nfproto ipv4 ip daddr 203.0.113.0/24 goto policy_bank comment "rule bank"
    meta nfproto ipv6 ip6 daddr 2001:db8:ba0c::/48 goto policy_bank comment "rule bank"
    meta nfproto ipv4 ip saddr 192.168.1.20 meta l4proto 17 th sport 5060-5080 goto policy_bank comment "rule voip"
  }
  chain policy_bank {
    meta nfproto ipv4 jhash ip saddr mod 2 vmap { 0 : goto link_0, 1 : goto link_2 }
    meta nfproto ipv6 goto link_2
  }
  chain link_0 {
    meta mark set meta mark & 0xc0ffffff | 0x01000000
    ct mark set ct mark & 0xc0ffffff | 0x01000000 comment "link wan1"
  }
  chain link_1 {
    meta mark set meta mark & 0xc0ffffff | 0x02000000
    ct mark set ct mark & 0xc0ffffff | 0x02000000 comment "link wan2"
  }
  chain link_2 {
    meta mark set meta mark & 0xc0ffffff | 0x03000000
    ct mark set ct mark & 0xc0ffffff | 0x03000000 comment "link wan3"
  }
  chain postrouting {
    type nat hook postrouting priority srcnat + 5; policy accept;
    iifname "br-lan" oifname { "wan1mac", "pppoe-wan2", "wan3mac" } masquerade
  }
}
`);
  });

  it('without direct policies only the masquerade chain is left, and IPv6 stays native by default', () => {
    const p = planPolicyRouting({ mode: 'bond', fallback: 'direct', policies, rules: [rules[0]!] }, [links[0]!], {
      tunDevice: 'wb0',
      serverAddresses: ['198.51.100.1'],
      lanDevices: ['br-lan', 'br-guest'],
    });
    expect(p.nft).not.toContain('prerouting');
    expect(p.nft).toContain('iifname { "br-lan", "br-guest" } oifname "wan1mac" masquerade');
    expect(p.rules.every((r) => r.family === 4)).toBe(true);
    expect(p.rules.filter((r) => r.priority === 930).map((r) => r.iif)).toEqual(['br-lan', 'br-guest']);
    // fallback direct: no blackhole backstop.
    expect(p.routes.some((r) => r.type === 'blackhole')).toBe(false);
  });

  it("main mode 'direct' sends unmatched LAN traffic out through the WANs", () => {
    const p = planPolicyRouting({ mode: 'direct', fallback: 'direct', policies, rules: [] }, links.slice(0, 2), {
      tunDevice: 'wb0',
      serverAddresses: [],
    });
    expect(p.nft).toContain('    goto policy_default\n');
    expect(p.nft).toContain('jhash ip saddr mod 2 vmap { 0 : goto link_0, 1 : goto link_1 }');
  });

  it('warns when a direct policy has no link up, and rejects bad input with clear errors', () => {
    const down = links.map((l) => (l.name === 'wan2' ? l : { ...l, up: false }));
    const p = planPolicyRouting({ mode: 'bond', fallback: 'direct', policies, rules }, down, {
      tunDevice: 'wb0',
      serverAddresses: [],
    });
    expect(p.warnings).toEqual(["policy 'bank' (direct): none of its links is up; its traffic uses the tunnel"]);
    expect(p.nft).toContain('  chain policy_bank {\n  }');

    const opts = { tunDevice: 'wb0', serverAddresses: [] };
    const cfg = { mode: 'bond' as const, fallback: 'direct' as const, policies, rules };
    expect(() => planPolicyRouting(cfg, [links[1]!], opts)).toThrow(/policy 'bank': use_link wan1, wan3: no such link/);
    expect(() => planPolicyRouting(cfg, links, { ...opts, tunDevice: 'wb0; drop' })).toThrow(/not a valid device/);
    expect(() => planPolicyRouting(cfg, links, { ...opts, serverAddresses: ['vps.example'] })).toThrow(
      /server address: 'vps.example' is not an IP address/,
    );
    expect(() => planPolicyRouting(cfg, links, { ...opts, lanDevices: [] })).toThrow(/at least one LAN device/);
    expect(() =>
      planPolicyRouting({ ...cfg, rules: [{ name: 'x', destPort: 'abc', usePolicy: 'bank' }] }, links, opts),
    ).toThrow(/rule 'x': option dest_port/);
    const many = Array.from({ length: 64 }, (_, i) => ({ name: `l${i}`, device: `eth${i}` }));
    expect(() => planPolicyRouting({ ...cfg, rules: [] }, many, opts)).toThrow(/at most 63 links/);
  });

  it('switches the tunnel table by state and fallback', () => {
    const text = (fallback: 'direct' | 'block', up: boolean) =>
      tunnelRoutes('wb0', ['198.51.100.1'], fallback, up, [4]).map(routeCommand);
    expect(text('direct', false)).toEqual([
      'ip -4 route replace throw default table 7700 metric 1',
      'ip -4 route replace throw 198.51.100.1 table 7700 metric 1',
    ]);
    expect(text('block', false)).toEqual([
      'ip -4 route replace blackhole default table 7700 metric 1',
      'ip -4 route replace blackhole default table 7700 metric 4294967295',
      'ip -4 route replace throw 198.51.100.1 table 7700 metric 1',
    ]);
  });
});

describe('ip JSON read-back', () => {
  it('keys rules read from `ip -j rule show` like the plan keys them', () => {
    // Recorded from iproute2 6.1 (Debian 12).
    const json = [
      { priority: 900, src: 'all', fwmark: '0x1000000', fwmask: '0x3f000000', table: '7701' },
      { priority: 910, src: '192.0.2.2', table: '7701' },
      { priority: 920, src: 'all', iif: 'd0', iif_detached: null, table: 'main', suppress_prefixlen: 0 },
      { priority: 931, src: 'all', dst: '10.0.0.0', dstlen: 8, table: '7700' },
    ];
    const parsed = json.map((j) => parseJsonRule(4, j)!);
    expect(parsed.map(ruleKey)).toEqual([
      ruleKey({ family: 4, priority: 900, fwmark: 0x01000000, fwmask: 0x3f000000, table: 7701 }),
      ruleKey({ family: 4, priority: 910, from: '192.0.2.2/32', table: 7701 }),
      ruleKey({ family: 4, priority: 920, iif: 'd0', table: 'main', suppressPrefixLength: 0 }),
      ruleKey({ family: 4, priority: 931, to: '10.0.0.0/8', table: 7700 }),
    ]);
  });

  it('keys routes read from `ip -j route show` like the plan keys them', () => {
    const r1 = parseJsonRoute(4, 7700, { type: 'throw', dst: '198.51.100.1', metric: 1, flags: [] })!;
    expect(routeKey(r1)).toBe(routeKey({ family: 4, table: 7700, type: 'throw', dst: '198.51.100.1', metric: 1 }));
    const r2 = parseJsonRoute(6, 7700, {
      type: 'throw',
      dst: 'default',
      dev: 'lo',
      metric: 1,
      flags: [],
      pref: 'medium',
    })!;
    expect(routeKey(r2)).toBe(routeKey({ family: 6, table: 7700, type: 'throw', dst: 'default', metric: 1 }));
    const r3 = parseJsonRoute(4, 7701, { dst: 'default', gateway: '10.1.0.1', dev: 'a0', metric: 1, flags: [] })!;
    expect(routeCommand(r3)).toBe('ip -4 route replace default via 10.1.0.1 dev a0 table 7701 metric 1');
  });
});

describe('policyLinksFrom', () => {
  it('keeps config order and numbering, marking disabled and unknown links down', () => {
    const cfg = [
      { name: 'wan1', interface: 'wan1', enabled: true, backup: false },
      { name: 'wan2', interface: 'wan2', enabled: false, backup: false },
      { name: 'lte', device: 'wwan0', source: '100.64.0.2', enabled: true, backup: true },
      { name: 'wan3', interface: 'wan3', enabled: true, backup: false },
    ];
    const now = (n: string) =>
      n === 'wan1'
        ? { device: 'vwan1', source: '192.168.11.10', gateway: '192.168.11.1', up: true }
        : n === 'lte'
          ? {}
          : undefined;
    expect(policyLinksFrom(cfg, now)).toEqual([
      { name: 'wan1', up: true, device: 'vwan1', source: '192.168.11.10', gateway: '192.168.11.1' },
      { name: 'wan2', up: false },
      { name: 'lte', up: true, device: 'wwan0', source: '100.64.0.2' },
      { name: 'wan3', up: false },
    ]);
  });
});
