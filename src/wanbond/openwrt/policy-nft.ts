/**
 * The nftables side of policy routing, in its own table `inet wanbond_policy`: LAN packets matching a rule whose
 * policy is `direct` get a per-link fwmark (kept in conntrack so a connection stays on its WAN), which an
 * `ip rule fwmark` sends to that link's table; rules with any other policy stop the walk (first match wins) and
 * leave the packet to the tunnel, where the engine's classifier applies the same rules. LAN traffic leaving a WAN
 * is masqueraded (direct policies, and `fallback 'direct'` while the tunnel is down).
 */
import { PORT_PROTOS, type PortRange, prefixText, type RuleSpec } from '../engine/classify-spec.js';
import { hex, linkMark, MARK_MASK, POLICY_NFT_TABLE } from './policy-constants.js';

export interface NftLink {
  name: string;
  index: number;
  device: string;
  /** The link has an IPv6 default route in its table (IPv4 is assumed for every link). */
  v6: boolean;
}

export interface NftInput {
  rules: readonly RuleSpec[];
  /** Links usable now (device known, up), with their config positions. */
  links: NftLink[];
  lanDevices: string[];
  /** Main mode `direct`: unmatched LAN traffic leaves through the WANs too. */
  defaultDirect: boolean;
  masquerade: boolean;
}

/** nft double-quoted string for a device name; refuses names nft would parse as syntax. */
export function nftName(text: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(text)) throw new Error(`unsafe device name for nftables: '${text}'`);
  return `"${text}"`;
}

function set(items: string[]): string {
  return items.length === 1 ? items[0]! : `{ ${items.join(', ')} }`;
}

function ports(list: PortRange[]): string {
  return set(list.map((r) => (r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`)));
}

function linkChain(l: NftLink): string {
  return `link_${l.index}`;
}

/** One nft match line per IP version the rule can match. */
export function ruleMatches(spec: RuleSpec): string[] {
  const out: string[] = [];
  for (const family of spec.families) {
    const parts = [`meta nfproto ${family === 4 ? 'ipv4' : 'ipv6'}`];
    const ip = family === 4 ? 'ip' : 'ip6';
    const src = spec.src.filter((p) => p.family === family).map(prefixText);
    const dst = spec.dst.filter((p) => p.family === family).map(prefixText);
    if (src.length > 0) parts.push(`${ip} saddr ${set(src)}`);
    if (dst.length > 0) parts.push(`${ip} daddr ${set(dst)}`);
    const protos = family === 4 ? spec.proto4 : spec.proto6;
    if (protos !== undefined) parts.push(`meta l4proto ${set(protos.map(String))}`);
    if (spec.srcPorts || spec.destPorts) {
      // Ports exist only for these protocols; the l4proto match above already narrowed to them.
      if (protos === undefined) parts.push(`meta l4proto ${set(PORT_PROTOS.map(String))}`);
      if (spec.srcPorts) parts.push(`th sport ${ports(spec.srcPorts)}`);
      if (spec.destPorts) parts.push(`th dport ${ports(spec.destPorts)}`);
    }
    out.push(parts.join(' '));
  }
  return out;
}

function spreadFamily(family: 4 | 6, links: NftLink[]): string[] {
  const nf = `meta nfproto ${family === 4 ? 'ipv4' : 'ipv6'}`;
  if (links.length === 0) return [];
  if (links.length === 1) return [`${nf} goto ${linkChain(links[0]!)}`];
  // Per source host, so one LAN host keeps one public address (banks and the like check it).
  const map = links.map((l, i) => `${i} : goto ${linkChain(l)}`).join(', ');
  return [`${nf} jhash ${family === 4 ? 'ip' : 'ip6'} saddr mod ${links.length} vmap { ${map} }`];
}

function spread(chain: string, links: NftLink[]): string[] {
  const lines = [
    ...spreadFamily(4, links),
    ...spreadFamily(
      6,
      links.filter((l) => l.v6),
    ),
  ];
  return [`  chain ${chain} {`, ...lines.map((l) => `    ${l}`), '  }'];
}

/** Links a direct policy may use right now: its use_link names (all links when empty), those that are up. */
export function directLinks(useLinks: readonly string[], links: NftLink[]): NftLink[] {
  return useLinks.length === 0 ? links : links.filter((l) => useLinks.includes(l.name));
}

/** The full `nft -f` body of table inet wanbond_policy (without the surrounding table line). */
export function renderPolicyNft(input: NftInput): string {
  const lan = set(input.lanDevices.map(nftName));
  const chains: string[] = [];
  const ruleLines: string[] = [];
  const policyChains = new Map<string, string[]>();
  for (const spec of input.rules) {
    const policy = spec.policy;
    let action = 'return';
    if (policy?.mode === 'direct') {
      action = `goto policy_${policy.name}`;
      if (!policyChains.has(policy.name)) {
        policyChains.set(policy.name, spread(`policy_${policy.name}`, directLinks(policy.useLinks, input.links)));
      }
    }
    for (const m of ruleMatches(spec)) ruleLines.push(`    ${m} ${action} comment "rule ${spec.name}"`);
  }
  if (input.defaultDirect) {
    ruleLines.push('    goto policy_default');
    policyChains.set('default', spread('policy_default', input.links));
  }
  const anyDirect = policyChains.size > 0 && input.links.length > 0;
  if (anyDirect) {
    const restore = input.links.map((l) => `${hex(linkMark(l.index))} : goto ${linkChain(l)}`).join(', ');
    chains.push(
      '  chain prerouting {',
      '    type filter hook prerouting priority mangle - 5; policy accept;',
      `    iifname != ${lan} return`,
      `    ct mark & ${hex(MARK_MASK)} vmap { ${restore} }`,
      '    jump rules',
      '  }',
      '  chain rules {',
      ...ruleLines,
      '  }',
    );
    for (const lines of policyChains.values()) chains.push(...lines);
    const keep = hex(~MARK_MASK >>> 0);
    for (const l of input.links) {
      const mark = hex(linkMark(l.index));
      chains.push(
        `  chain ${linkChain(l)} {`,
        `    meta mark set meta mark & ${keep} | ${mark}`,
        `    ct mark set ct mark & ${keep} | ${mark} comment "link ${l.name}"`,
        '  }',
      );
    }
  }
  if (input.masquerade && input.links.length > 0) {
    const wans = set([...new Set(input.links.map((l) => l.device))].map(nftName));
    chains.push(
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat + 5; policy accept;',
      `    iifname ${lan} oifname ${wans} masquerade`,
      '  }',
    );
  }
  return chains.join('\n');
}

/** The whole transaction: create-if-missing, delete, define, so the table is replaced atomically. */
export function nftScript(body: string): string {
  const t = `inet ${POLICY_NFT_TABLE}`;
  return `table ${t} {}\ndelete table ${t}\ntable ${t} {\n${body}\n}\n`;
}
