import type { ServerConfig } from '../config/types.js';
import { HEADER_BYTES, TAG_BYTES, TYPE_CONTROL, TYPE_DATA, TYPE_INITIATION } from '../engine/constants.js';
import { INITIATION_BYTES } from '../engine/handshake.js';
import { parseCidr } from '../io/addr.js';
import { mssClampChain } from '../io/mss-clamp.js';
import { nftString } from '../io/nft.js';

/**
 * The body of the server's own `inet wanbond` table: masquerade of tunnel traffic leaving the WAN, inbound port
 * forwards (DNAT on the public side towards hosts behind a router), client isolation, and the MSS clamp. Pure text
 * so it can be checked without a kernel; io/nft.ts applies it in one transaction.
 */
export function serverRuleset(config: ServerConfig, mtu: number, opts: { isolateClients?: boolean } = {}): string {
  const tun = nftString(config.tunName);
  const wan = config.wanDevice !== undefined ? nftString(config.wanDevice) : undefined;
  const chains: string[] = [];

  const dnat: string[] = [];
  for (const client of config.clients) {
    for (const f of client.forwards) {
      const host = parseCidr(f.host, `forward host of client '${client.name}'`);
      const from = wan !== undefined ? `iifname ${wan}` : `iifname != ${tun}`;
      const to = host.family === 4 ? `ip to ${host.address}:${f.port}` : `ip6 to [${host.address}]:${f.port}`;
      const nfproto = host.family === 4 ? 'ipv4' : 'ipv6';
      dnat.push(
        `    meta nfproto ${nfproto} ${from} ${f.proto} dport ${f.publicPort} dnat ${to} comment "${client.name}"`,
      );
    }
  }
  chains.push(chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', dnat));

  const snat: string[] = [];
  if (config.masquerade) {
    snat.push(`    iifname ${tun} ${wan !== undefined ? `oifname ${wan}` : `oifname != ${tun}`} masquerade`);
  }
  chains.push(chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', snat));

  // Policy accept: the host's own firewall keeps its say; we only add what the tunnel needs.
  const fwd: string[] = [];
  if (opts.isolateClients !== false) fwd.push(`    iifname ${tun} oifname ${tun} drop comment "clients isolated"`);
  const limits = rateLimits(config, tun, fwd);
  fwd.push('    ct status dnat accept comment "inbound forwards"');
  chains.push(chain('forward', 'type filter hook forward priority filter; policy accept;', fwd));

  chains.push(mssClampChain(config.tunName, mtu));
  const [sets, filter] = portFilter(config.port);
  chains.push(...filter);
  return [...limits, ...sets, ...chains].join('\n');
}

/** UDP header bytes: nft's `udp length` counts them. */
const UDP_HEADER = 8;
/** Initiations per second (burst twice that) one source address may send before the kernel drops the rest. */
const INITIATIONS_PER_SOURCE = 20;

/**
 * A filter in front of the tunnel's UDP port: what a router never sends (another message type, a wrongly sized
 * initiation, a datagram shorter than header and tag) and a flood of initiations from one address are dropped by
 * the kernel, so a garbage flood costs a rule match instead of a Node callback per datagram. It hooks prerouting at
 * raw priority, before connection tracking, so a flood from random ports leaves no conntrack entries either; only
 * datagrams for this host (`fib daddr type local`), not what clients send through the VPS to other hosts' port.
 * The engine checks all of this again (and authenticates): the filter only moves the cheap part of the rejection
 * before the socket. Its per-source limit is looser than the engine's own (5/s), so it never decides for a router.
 */
function portFilter(port: number): [string[], string[]] {
  const sets = (['4', '6'] as const).map(
    (f) => `  set handshakes${f} { type ipv${f}_addr; size 65536; flags dynamic,timeout; timeout 10s; }`,
  );
  const hex = (n: number) => `0x${n.toString(16)}`;
  const init = `@th,64,8 ${hex(TYPE_INITIATION)}`;
  const limit = `limit rate over ${INITIATIONS_PER_SOURCE}/second burst ${2 * INITIATIONS_PER_SOURCE} packets`;
  const rules = [
    `    @th,64,8 != { ${[TYPE_INITIATION, TYPE_DATA, TYPE_CONTROL].map(hex).join(', ')} } counter drop comment "not a router message"`,
    `    ${init} udp length != ${INITIATION_BYTES + UDP_HEADER} counter drop comment "initiation of the wrong size"`,
    `    udp length < ${HEADER_BYTES + TAG_BYTES + UDP_HEADER} counter drop comment "shorter than header and tag"`,
    `    ${init} update @handshakes4 { ip saddr ${limit} } counter drop comment "initiation flood"`,
    `    ${init} update @handshakes6 { ip6 saddr ${limit} } counter drop comment "initiation flood"`,
  ];
  return [
    sets,
    [
      chain('tunnel_port', '# the checks of portFilter, for datagrams to our port', rules),
      chain('prerouting_raw', 'type filter hook prerouting priority raw; policy accept;', [
        `    udp dport ${port} fib daddr type local jump tunnel_port`,
      ]),
    ],
  ];
}

/**
 * Per-client caps (`option rate_limit_kbit`): one named limit per client and direction, shared by its IPv4 and
 * IPv6 rules so both families draw from one budget. Rules go before the DNAT accept so forwards are capped too.
 */
function rateLimits(config: ServerConfig, tun: string, fwd: string[]): string[] {
  const objects: string[] = [];
  for (const client of config.clients) {
    if (client.rateLimitKbit === undefined) continue;
    const kbytes = Math.max(1, Math.ceil(client.rateLimitKbit / 8));
    // A tenth of a second of traffic as burst keeps TCP's bursts from being cut while holding the average.
    const burst = Math.max(16, Math.ceil(kbytes / 10));
    const prefixes = [client.address, ...(client.address6 ? [client.address6] : []), ...client.routes].map((text) =>
      parseCidr(text, `address of client '${client.name}'`),
    );
    for (const [dir, iface, match] of [
      ['down', 'oifname', 'daddr'],
      ['up', 'iifname', 'saddr'],
    ] as const) {
      const name = `rl_${dir}_${client.name}`;
      objects.push(`  limit ${name} { rate over ${kbytes} kbytes/second burst ${burst} kbytes }`);
      for (const family of [4, 6] as const) {
        const set = prefixes.filter((p) => p.family === family).map((p) => `${p.address}/${p.prefix}`);
        if (set.length === 0) continue;
        fwd.push(
          `    ${iface} ${tun} ${family === 4 ? 'ip' : 'ip6'} ${match} { ${set.join(', ')} } limit name "${name}" drop comment "${client.name} rate limit"`,
        );
      }
    }
  }
  return objects;
}

function chain(name: string, head: string, rules: string[]): string {
  return `  chain ${name} {\n    ${head}\n${rules.join('\n')}${rules.length ? '\n' : ''}  }`;
}
