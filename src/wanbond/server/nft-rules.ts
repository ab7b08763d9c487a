import type { ServerConfig } from '../config/types.js';
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
  return [...limits, ...chains].join('\n');
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
