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
  fwd.push('    ct status dnat accept comment "inbound forwards"');
  chains.push(chain('forward', 'type filter hook forward priority filter; policy accept;', fwd));

  chains.push(mssClampChain(config.tunName, mtu));
  return chains.join('\n');
}

function chain(name: string, head: string, rules: string[]): string {
  return `  chain ${name} {\n    ${head}\n${rules.join('\n')}${rules.length ? '\n' : ''}  }`;
}
