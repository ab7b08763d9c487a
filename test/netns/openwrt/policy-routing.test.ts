import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyConfig, RuleConfig } from '../../../src/wanbond/config/types.js';
import { inNs, isRoot, NamespaceSet, sh } from '../../../src/wanbond/lab/netns.js';
import {
  applyPlan,
  type CommandRunner,
  removePlan,
  setTunnelState,
} from '../../../src/wanbond/openwrt/policy-apply.js';
import { type PolicyLink, type PolicyPlan, planPolicyRouting } from '../../../src/wanbond/openwrt/policy-plan.js';
import { PolicyRouter } from '../../../src/wanbond/openwrt/policy-routing.js';

/*
 * lan host --l1|l0-- router --a0|a1-- gw1 (WAN1: 10.1.0.0/24, has the VPS address)
 *                       |  --b0|b1-- gw2 (WAN2: 10.2.0.0/24, has the VPS and the "bank" address)
 *                       +--t0|t1-- tun (tunnel stand-in: a veth; the far end owns 198.18.99.99, "the internet
 *                                        through the VPS", and nobody else has that address)
 * The gateways have no route back to the LAN: only masqueraded LAN traffic gets answers from them.
 */
const VPS = '198.51.100.1';
const BANK = '203.0.113.5';
const INET = '198.18.99.99';

const policies: PolicyConfig[] = [
  { name: 'bank', mode: 'direct', useLinks: ['wan2'] },
  { name: 'stream', mode: 'redundant', useLinks: [] },
];
const rules: RuleConfig[] = [
  { name: 'rtmp', proto: 'tcp', destPort: '1935', usePolicy: 'stream' },
  { name: 'bank', destIp: '203.0.113.0/24', usePolicy: 'bank' },
];

