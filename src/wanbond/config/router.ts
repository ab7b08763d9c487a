import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { sectionsByType, type UciSection } from 'uci-parser';
import type { Mode } from '../engine/api.js';
import { ConfigError } from './errors.js';
import { isHostname, isInterfaceName, parseCidr, parseIp } from './net.js';
import { parseConfigText } from './parse-uci.js';
import { type ReadContext, SectionReader, shown } from './reader.js';
import type { LinkConfig, PolicyConfig, RouterConfig, RuleConfig } from './types.js';

export const MODES: readonly Mode[] = ['bond', 'redundant', 'failover', 'direct'];
export const DEFAULT_PORT = 5555;
export const DEFAULT_TUN = 'wb0';
export const MTU_MIN = 576;
export const MTU_MAX = 9000;

export interface ParseOptions {
  /** Reads a `key_file`; without it a config that uses key_file is rejected (parse* stays pure). */
  readFile?: (path: string) => string;
  /** Permission bits of a file; with it, a private key readable by group/others is a warning. */
  modeOf?: (path: string) => number | undefined;
}

/** The permission bits of a file, for `modeOf`; undefined when it cannot be read. */
export function fileMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}

export interface LoadedConfig<T> {
  config: T;
  warnings: string[];
}

const KNOWN_SECTIONS = ['wanbond', 'link', 'policy', 'rule'];

function readTun(r: SectionReader): { tunName: string; mtu?: number } {
  const tunName = r.str('tun') ?? DEFAULT_TUN;
  if (!isInterfaceName(tunName))
    throw r.error('tun', `expected an interface name (1-15 characters), got ${shown(tunName)}`);
  const mtu = r.int('mtu', MTU_MIN, MTU_MAX, 'an MTU');
  return mtu === undefined ? { tunName } : { tunName, mtu };
}

function readLink(r: SectionReader): LinkConfig {
  const link: LinkConfig = { name: r.name, enabled: r.bool('enabled', true), backup: r.bool('backup', false) };
  const iface = r.str('interface');
  const device = r.str('device');
  const source = r.str('source');
  if (iface !== undefined) {
    if (!/^[A-Za-z0-9_]+$/.test(iface))
      throw r.error('interface', `expected a netifd interface name, got ${shown(iface)}`);
    link.interface = iface;
  }
  if (device !== undefined) {
    if (!isInterfaceName(device))
      throw r.error('device', `expected a device name (1-15 characters), got ${shown(device)}`);
    link.device = device;
  }
  if (source !== undefined) {
    if (!parseIp(source)) throw r.error('source', `expected the link's local IP address, got ${shown(source)}`);
    link.source = source;
  }
  if (iface === undefined && device === undefined)
    throw r.error(undefined, 'a link needs option interface (OpenWrt) or option device (+ source)');
  if (source !== undefined && device === undefined) throw r.error('source', 'source needs option device');
  return link;
}

function readPolicy(r: SectionReader, links: Set<string>): PolicyConfig {
  const mode = r.oneOf('mode', MODES, 'bond');
  const useLinks = r.list('use_link');
  for (const l of useLinks)
    if (!links.has(l))
      throw r.error('use_link', `no link named ${shown(l)} (links: ${[...links].join(', ') || 'none'})`);
  return { name: r.name, mode, useLinks };
}

const PROTOS = ['tcp', 'udp', 'icmp', 'all'];

function checkPorts(r: SectionReader, name: string, proto: string | undefined): string | undefined {
  const v = r.str(name);
  if (v === undefined) return undefined;
  // mwan3 / iptables multiport syntax: 80 | 80,443 | 1000:2000 (and 1000-2000), at most 15 entries.
  const parts = v.split(',');
  const ok =
    parts.length <= 15 &&
    parts.every((p) => {
      const m = /^(\d{1,5})(?:[:-](\d{1,5}))?$/.exec(p.trim());
      if (!m) return false;
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      return a >= 1 && b <= 65535 && a <= b;
    });
  if (!ok) throw r.error(name, `expected ports like 443, 80,443 or 1000:2000, got ${shown(v)}`);
  if (proto !== 'tcp' && proto !== 'udp') throw r.error(name, `ports need option proto 'tcp' or 'udp'`);
  return v;
}

function readAddressMatch(r: SectionReader, name: string, family: 'ipv4' | 'ipv6' | 'any'): string | undefined {
  const v = r.str(name);
  if (v === undefined) return undefined;
  const c = parseCidr(v, false);
  if (!c) throw r.error(name, `expected an IP address or subnet (CIDR), got ${shown(v)}`);
  if ((family === 'ipv4' && c.family !== 4) || (family === 'ipv6' && c.family !== 6))
    throw r.error(name, `${shown(v)} does not match family '${family}'`);
  return v;
}

