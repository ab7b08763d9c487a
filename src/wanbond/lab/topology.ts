/**
 * The lab's namespaces and wiring (docs/lab.md has the picture):
 *
 *   LAN host -- router (NIC veth + one MacVLAN per WAN) -- switch (bridge) -- modem i (NAT, TUN) ==emulator i==
 *   internet core (TUN per link) -- VPS (one public address);  core -- internet host
 *
 * The emulator of link i joins the modem's TUN and the core's TUN, so every packet of that WAN crosses it.
 */
import { rmSync } from 'node:fs';
import {
  INET_HOST,
  isLabNamespace,
  LAN_HOST,
  LAN_ROUTER,
  type LinkAddressing,
  labNamespaces,
  linkAddressing,
  NET_TO_INET,
  NET_TO_VPS,
  VPS_PUBLIC,
} from './addressing.js';
import { addNamespace, deleteNamespaceSync, sh, shSync } from './netns.js';

export interface TopologyInfo {
  prefix: string;
  /** TCP congestion control the end hosts use. */
  congestion: string;
  namespaces: ReturnType<typeof labNamespaces>;
  lan: { ns: string; device: string; address: string; gateway: string };
  router: { ns: string; nic: string; lanDevice: string; lanAddress: string; links: LinkAddressing[] };
  vps: { ns: string; device: string; publicAddress: string };
  inet: { ns: string; device: string; address: string };
}

export function listLabNamespaces(prefix: string): string[] {
  return shSync('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => isLabNamespace(prefix, name));
}

async function ipBatch(ns: string, commands: string[]): Promise<void> {
  await sh('ip', ['-n', ns, '-batch', '-'], { input: `${commands.join('\n')}\n` });
}

async function sysctl(ns: string, settings: string[]): Promise<void> {
  await sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...settings]);
}

/** Builds the namespaces and links for `links` WANs. On failure everything created so far is removed. */
/**
 * `congestion` pins TCP congestion control in the namespaces where TCP ends (LAN host, router, VPS, internet host);
 * unset, they inherit the host's default. The kernel only lets a namespace pick an algorithm listed in the host's
 * net.ipv4.tcp_allowed_congestion_control.
 */
