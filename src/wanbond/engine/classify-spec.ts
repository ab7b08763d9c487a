/**
 * mwan3-style `config rule` options parsed and checked once, into a form both the packet classifier (engine) and
 * the nftables renderer (openwrt/policy-*) read, so the two can never disagree on what a rule matches.
 */
import type { Mode, PolicyConfig, RuleConfig } from './classify-types.js';
import { type Prefix, parsePrefix } from './prefix.js';

export class ClassifierError extends Error {
  override name = 'ClassifierError';
}

/** An inclusive port range; a single port has lo === hi. */
export interface PortRange {
  lo: number;
  hi: number;
}

export interface RuleSpec {
  name: string;
  /** Index of the rule in config order (first match wins). */
  index: number;
  /** The policy it selects; undefined for `use_policy 'default'` (the main mode). */
  policy: PolicyConfig | undefined;
  /** Families the rule can match at all (family option narrowed by the address families given). */
  families: Array<4 | 6>;
  src: Prefix[];
  dst: Prefix[];
  /** Protocol numbers per family; undefined = any protocol. */
  proto4: number[] | undefined;
  proto6: number[] | undefined;
  /** Port ranges; undefined = any port. When set, only TCP/UDP/SCTP/UDP-Lite packets with ports can match. */
  srcPorts: PortRange[] | undefined;
  destPorts: PortRange[] | undefined;
}

/** Protocols that carry 16-bit source and destination ports at the start of their header. */
export const PORT_PROTOS: readonly number[] = [6, 17, 132, 136];

const PROTO_NAMES: Record<string, number> = {
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  sctp: 132,
  udplite: 136,
};

const MODES: readonly Mode[] = ['bond', 'redundant', 'failover', 'direct'];

