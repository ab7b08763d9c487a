/**
 * Policy routing as a pure plan: from the config, the links as they are now and a few facts about the router, the
 * exact `ip rule`s, routes and nftables ruleset wanbond needs. policy-apply.ts makes the kernel match a plan.
 *
 *   pref 900  fwmark <link mark>/0x3f000000 lookup 7701+i   direct policies (marks set in nft, see policy-nft.ts)
 *   pref 910  from <link source> lookup 7701+i              the tunnel's UDP socket for link i leaves through it
 *   pref 920  iif <lan> lookup main suppress_prefixlength 0 LAN to connected/specific routes (modem pages, LANs)
 *   pref 930  iif <lan> lookup 7700                         everything else from the LAN into the tunnel
 *   table 7700: default dev <tun> | throw <server address>  (throw: continue with the next rules, i.e. main)
 *   table 7701+i: default via <gateway> dev <device>
 */
import { type ClassifierInput, compileClassifier } from '../engine/classify.js';
import type { RuleSpec } from '../engine/classify-spec.js';
import { prefixText } from '../engine/classify-spec.js';
import { parsePrefix } from '../engine/prefix.js';
import {
  BACKSTOP_METRIC,
  linkMark,
  linkTable,
  MARK_MASK,
  MAX_LINKS,
  PRIO_DIRECT,
  PRIO_LAN_LOCAL,
  PRIO_LAN_TUNNEL,
  PRIO_SOURCE,
  TUN_TABLE,
} from './policy-constants.js';
import type { IpRoute, IpRule } from './policy-ip.js';
import { type NftLink, nftScript, renderPolicyNft } from './policy-nft.js';

/** A configured link as the daemon knows it now. Pass EVERY link of config.links, in config order. */
export interface PolicyLink {
  name: string;
  /** L3 device (netifd's l3_device or config `device`); without one the link gets nothing. */
  device?: string;
  /** Local address the link's UDP socket binds to (IPv4 or IPv6). */
  source?: string;
  /** Default gateway on that WAN; without one the route is `default dev <device>` (point-to-point links). */
  gateway?: string;
  /** IPv6 default gateway, when the link has IPv6 (`source6` or an IPv6 `source`). */
  gateway6?: string;
  source6?: string;
  /** False: the link is configured but down or disabled (it keeps its number, gets no routes). Default true. */
  up?: boolean;
}

export type Fallback = 'direct' | 'block';

export interface PolicyConfigInput extends ClassifierInput {
  fallback: Fallback;
}

export interface PolicyOptions {
  /** The tunnel device (config tunName, `wb0`). */
  tunDevice: string;
  /** The server's resolved addresses: never routed into the tunnel. */
  serverAddresses: string[];
  /** LAN devices whose traffic enters the tunnel; default ['br-lan']. */
  lanDevices?: string[];
  /** Whether the session is up now (see tunnelRoutes); default true. */
  tunnelUp?: boolean;
  /** Send LAN IPv6 into the tunnel too (the router has a tunnel IPv6 address); default false: IPv6 stays native. */
  ipv6?: boolean;
  /** Masquerade LAN traffic leaving a WAN (direct policies, fallback); default true. fw4 does it too on OpenWrt. */
  masquerade?: boolean;
}

export interface PolicyPlan {
  rules: IpRule[];
  /** Routes of the link tables and the tunnel table, for the current tunnel state. */
  routes: IpRoute[];
  /** `nft -f` script replacing table inet wanbond_policy. */
  nft: string;
  /** Tables this plan uses (removal flushes the whole owned range anyway). */
  tables: number[];
  fallback: Fallback;
  tunnelUp: boolean;
  tunDevice: string;
  serverAddresses: string[];
  families: Array<4 | 6>;
  /** Things worth a log line (a direct policy none of whose links is up, ...). */
  warnings: string[];
}

function familyOf(addr: string): 4 | 6 {
  return addr.includes(':') ? 6 : 4;
}

function checkDevice(name: string, what: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) throw new Error(`${what}: '${name}' is not a valid device name`);
  return name;
}

function checkAddress(addr: string, what: string): string {
  try {
    const p = parsePrefix(addr);
    if (p.length !== p.bytes.length * 8) throw new Error('a host address, not a prefix');
    return prefixText(p);
  } catch (err) {
    throw new Error(`${what}: '${addr}' is not an IP address (${(err as Error).message})`);
  }
}

/**
 * The tunnel table's routes for a tunnel state. Up: into the TUN. Down with fallback `direct`: `throw`, so LAN
 * traffic continues to the main table (plain multi-WAN, or mwan3's rules). Down with `block`: blackhole. With
 * `block` a blackhole backstop at the highest metric stays even while up, so LAN traffic cannot leak through main
 * if the TUN device disappears (daemon crash) while our rules are still in place.
 */