describe.skipIf(!isRoot())('policy routing in a router namespace (needs root)', () => {
  const nss = new NamespaceSet();
  const p = nss.prefix;
  const dev = (s: string) => `${p}${s}`;
  let router = '';
  let lan = '';
  let runner: CommandRunner;
  let links: PolicyLink[];
  let plan: PolicyPlan;
  const mwanBefore: Record<string, string> = {};

  const plan4 = (fallback: 'direct' | 'block', tunnelUp = true) =>
    planPolicyRouting({ rules, policies, mode: 'bond', fallback }, links, {
      tunDevice: dev('t0'),
      serverAddresses: [VPS],
      lanDevices: [dev('l0')],
      tunnelUp,
    });

  async function pair(a: string, nsA: string, b: string, nsB: string): Promise<void> {
    await sh('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    await sh('ip', ['link', 'set', a, 'netns', nsA]);
    await sh('ip', ['link', 'set', b, 'netns', nsB]);
    await inNs(nsA, 'ip', ['link', 'set', a, 'up']);
    await inNs(nsB, 'ip', ['link', 'set', b, 'up']);
  }
  const ip = (ns: string, ...args: string[]) => inNs(ns, 'ip', args);
  const ping = async (ns: string, ...args: string[]) => {
    try {
      await inNs(ns, 'ping', ['-c', '1', '-W', '1', ...args]);
      return true;
    } catch {
      return false;
    }
  };
  const tx = async (d: string) =>
    Number((await inNs(router, 'cat', [`/sys/class/net/${d}/statistics/tx_packets`])).trim());
  /** Everything in the router that is not ours: must be the same before, during and after. */
  const foreignState = async () => ({
    rules: (await ip(router, 'rule', 'show'))
      .split('\n')
      .filter((l) => !/^9[0-3]\d:/.test(l))
      .join('\n'),
    table1: await ip(router, 'route', 'show', 'table', '1'),
    table2: await ip(router, 'route', 'show', 'table', '2'),
    main: await ip(router, 'route', 'show'),
    // Its counter keeps moving (the table stays live); the rest must be unchanged.
    nft: (await inNs(router, 'nft', ['list', 'table', 'inet', `${p}other`])).replace(/packets \d+ bytes \d+/, 'N'),
  });

  beforeAll(async () => {
    router = await nss.add('r');
    lan = await nss.add('l');
    const gw1 = await nss.add('g1');
    const gw2 = await nss.add('g2');
    const tun = await nss.add('t');
    runner = (cmd, args, input) => sh('ip', ['netns', 'exec', router, cmd, ...args], input ? { input } : {});
    await pair(dev('l0'), router, dev('l1'), lan);
    await pair(dev('a0'), router, dev('a1'), gw1);
    await pair(dev('b0'), router, dev('b1'), gw2);
    await pair(dev('t0'), router, dev('t1'), tun);
    await ip(router, 'addr', 'add', '192.168.77.1/24', 'dev', dev('l0'));
    await ip(lan, 'addr', 'add', '192.168.77.2/24', 'dev', dev('l1'));
    await ip(lan, 'route', 'add', 'default', 'via', '192.168.77.1');
    await ip(router, 'addr', 'add', '10.1.0.2/24', 'dev', dev('a0'));
    await ip(gw1, 'addr', 'add', '10.1.0.1/24', 'dev', dev('a1'));
    await ip(router, 'addr', 'add', '10.2.0.2/24', 'dev', dev('b0'));
    await ip(gw2, 'addr', 'add', '10.2.0.1/24', 'dev', dev('b1'));
    await ip(router, 'addr', 'add', '10.255.0.2/24', 'dev', dev('t0'));
    await ip(router, '-6', 'addr', 'add', 'fd01::2/64', 'dev', dev('a0'), 'nodad');
    await ip(router, '-6', 'addr', 'add', 'fd02::2/64', 'dev', dev('b0'), 'nodad');
    await ip(tun, 'addr', 'add', '10.255.0.1/24', 'dev', dev('t1'));
    await ip(tun, 'addr', 'add', `${INET}/32`, 'dev', 'lo');
    await ip(tun, 'route', 'add', '192.168.77.0/24', 'via', '10.255.0.2');
    await ip(gw1, 'addr', 'add', `${VPS}/32`, 'dev', 'lo');
    await ip(gw2, 'addr', 'add', `${VPS}/32`, 'dev', 'lo');
    await ip(gw2, 'addr', 'add', `${BANK}/32`, 'dev', 'lo');
    // WAN1 is the main table's default, as netifd would leave it (lower metric wins).
    await ip(router, 'route', 'add', 'default', 'via', '10.1.0.1', 'metric', '10');
    await ip(router, 'route', 'add', 'default', 'via', '10.2.0.1', 'metric', '20');
    await inNs(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    for (const k of ['all', 'default', dev('a0'), dev('b0')]) {
      await inNs(router, 'sysctl', ['-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
    }
    // Coexistence: an mwan3-like rule set and somebody else's nft table.
    await ip(router, 'route', 'add', '192.168.77.0/24', 'dev', dev('l0'), 'table', '1');
    await ip(router, 'route', 'add', 'default', 'via', '10.1.0.1', 'table', '1');
    await ip(router, 'route', 'add', '192.168.77.0/24', 'dev', dev('l0'), 'table', '2');
    await ip(router, 'route', 'add', 'default', 'via', '10.2.0.1', 'table', '2');
    await ip(router, 'rule', 'add', 'pref', '1001', 'iif', dev('a0'), 'lookup', '1');
    await ip(router, 'rule', 'add', 'pref', '1002', 'iif', dev('b0'), 'lookup', '2');
    await ip(router, 'rule', 'add', 'pref', '2001', 'fwmark', '0x100/0x3f00', 'lookup', '1');
    await ip(router, 'rule', 'add', 'pref', '2002', 'fwmark', '0x200/0x3f00', 'lookup', '2');
    await sh('ip', ['netns', 'exec', router, 'nft', '-f', '-'], {
      input: `table inet ${p}other {\n  chain forward_count {\n    type filter hook forward priority 0; policy accept;\n    counter\n  }\n}\n`,
    });
    Object.assign(mwanBefore, await foreignState());
    links = [
      { name: 'wan1', device: dev('a0'), source: '10.1.0.2', gateway: '10.1.0.1' },
      { name: 'wan2', device: dev('b0'), source: '10.2.0.2', gateway: '10.2.0.1' },
    ];
  }, 60_000);

  afterAll(() => nss.dispose());

  it('without our plan, LAN traffic takes WAN1 and cannot reach the bank or the tunnel side', async () => {
    expect(await ping(lan, INET)).toBe(false);
    expect(await ping(lan, BANK)).toBe(false);
  });

  it('applies rules, tables and the nft table', async () => {
    plan = plan4('direct');
    await applyPlan(plan, runner);
    const rulesText = await ip(router, 'rule', 'show');
    expect(rulesText).toContain(`900:\tfrom all fwmark 0x2000000/0x3f000000 lookup 7702`);
    expect(rulesText).toContain(`910:\tfrom 10.2.0.2 lookup 7702`);
    expect(rulesText).toContain(`920:\tfrom all iif ${dev('l0')} lookup main suppress_prefixlength 0`);
    expect(rulesText).toContain(`930:\tfrom all iif ${dev('l0')} lookup 7700`);
    expect(await ip(router, 'route', 'show', 'table', '7702')).toContain(`default via 10.2.0.1 dev ${dev('b0')}`);
    const t = await ip(router, 'route', 'show', 'table', '7700');
    expect(t).toContain(`default dev ${dev('t0')}`);
    expect(t).toContain(`throw ${VPS}`);
    const nft = await inNs(router, 'nft', ['list', 'table', 'inet', 'wanbond_policy']);
    expect(nft).toMatch(/ip daddr 203\.0\.113\.0\/24 goto policy_bank/);
    expect(await foreignState()).toEqual(mwanBefore);
  });

  it('default LAN traffic goes into the tunnel device', async () => {
    const before = await tx(dev('t0'));
    expect(await ping(lan, INET)).toBe(true);
    expect(await tx(dev('t0'))).toBeGreaterThan(before);
  });

  it("a direct rule's traffic leaves WAN 2, untunnelled and masqueraded", async () => {
    const t0 = await tx(dev('t0'));
    const b0 = await tx(dev('b0'));
    expect(await ping(lan, BANK)).toBe(true);
    expect(await tx(dev('b0'))).toBeGreaterThan(b0);
    expect(await tx(dev('t0'))).toBe(t0);
  });

  it("traffic to the VPS's own address never enters the tunnel", async () => {
    const t0 = await tx(dev('t0'));
    const a0 = await tx(dev('a0'));
    expect(await ping(lan, VPS)).toBe(true);
    expect(await tx(dev('a0'))).toBeGreaterThan(a0);
    expect(await tx(dev('t0'))).toBe(t0);
  });

  it("a socket bound to a link's source address leaves through that link", async () => {
    const a0 = await tx(dev('a0'));
    const b0 = await tx(dev('b0'));
    expect(await ping(router, '-I', '10.2.0.2', VPS)).toBe(true);
    expect(await tx(dev('b0'))).toBeGreaterThan(b0);
    expect(await tx(dev('a0'))).toBe(a0);
  });

  it('applying the same plan again changes nothing', async () => {
    const before = [await ip(router, 'rule', 'show'), await ip(router, 'route', 'show', 'table', 'all')];
    await applyPlan(plan, runner);
    expect([await ip(router, 'rule', 'show'), await ip(router, 'route', 'show', 'table', 'all')]).toEqual(before);
  });

  it("tunnel down: fallback 'direct' sends LAN traffic out through the WANs, 'block' drops it", async () => {
    const route = () => ip(router, 'route', 'get', INET, 'from', '192.168.77.2', 'iif', dev('l0'));
    plan = await setTunnelState(plan, false, runner);
    expect(await route()).toContain(`dev ${dev('a0')}`);
    plan = await setTunnelState(plan, true, runner);
    expect(await route()).toContain(`dev ${dev('t0')}`);

    plan = plan4('block', false);
    await applyPlan(plan, runner);
    await expect(route()).rejects.toThrow();
    expect(await ip(router, 'route', 'show', 'table', '7700')).toMatch(/^blackhole default metric 1/m);
    expect(await ping(lan, INET)).toBe(false);
    plan = await setTunnelState(plan, true, runner);
    expect(await ping(lan, INET)).toBe(true);
    // With 'block', even losing the TUN device (a crashed daemon) leaves the blackhole, not the main table.
    await ip(router, 'link', 'set', dev('t0'), 'down');
    await expect(route()).rejects.toThrow();
    await ip(router, 'link', 'set', dev('t0'), 'up');
  });

  it('a dual-stack plan with port rules and a policy over two links is accepted by ip and nft', async () => {
    const dual: PolicyLink[] = [
      { ...links[0]!, source6: 'fd01::2', gateway6: 'fd01::1' },
      { ...links[1]!, source6: 'fd02::2', gateway6: 'fd02::1' },
    ];
    plan = planPolicyRouting(
      {
        mode: 'bond',
        fallback: 'block',
        policies: [...policies, { name: 'both', mode: 'direct', useLinks: [] }],
        rules: [
          ...rules,
          {
            name: 'games',
            proto: 'udp',
            destPort: '27000-27050,3074',
            srcIp: 'fd00::/8 192.168.77.0/24',
            usePolicy: 'both',
          },
          { name: 'ssh', proto: 'tcp', srcPort: '22', family: 'ipv6', usePolicy: 'stream' },
        ],
      },
      dual,
      { tunDevice: dev('t0'), serverAddresses: [VPS, 'fd01::99'], lanDevices: [dev('l0')], ipv6: true },
    );
    await applyPlan(plan, runner);
    expect(await ip(router, '-6', 'rule', 'show')).toContain('910:\tfrom fd02::2 lookup 7702');
    expect(await ip(router, '-6', 'route', 'show', 'table', '7702')).toContain(`default via fd02::1 dev ${dev('b0')}`);
    expect(await ip(router, '-6', 'route', 'show', 'table', '7700')).toContain('throw fd01::99');
    const nft = await inNs(router, 'nft', ['list', 'chain', 'inet', 'wanbond_policy', 'policy_both']);
    expect(nft).toMatch(/jhash ip6 saddr mod 2 vmap/);
    // Back to the IPv4-only plan: the IPv6 leftovers of the previous one go.
    const again = plan4('block');
    await applyPlan(again, runner);
    expect(await ip(router, '-6', 'rule', 'show')).not.toMatch(/^9[0-3]\d:/m);
    expect(await ip(router, '-6', 'route', 'show', 'table', 'all')).not.toMatch(/table 77\d\d/);
    await applyPlan(plan, runner);
  });

  it('removal leaves nothing of ours and everything else untouched', async () => {
    await removePlan(plan, runner);
    for (const f of ['-4', '-6']) {
      expect(await ip(router, f, 'rule', 'show')).not.toMatch(/^9[0-3]\d:/m);
      expect(await ip(router, f, 'route', 'show', 'table', 'all')).not.toMatch(/table 77\d\d/);
    }
    await expect(inNs(router, 'nft', ['list', 'table', 'inet', 'wanbond_policy'])).rejects.toThrow();
    expect(await foreignState()).toEqual(mwanBefore);
    expect(await ping(lan, BANK)).toBe(false);
    await removePlan(plan, runner);
  });

  it('PolicyRouter: gateways found in the main table, starts with the tunnel down, serialized calls, stop', async () => {
    const logs: string[] = [];
    const pr = new PolicyRouter({ runner, log: { info: (m) => logs.push(m), warn: (m) => logs.push(`W ${m}`) } });
    const bare = links.map((l) => ({ name: l.name, device: l.device!, source: l.source! }));
    const opts = { tunDevice: dev('t0'), serverAddresses: [VPS], lanDevices: [dev('l0')] };
    const route = () => ip(router, 'route', 'get', INET, 'from', '192.168.77.2', 'iif', dev('l0'));
    const synced = pr.sync({ rules, policies, mode: 'bond', fallback: 'direct' }, bare, opts);
    const up = pr.setTunnelUp(true);
    const applied = await synced;
    expect(applied.tunnelUp).toBe(false);
    expect(applied.routes.find((r) => r.table === 7702)?.via).toBe('10.2.0.1');
    await up;
    expect(pr.plan?.tunnelUp).toBe(true);
    expect(await route()).toContain(`dev ${dev('t0')}`);
    await pr.setTunnelUp(false);
    expect(await route()).toContain(`dev ${dev('a0')}`);
    expect(logs).toContain('tunnel down: fallback direct (LAN traffic leaves through the WANs)');
    await pr.stop();
    expect(await ip(router, 'rule', 'show')).not.toMatch(/^9[0-3]\d:/m);
    expect(await foreignState()).toEqual(mwanBefore);
  });
});