/** Splits an option holding one or more values (`80,443`, `80 443`). */
function items(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function fail(rule: RuleConfig, option: string, message: string): never {
  throw new ClassifierError(`rule '${rule.name}': option ${option}: ${message}`);
}

/** `80`, `1000-2000`, `1000:2000` (iptables multiport), lists of those separated by commas or spaces. */
export function parsePorts(text: string, what = 'port'): PortRange[] {
  const out: PortRange[] = [];
  const list = items(text);
  if (list.length === 0) throw new ClassifierError(`empty ${what} list`);
  for (const item of list) {
    const m = /^(\d{1,5})(?:[-:](\d{1,5}))?$/.exec(item);
    if (!m) throw new ClassifierError(`'${item}' is not a port or a range like 1000-2000`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535) throw new ClassifierError(`port '${item}' is out of range 0-65535`);
    if (hi < lo) throw new ClassifierError(`range '${item}' ends before it starts`);
    out.push({ lo, hi });
  }
  return out;
}

function parseAddresses(rule: RuleConfig, option: string, text: string): Prefix[] {
  const list = items(text);
  if (list.length === 0) fail(rule, option, 'empty address list');
  return list.map((a) => {
    try {
      return parsePrefix(a);
    } catch (err) {
      return fail(rule, option, (err as Error).message);
    }
  });
}

interface ProtoSets {
  v4: number[] | undefined;
  v6: number[] | undefined;
  /** Families the protocol list can occur in (icmpv6 only in IPv6). */
  families: Array<4 | 6>;
}

function parseProto(rule: RuleConfig, text: string | undefined): ProtoSets {
  const list = text === undefined ? [] : items(text.toLowerCase());
  if (list.length === 0 || list.includes('all')) return { v4: undefined, v6: undefined, families: [4, 6] };
  const v4 = new Set<number>();
  const v6 = new Set<number>();
  for (const p of list) {
    if (p === 'icmp') {
      // As in fw4: `icmp` means ICMP for IPv4 and ICMPv6 for IPv6.
      v4.add(1);
      v6.add(58);
    } else if (p === 'icmpv6' || p === 'ipv6-icmp' || p === 'icmp6') {
      v6.add(58);
    } else if (/^\d{1,3}$/.test(p) && Number(p) <= 255) {
      v4.add(Number(p));
      v6.add(Number(p));
    } else if (PROTO_NAMES[p] !== undefined) {
      v4.add(PROTO_NAMES[p]);
      v6.add(PROTO_NAMES[p]);
    } else {
      fail(rule, 'proto', `unknown protocol '${p}' (tcp, udp, icmp, all, a name like esp or a number 0-255)`);
    }
  }
  const families: Array<4 | 6> = [];
  if (v4.size > 0) families.push(4);
  if (v6.size > 0) families.push(6);
  return { v4: [...v4], v6: [...v6], families };
}

function resolvePolicy(rule: RuleConfig, policies: PolicyConfig[]): PolicyConfig | undefined {
  if (rule.usePolicy === undefined || rule.usePolicy === '') fail(rule, 'use_policy', 'missing');
  if (rule.usePolicy === 'default') return undefined;
  const policy = policies.find((p) => p.name === rule.usePolicy);
  if (!policy) fail(rule, 'use_policy', `no policy named '${rule.usePolicy}'`);
  if (!MODES.includes(policy.mode)) {
    throw new ClassifierError(`policy '${policy.name}': mode '${policy.mode}' is not one of ${MODES.join(', ')}`);
  }
  return policy;
}

/** Parses one rule; throws ClassifierError naming the rule and option when something is wrong. */
export function parseRule(rule: RuleConfig, index: number, policies: PolicyConfig[]): RuleSpec {
  const policy = resolvePolicy(rule, policies);
  const src = rule.srcIp !== undefined ? parseAddresses(rule, 'src_ip', rule.srcIp) : [];
  const dst = rule.destIp !== undefined ? parseAddresses(rule, 'dest_ip', rule.destIp) : [];
  const proto = parseProto(rule, rule.proto);
  let srcPorts: PortRange[] | undefined;
  let destPorts: PortRange[] | undefined;
  try {
    if (rule.srcPort !== undefined) srcPorts = parsePorts(rule.srcPort, 'src_port');
  } catch (err) {
    fail(rule, 'src_port', (err as Error).message);
  }
  try {
    if (rule.destPort !== undefined) destPorts = parsePorts(rule.destPort, 'dest_port');
  } catch (err) {
    fail(rule, 'dest_port', (err as Error).message);
  }
  let proto4 = proto.v4;
  let proto6 = proto.v6;
  if (srcPorts || destPorts) {
    // Ports without a protocol mean TCP and UDP (fw4's reading; mwan3 would silently drop the ports instead).
    if (proto4 === undefined) proto4 = [6, 17];
    if (proto6 === undefined) proto6 = [6, 17];
    proto4 = proto4.filter((p) => PORT_PROTOS.includes(p));
    proto6 = proto6.filter((p) => PORT_PROTOS.includes(p));
    if (proto4.length === 0 && proto6.length === 0) {
      fail(rule, 'proto', `ports need tcp, udp, sctp or udplite, not '${rule.proto}'`);
    }
  }
  let families: Array<4 | 6> = rule.family === 'ipv4' ? [4] : rule.family === 'ipv6' ? [6] : [4, 6];
  if (rule.family !== undefined && !['ipv4', 'ipv6', 'any'].includes(rule.family)) {
    fail(rule, 'family', `'${rule.family}' is not ipv4, ipv6 or any`);
  }
  families = families.filter((f) => proto.families.includes(f));
  if (src.length > 0) families = families.filter((f) => src.some((p) => p.family === f));
  if (dst.length > 0) families = families.filter((f) => dst.some((p) => p.family === f));
  if (proto4 !== undefined && proto4.length === 0) families = families.filter((f) => f !== 4);
  if (proto6 !== undefined && proto6.length === 0) families = families.filter((f) => f !== 6);
  if (families.length === 0) {
    throw new ClassifierError(
      `rule '${rule.name}' can never match: its family, addresses and protocol have no IP version in common`,
    );
  }
  return {
    name: rule.name,
    index,
    policy,
    families,
    src,
    dst,
    proto4,
    proto6,
    srcPorts,
    destPorts,
  };
}

/** Parses every rule, in order; the first error stops (the config is rejected as a whole). */
export function parseRules(rules: RuleConfig[], policies: PolicyConfig[]): RuleSpec[] {
  return rules.map((r, i) => parseRule(r, i, policies));
}

/** Text of a prefix as nft and ip take it (`10.0.0.0/8`, `2001:db8::/32`, host addresses without a length). */
export function prefixText(p: Prefix): string {
  let addr: string;
  if (p.family === 4) addr = [...p.bytes].join('.');
  else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((p.bytes[i]! << 8) | p.bytes[i + 1]!).toString(16));
    addr = compressV6(groups);
  }
  return p.length === p.bytes.length * 8 ? addr : `${addr}/${p.length}`;
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
