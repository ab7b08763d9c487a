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

  it("drops in the kernel what a router never sends to the server's port, and initiation floods", async () => {
    await load(serverRuleset(config({}), 1422));
    await inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    // One process in the namespace listens on the tunnel port and on another port, sends each kind of datagram to
    // both over loopback (prerouting sees it like a WAN's), and prints what reached each socket.
    const script = `
      const dgram = require('node:dgram');
      const tunnel = dgram.createSocket('udp4'), other = dgram.createSocket('udp4');
      const got = { tunnel: [], other: [] };
      tunnel.on('message', (m) => got.tunnel.push(m[0].toString(16) + '/' + m.length));
      other.on('message', (m) => got.other.push(m[0].toString(16) + '/' + m.length));
      const msg = (type, len) => { const b = Buffer.alloc(len, 7); b[0] = type; return b; };
      const kinds = [msg(0x99, 100), msg(0x12, 89), msg(0x11, 100), msg(0x14, 20), msg(0x14, 60), msg(0x15, 26)];
      const inits = Array.from({ length: 60 }, () => msg(0x11, 141));
      tunnel.bind(5555, '127.0.0.1', () => other.bind(5556, '127.0.0.1', async () => {
        const tx = dgram.createSocket('udp4');
        for (const b of [...kinds, ...inits]) for (const port of [5555, 5556])
          await new Promise((r) => tx.send(b, port, '127.0.0.1', r));
        setTimeout(() => { console.log(JSON.stringify(got)); process.exit(0); }, 300);
      }));`;
    const out = await inNs(ns, process.execPath, ['-e', script]);
    const got = JSON.parse(out) as { tunnel: string[]; other: string[] };
    // Another port gets everything; ours only well-formed data and control, and at most a burst of initiations.
    expect(got.other).toHaveLength(66);
    expect(got.tunnel.filter((m) => !m.startsWith('11/'))).toEqual(['14/60', '15/26']);
    const inits = got.tunnel.filter((m) => m === '11/141').length;
    expect(inits).toBeGreaterThanOrEqual(35);
    expect(inits).toBeLessThanOrEqual(45);
  });

  it('loads the router MSS clamp and replaces the table in place on reload', async () => {
    await load(mssClampChain('wb0', 1422));
    const listed = await load(mssClampChain('wb0', 1400));
    expect(listed).toContain('tcp option maxseg size set 1360');
    expect(listed).not.toContain('1382');
  });
});
