import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../src/wanbond/config/types.js';
import { mssClampChain } from '../../../src/wanbond/io/mss-clamp.js';
import { replaceScript } from '../../../src/wanbond/io/nft.js';
import { inNs, isRoot, NamespaceSet, sh } from '../../../src/wanbond/lab/netns.js';
import { serverRuleset } from '../../../src/wanbond/server/nft-rules.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

function config(over: Partial<ServerConfig>): ServerConfig {
  return {
    file: 'server',
    listen: '::',
    port: 5555,
    privateKey: KEY,
    address: '10.255.0.1/24',
    address6: 'fd00:255::1/64',
    masquerade: true,
    wanDevice: 'eth0',
    tunName: 'wb0',
    clients: [
      {
        name: 'home',
        publicKey: KEY,
        address: '10.255.0.2',
        routes: ['192.168.1.0/24', '2001:db8:1::/64'],
        forwards: [
          { proto: 'tcp', publicPort: 8080, host: '192.168.1.10', port: 80 },
          { proto: 'udp', publicPort: 5060, host: '2001:db8:1::10', port: 5060 },
        ],
      },
    ],
    ...over,
  };
}

// The rule text the daemons generate, loaded into a real kernel (in a scratch namespace): every variant must parse.
describe.skipIf(!isRoot())('nftables rules in the kernel (needs root)', () => {
  const set = new NamespaceSet();
  let ns = '';
  beforeAll(async () => {
    ns = await set.add('n');
  });
  afterAll(() => set.dispose());

  const load = async (body: string) => {
    await sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: replaceScript(body) });
    return inNs(ns, 'nft', ['list', 'table', 'inet', 'wanbond']);
  };

  it('loads the server rules with and without a WAN device, v4 and v6 forwards', async () => {
    const listed = await load(serverRuleset(config({}), 1422));
    expect(listed).toContain('dnat ip to 192.168.1.10:80');
    expect(listed).toMatch(/dnat ip6 to \[2001:db8:1::10\]:5060/);
    expect(listed).toContain('masquerade');
    const capped = config({});
    capped.clients = capped.clients.map((c) => ({ ...c, address6: 'fd00:255::2', rateLimitKbit: 8000 }));
    const limited = await load(serverRuleset(capped, 1422));
    expect(limited).toContain('rate over 1000 kbytes/second burst 100 kbytes');
    expect(limited).toMatch(/ip6 daddr \{ 2001:db8:1::\/64, fd00:255::2 \} limit name "rl_down_home" drop/);
    const noWan = await load(serverRuleset(config({ wanDevice: undefined, masquerade: false }), 1422));
    expect(noWan).not.toContain('masquerade');
    expect(noWan).toContain('iifname != "wb0" tcp dport 8080');
  });

  it('loads the router MSS clamp and replaces the table in place on reload', async () => {
    await load(mssClampChain('wb0', 1422));
    const listed = await load(mssClampChain('wb0', 1400));
    expect(listed).toContain('tcp option maxseg size set 1360');
    expect(listed).not.toContain('1382');
  });
});