export function tunnelRoutes(
  tunDevice: string,
  serverAddresses: string[],
  fallback: Fallback,
  up: boolean,
  families: Array<4 | 6>,
): IpRoute[] {
  const routes: IpRoute[] = [];
  for (const family of families) {
    const dst = 'default';
    if (up) routes.push({ family, table: TUN_TABLE, type: 'unicast', dst, dev: tunDevice, metric: 1 });
    else routes.push({ family, table: TUN_TABLE, type: fallback === 'block' ? 'blackhole' : 'throw', dst, metric: 1 });
    if (fallback === 'block') {
      routes.push({ family, table: TUN_TABLE, type: 'blackhole', dst, metric: BACKSTOP_METRIC });
    }
    for (const a of serverAddresses) {
      if (familyOf(a) === family) routes.push({ family, table: TUN_TABLE, type: 'throw', dst: a, metric: 1 });
    }
  }
  return routes;
}

/** Builds the plan; throws with a clear message for invalid rules, addresses or device names. */
export function planPolicyRouting(config: PolicyConfigInput, links: PolicyLink[], opts: PolicyOptions): PolicyPlan {
  if (links.length > MAX_LINKS) throw new Error(`policy routing supports at most ${MAX_LINKS} links`);
  const specs: readonly RuleSpec[] = compileClassifier(config).rules;
  const tun = checkDevice(opts.tunDevice, 'tunnel device');
  const lan = (opts.lanDevices ?? ['br-lan']).map((d) => checkDevice(d, 'LAN device'));
  if (lan.length === 0) throw new Error('policy routing needs at least one LAN device');
  const servers = opts.serverAddresses.map((a) => checkAddress(a, 'server address'));
  const tunnelUp = opts.tunnelUp ?? true;
  const families: Array<4 | 6> = opts.ipv6 ? [4, 6] : [4];
  const rules: IpRule[] = [];
  const routes: IpRoute[] = [];
  const tables = [TUN_TABLE];
  const usable: NftLink[] = [];
  const warnings: string[] = [];

  links.forEach((l, index) => {
    if (l.up === false || l.device === undefined) return;
    const device = checkDevice(l.device, `link ${l.name}`);
    const table = linkTable(index);
    tables.push(table);
    const link: NftLink = { name: l.name, index, device, v6: false };
    usable.push(link);
    const mark = linkMark(index);
    const src4 =
      l.source !== undefined && familyOf(l.source) === 4 ? checkAddress(l.source, `link ${l.name}`) : undefined;
    const src6Text = l.source6 ?? (l.source !== undefined && familyOf(l.source) === 6 ? l.source : undefined);
    const src6 = src6Text !== undefined ? checkAddress(src6Text, `link ${l.name}`) : undefined;
    // IPv4: every usable link gets a default route in its table (the WAN is IPv4 unless it says otherwise).
    const gw4 = l.gateway !== undefined ? checkAddress(l.gateway, `link ${l.name} gateway`) : undefined;
    routes.push({
      family: 4,
      table,
      type: 'unicast',
      dst: 'default',
      ...(gw4 ? { via: gw4 } : {}),
      dev: device,
      metric: 1,
    });
    rules.push({ family: 4, priority: PRIO_DIRECT, fwmark: mark, fwmask: MARK_MASK, table });
    if (src4) rules.push({ family: 4, priority: PRIO_SOURCE, from: src4, table });
    if (src6 !== undefined || l.gateway6 !== undefined) {
      link.v6 = true;
      const gw6 = l.gateway6 !== undefined ? checkAddress(l.gateway6, `link ${l.name} gateway6`) : undefined;
      routes.push({
        family: 6,
        table,
        type: 'unicast',
        dst: 'default',
        ...(gw6 ? { via: gw6 } : {}),
        dev: device,
        metric: 1,
      });
      rules.push({ family: 6, priority: PRIO_DIRECT, fwmark: mark, fwmask: MARK_MASK, table });
      if (src6) rules.push({ family: 6, priority: PRIO_SOURCE, from: src6, table });
    }
  });

  for (const family of families) {
    for (const dev of lan) {
      rules.push({ family, priority: PRIO_LAN_LOCAL, iif: dev, table: 'main', suppressPrefixLength: 0 });
      rules.push({ family, priority: PRIO_LAN_TUNNEL, iif: dev, table: TUN_TABLE });
    }
  }
  routes.push(...tunnelRoutes(tun, servers, config.fallback, tunnelUp, families));

  for (const spec of specs) {
    const p = spec.policy;
    if (p?.mode !== 'direct') continue;
    const unknown = p.useLinks.filter((n) => !links.some((l) => l.name === n));
    if (unknown.length > 0) throw new Error(`policy '${p.name}': use_link ${unknown.join(', ')}: no such link`);
    const up = p.useLinks.length === 0 ? usable : usable.filter((l) => p.useLinks.includes(l.name));
    if (up.length === 0)
      warnings.push(`policy '${p.name}' (direct): none of its links is up; its traffic uses the tunnel`);
  }
  const body = renderPolicyNft({
    rules: specs,
    links: usable,
    lanDevices: lan,
    defaultDirect: config.mode === 'direct',
    masquerade: opts.masquerade ?? true,
  });
  return {
    rules,
    routes,
    nft: nftScript(body),
    tables,
    fallback: config.fallback,
    tunnelUp,
    tunDevice: tun,
    serverAddresses: servers,
    families,
    warnings: [...new Set(warnings)],
  };
}
