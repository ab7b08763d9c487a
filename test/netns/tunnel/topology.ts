import { inNs, NamespaceSet, sh } from '../../../src/wanbond/lab/netns.js';

/**
 * A small world for the daemons, every name under one per-run prefix:
 *
 *   lan (192.168.77.2) -- router -- w0/w1/w2 (10.201-203.0.2, one source + table each) -- isp -- vps (198.18.0.1)
 *                                                                                      |     `-- inet (203.0.113.2)
 *                                                           stranger (10.204.0.2) ----'
 *
 * `isp` is the internet: it routes between the router's WANs, the VPS's one public address, an internet host and a
 * stranger (a client with an unknown key). The router sends its UDP paths out of each WAN by source-address policy
 * routing, the way OpenWrt/mwan3 set it up; the main table's default route goes into the tunnel once it is up.
 */
export interface Topology {
  prefix: string;
  ns: { router: string; isp: string; vps: string; inet: string; lan: string; stranger: string };
  wans: Array<{ routerDev: string; ispDev: string; source: string; gateway: string }>;
  /** The VPS's WAN device and public address. */
  vpsDev: string;
  vpsAddress: string;
  inetAddress: string;
  lanAddress: string;
  lanSubnet: string;
  strangerSource: string;
  dispose(): void;
}

export async function buildTopology(links = 3): Promise<Topology> {
  const set = new NamespaceSet();
  const p = set.prefix;
  try {
    const router = await set.add('r');
    const isp = await set.add('x');
    const vps = await set.add('v');
    const inet = await set.add('i');
    const lan = await set.add('l');
    const stranger = await set.add('s');
    // The VPS is left without forwarding: turning it on (and back off) is the server daemon's job.
    for (const n of [router, isp]) await forward(n);

    const wans: Topology['wans'] = [];
    for (let i = 0; i < links; i++) {
      const net = `10.20${i + 1}.0`;
      const wan = { routerDev: `${p}w${i}`, ispDev: `${p}x${i}`, source: `${net}.2`, gateway: `${net}.1` };
      await veth(wan.routerDev, router, `${wan.source}/24`, wan.ispDev, isp, `${wan.gateway}/24`);
      const table = String(101 + i);
      await inNs(router, 'ip', ['route', 'add', 'default', 'via', wan.gateway, 'dev', wan.routerDev, 'table', table]);
      // When the WAN goes down its default route goes with it; without this the lookup would fall through to the
      // main table, whose default is the tunnel: the path's own datagrams would loop into the TUN.
      await inNs(router, 'ip', ['route', 'add', 'unreachable', 'default', 'metric', '4000', 'table', table]);
      await inNs(router, 'ip', ['rule', 'add', 'from', wan.source, 'lookup', table, 'priority', String(1000 + i)]);
      wans.push(wan);
    }
    await veth(`${p}vp`, vps, '198.18.0.1/24', `${p}xv`, isp, '198.18.0.2/24');
    await inNs(vps, 'ip', ['route', 'add', 'default', 'via', '198.18.0.2']);
    await veth(`${p}ie`, inet, '203.0.113.2/24', `${p}xi`, isp, '203.0.113.1/24');
    await inNs(inet, 'ip', ['route', 'add', 'default', 'via', '203.0.113.1']);
    await veth(`${p}se`, stranger, '10.204.0.2/24', `${p}xs`, isp, '10.204.0.1/24');
    await inNs(stranger, 'ip', ['route', 'add', 'default', 'via', '10.204.0.1']);
    await veth(`${p}ll`, lan, '192.168.77.2/24', `${p}rl`, router, '192.168.77.1/24');
    await inNs(lan, 'ip', ['route', 'add', 'default', 'via', '192.168.77.1']);

    return {
      prefix: p,
      ns: { router, isp, vps, inet, lan, stranger },
      wans,
      vpsDev: `${p}vp`,
      vpsAddress: '198.18.0.1',
      inetAddress: '203.0.113.2',
      lanAddress: '192.168.77.2',
      lanSubnet: '192.168.77.0/24',
      strangerSource: '10.204.0.2',
      dispose: () => set.dispose(),
    };
  } catch (err) {
    set.dispose();
    throw err;
  }
}

async function forward(ns: string): Promise<void> {
  await inNs(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
}

async function veth(a: string, nsA: string, addrA: string, b: string, nsB: string, addrB: string): Promise<void> {
  await sh('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
  await inNs(nsA, 'ip', ['addr', 'add', addrA, 'dev', a]);
  await inNs(nsB, 'ip', ['addr', 'add', addrB, 'dev', b]);
  await inNs(nsA, 'ip', ['link', 'set', a, 'up']);
  await inNs(nsB, 'ip', ['link', 'set', b, 'up']);
}