function readRule(r: SectionReader, policies: Set<string>): RuleConfig {
  const family = r.oneOf('family', ['ipv4', 'ipv6', 'any'] as const, 'any');
  const protoText = r.str('proto');
  let proto: string | undefined;
  if (protoText !== undefined) {
    const p = protoText.toLowerCase();
    if (!PROTOS.includes(p) && !(/^\d{1,3}$/.test(p) && Number(p) <= 255))
      throw r.error('proto', `expected tcp, udp, icmp, all or a protocol number, got ${shown(protoText)}`);
    proto = p;
  }
  const rule: RuleConfig = { name: r.name, usePolicy: '' };
  const srcIp = readAddressMatch(r, 'src_ip', family);
  const destIp = readAddressMatch(r, 'dest_ip', family);
  const srcPort = checkPorts(r, 'src_port', proto);
  const destPort = checkPorts(r, 'dest_port', proto);
  if (
    srcIp !== undefined &&
    destIp !== undefined &&
    parseCidr(srcIp, false)!.family !== parseCidr(destIp, false)!.family
  )
    throw r.error('dest_ip', 'src_ip and dest_ip are of different IP families');
  if (srcIp !== undefined) rule.srcIp = srcIp;
  if (destIp !== undefined) rule.destIp = destIp;
  if (proto !== undefined) rule.proto = proto;
  if (srcPort !== undefined) rule.srcPort = srcPort;
  if (destPort !== undefined) rule.destPort = destPort;
  if (r.has('family')) rule.family = family;
  const use = r.required('use_policy', [...policies][0] ?? 'stream');
  if (!policies.has(use))
    throw r.error('use_policy', `no policy named ${shown(use)} (policies: ${[...policies].join(', ') || 'none'})`);
  rule.usePolicy = use;
  return rule;
}

/**
 * The router config (/etc/config/wanbond): `config wanbond 'main'`, `config link`, `config policy`, `config rule`.
 * Pure apart from `options.readFile` (for key_file). Throws ConfigError; unknown options and sections are warnings.
 */
export function parseRouterConfig(
  text: string | Uint8Array,
  file: string,
  options: ParseOptions = {},
): LoadedConfig<RouterConfig> {
  const pkg = parseConfigText(text, file);
  const ctx: ReadContext = { file, pkg, warnings: [], readFile: options.readFile, modeOf: options.modeOf };
  const mains = sectionsByType(pkg, 'wanbond');
  if (mains.length === 0)
    throw new ConfigError("no 'config wanbond' section (expected config wanbond 'main')", { file, pkg: pkg.name });
  const main = new SectionReader(ctx, mains.find((s) => s.name === 'main') ?? mains[0]!);
  for (const extra of mains.filter((s) => s !== main.section))
    new SectionReader(ctx, extra).warn(undefined, "a second 'config wanbond' section, ignored");
  if (main.section.name !== 'main')
    main.warn(undefined, "the main section should be named 'main' (config wanbond 'main')");

  const enabled = main.bool('enabled', true);
  const server = enabled ? main.required('server', 'vps.example.net') : (main.str('server') ?? '');
  if (server !== '' && !isHostname(server))
    throw main.error('server', `expected a host name or IP address, got ${shown(server)}`);
  const port = main.port('port') ?? DEFAULT_PORT;
  const privateKey = main.privateKey(enabled);
  const serverKey = enabled ? main.required('server_key', '<server public key>') : (main.str('server_key') ?? '');
  if (serverKey !== '') main.checkKey('server_key', serverKey, false);
  const mode = main.oneOf('mode', MODES, 'bond');
  const fallback = main.oneOf('fallback', ['direct', 'block'] as const, 'direct');
  const config: RouterConfig = {
    file,
    enabled,
    server,
    port,
    privateKey,
    serverKey,
    mode,
    ...readTun(main),
    fallback,
    links: [],
    policies: [],
    rules: [],
  };
  const address = main.str('address');
  if (address !== undefined) {
    const c = parseCidr(address);
    if (!c)
      throw main.error(
        'address',
        `expected the tunnel address with its prefix, e.g. 10.255.0.2/24, got ${shown(address)}`,
      );
    config.address = address;
  }
  const address6 = main.str('address6');
  if (address6 !== undefined) {
    const c = parseCidr(address6);
    if (c?.family !== 6)
      throw main.error(
        'address6',
        `expected an IPv6 address with prefix, e.g. fd00:ffff::2/64, got ${shown(address6)}`,
      );
    config.address6 = address6;
  }
  main.finish();

  const linkNames = new Set<string>();
  for (const s of sectionsByType(pkg, 'link')) {
    const r = new SectionReader(ctx, s);
    config.links.push(readLink(r));
    linkNames.add(s.name);
    r.finish();
  }
  const policyNames = new Set<string>();
  for (const s of sectionsByType(pkg, 'policy')) {
    const r = new SectionReader(ctx, s);
    config.policies.push(readPolicy(r, linkNames));
    policyNames.add(s.name);
    r.finish();
  }
  for (const s of sectionsByType(pkg, 'rule')) {
    const r = new SectionReader(ctx, s);
    config.rules.push(readRule(r, policyNames));
    r.finish();
  }
  warnUnknownSections(ctx, KNOWN_SECTIONS);
  if (enabled && config.links.filter((l) => l.enabled).length === 0)
    ctx.warnings.push(`${pkg.name}: no enabled 'config link' section: nothing to bond (${file})`);
  return { config, warnings: ctx.warnings };
}

export function warnUnknownSections(ctx: ReadContext, known: string[]): void {
  for (const s of ctx.pkg.sections as UciSection[])
    if (!known.includes(s.type)) new SectionReader(ctx, s).warn(undefined, `unknown section type '${s.type}', ignored`);
}

/** Reads and parses a router config file; key_file paths are read from disk. */
export async function loadRouterConfig(path: string): Promise<LoadedConfig<RouterConfig>> {
  const text = await readFile(path);
  return parseRouterConfig(text, path, { readFile: (p) => readFileSync(p, 'utf8'), modeOf: fileMode });
}