export async function createTopology(prefix: string, links: number, congestion?: string): Promise<TopologyInfo> {
  const ns = labNamespaces(prefix, links);
  const existing = listLabNamespaces(prefix);
  if (existing.length) {
    throw new Error(
      `a lab with prefix '${prefix}' is up (${existing.join(', ')}); run: wanbond lab down --prefix ${prefix}`,
    );
  }
  const dev = (suffix: string) => `${prefix}-${suffix}`;
  const addrs = Array.from({ length: links }, (_, i) => linkAddressing(prefix, i + 1));
  try {
    const all = [ns.lan, ns.router, ns.switch, ns.net, ns.vps, ns.inet, ...ns.modems];
    for (const name of all) await addNamespace(name);
    const noRpFilter = ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'];
    const noV6 = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    const forward = ['net.ipv4.ip_forward=1'];
    const cc = congestion ? [`net.ipv4.tcp_congestion_control=${congestion}`] : [];
    await Promise.all([
      sysctl(ns.lan, [...noRpFilter, ...cc]),
      // One host, many interfaces on one wire: each WAN answers ARP only for its own address.
      sysctl(ns.router, [
        ...noRpFilter,
        ...forward,
        ...cc,
        'net.ipv4.conf.all.arp_ignore=1',
        'net.ipv4.conf.all.arp_announce=2',
      ]),
      sysctl(ns.switch, [...noRpFilter, ...noV6]),
      sysctl(ns.net, [...noRpFilter, ...noV6, ...forward]),
      sysctl(ns.vps, [...noRpFilter, ...forward, ...cc]),
      sysctl(ns.inet, [...noRpFilter, ...cc]),
      ...ns.modems.map((m) => sysctl(m, [...noRpFilter, ...noV6, ...forward])),
    ]);

    // LAN host <-> router LAN port.
    await ipBatch(ns.lan, [
      `link add ${dev('eth')} type veth peer name ${dev('lan')} netns ${ns.router}`,
      `addr add ${LAN_HOST}/24 dev ${dev('eth')}`,
      `link set ${dev('eth')} up`,
      `route add default via ${LAN_ROUTER}`,
    ]);
    // The switch: a bridge with the router's NIC and every modem's LAN port.
    await ipBatch(ns.switch, [`link add ${dev('br')} type bridge`, `link set ${dev('br')} up`]);
    await ipBatch(ns.router, [
      `addr add ${LAN_ROUTER}/24 dev ${dev('lan')}`,
      `link set ${dev('lan')} up`,
      `link add ${dev('nic')} type veth peer name ${dev('p0')} netns ${ns.switch}`,
      `link set ${dev('nic')} up`,
    ]);
    const switchCmds = [`link set ${dev('p0')} master ${dev('br')}`, `link set ${dev('p0')} up`];
    // Internet core, VPS and internet host.
    await ipBatch(ns.net, [
      `link add ${dev('vps')} type veth peer name ${dev('eth')} netns ${ns.vps}`,
      `link add ${dev('inet')} type veth peer name ${dev('eth')} netns ${ns.inet}`,
      `addr add ${NET_TO_VPS}/24 dev ${dev('vps')}`,
      `addr add ${NET_TO_INET}/24 dev ${dev('inet')}`,
      `link set ${dev('vps')} up`,
      `link set ${dev('inet')} up`,
      ...addrs.flatMap((a) => [
        `tuntap add dev ${a.coreTun} mode tun`,
        `addr add ${a.coreAddress} peer ${a.wanAddress} dev ${a.coreTun}`,
        `link set ${a.coreTun} up`,
      ]),
    ]);
    await ipBatch(ns.vps, [
      `addr add ${VPS_PUBLIC}/24 dev ${dev('eth')}`,
      `link set ${dev('eth')} up`,
      `route add default via ${NET_TO_VPS}`,
    ]);
    await ipBatch(ns.inet, [
      `addr add ${INET_HOST}/24 dev ${dev('eth')}`,
      `link set ${dev('eth')} up`,
      `route add default via ${NET_TO_INET}`,
    ]);
    const routerCmds: string[] = [];
    for (const a of addrs) {
      const port = dev(`p${a.index}`);
      await ipBatch(a.modemNs, [
        `link add ${dev('lan')} type veth peer name ${port} netns ${ns.switch}`,
        `addr add ${a.gateway}/24 dev ${dev('lan')}`,
        `link set ${dev('lan')} up`,
        `tuntap add dev ${a.modemTun} mode tun`,
        `addr add ${a.wanAddress} peer ${a.coreAddress} dev ${a.modemTun}`,
        `link set ${a.modemTun} up`,
        `route add default dev ${a.modemTun}`,
      ]);
      // Carrier-grade NAT, as a real modem does: the VPS sees the modem's address, not the router's.
      await sh('ip', ['netns', 'exec', a.modemNs, 'nft', '-f', '-'], {
        input: `table ip wblab {\n chain post {\n  type nat hook postrouting priority 100;\n  oifname "${a.modemTun}" masquerade\n }\n}\n`,
      });
      switchCmds.push(`link set ${port} master ${dev('br')}`, `link set ${port} up`);
      routerCmds.push(
        `link add ${a.device} link ${dev('nic')} type macvlan mode bridge`,
        `addr add ${a.source}/24 dev ${a.device}`,
        `link set ${a.device} up`,
        // Per-source policy routing: a socket bound to this WAN's address leaves through this WAN.
        `route add ${a.subnet} dev ${a.device} src ${a.source} table ${a.table}`,
        `route add default via ${a.gateway} dev ${a.device} table ${a.table}`,
        `rule add from ${a.source} lookup ${a.table} pref ${1000 + a.index}`,
        `route add default via ${a.gateway} dev ${a.device} metric ${10 * a.index}`,
      );
    }
    await ipBatch(ns.switch, switchCmds);
    await ipBatch(ns.router, routerCmds);
    // Like OpenWrt's wan zone: LAN traffic that leaves directly through a WAN is masqueraded.
    const wans = addrs.map((a) => `"${a.device}"`).join(', ');
    await sh('ip', ['netns', 'exec', ns.router, 'nft', '-f', '-'], {
      input: `table ip wblab {\n chain post {\n  type nat hook postrouting priority 100;\n  oifname { ${wans} } masquerade\n }\n}\n`,
    });
    // WAN devices speak IPv4 only, like the modems; the router keeps IPv6 for the tunnel and the LAN.
    await sysctl(ns.router, [
      `net.ipv6.conf.${dev('nic')}.disable_ipv6=1`,
      ...addrs.map((a) => `net.ipv6.conf.${a.device}.disable_ipv6=1`),
    ]);
  } catch (err) {
    destroyTopology(prefix);
    if (congestion && /tcp_congestion_control.*not permitted/i.test((err as Error).message)) {
      const allowed = shSync('sysctl', ['-n', 'net.ipv4.tcp_allowed_congestion_control']).trim();
      throw new Error(
        `congestion control '${congestion}' is not allowed in namespaces (allowed: ${allowed}); add it to the host's net.ipv4.tcp_allowed_congestion_control`,
      );
    }
    throw err;
  }
  const tcp = shSync('ip', ['netns', 'exec', ns.router, 'sysctl', '-n', 'net.ipv4.tcp_congestion_control']).trim();
  return {
    prefix,
    congestion: tcp,
    namespaces: ns,
    lan: { ns: ns.lan, device: dev('eth'), address: LAN_HOST, gateway: LAN_ROUTER },
    router: { ns: ns.router, nic: dev('nic'), lanDevice: dev('lan'), lanAddress: LAN_ROUTER, links: addrs },
    vps: { ns: ns.vps, device: dev('eth'), publicAddress: VPS_PUBLIC },
    inet: { ns: ns.inet, device: dev('eth'), address: INET_HOST },
  };
}

/** Removes every namespace of this lab (and the processes inside); idempotent. Returns what it removed. */
export function destroyTopology(prefix: string, stateDir?: string): string[] {
  const names = listLabNamespaces(prefix);
  // Modems first: the emulators live there, and killing them releases the core's TUN devices cleanly.
  names.sort((a, b) => Number(/-m\d$/.test(b)) - Number(/-m\d$/.test(a)));
  for (const name of names) deleteNamespaceSync(name);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  return names;
}
