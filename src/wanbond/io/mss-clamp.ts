import { mssFor } from './mtu.js';
import { nftString } from './nft.js';

/**
 * Forward-chain rules that clamp the MSS of TCP handshakes crossing the tunnel to what the TUN MTU carries, in both
 * directions: SYNs leaving through the TUN tell the far end how much to send back, SYNs arriving from it tell the
 * LAN host how much to send. A fixed number rather than `rt mtu` because for SYNs arriving from the TUN the route
 * MTU is the LAN's, not the tunnel's.
 */
export function mssClampChain(tunName: string, mtu: number): string {
  const tun = nftString(tunName);
  const mss4 = mssFor(mtu, 4);
  const mss6 = mssFor(mtu, 6);
  const syn = 'tcp flags & (syn | rst) == syn';
  const lines: string[] = [];
  for (const dir of ['iifname', 'oifname']) {
    lines.push(
      `    meta nfproto ipv4 ${dir} ${tun} ${syn} tcp option maxseg size > ${mss4} tcp option maxseg size set ${mss4}`,
      `    meta nfproto ipv6 ${dir} ${tun} ${syn} tcp option maxseg size > ${mss6} tcp option maxseg size set ${mss6}`,
    );
  }
  return `  chain mss_clamp {\n    type filter hook forward priority mangle; policy accept;\n${lines.join('\n')}\n  }`;
}
