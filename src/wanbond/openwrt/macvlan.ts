/**
 * MacVLAN WANs on one NIC (several modems with the same factory subnet, moved to 192.168.11.1, .12.1, ... on one
 * switch): the netifd `device` (type macvlan on a parent), the `interface`, its place in the firewall `wan` zone
 * and the matching wanbond `link`, all edited through uci-parser the way `uci` does it (load with pending changes,
 * modify, commit or only save). The CLI (`wanbond macvlan`) and the ubus object call these functions.
 *
 * Shapes follow netifd (macvlan.c, config.c; see docs/routing.md): the device section needs `name`, takes the
 * parent in `ifname`, and each MacVLAN gets its own `macaddr` so DHCP servers hand out distinct leases.
 */
import { createHash } from 'node:crypto';
import { formatChanges, UciContext, type UciContextOptions, UciError, type UciPackage } from 'uci-parser';
import {
  addListItem,
  deleteEntry,
  delListItem,
  sectionList,
  sectionOption,
  setOption,
  setSection,
} from './uci-edit.js';

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru';
const MODES: readonly MacvlanMode[] = ['private', 'vepa', 'bridge', 'passthru'];

export interface MacvlanAddOptions {
  /** Parent device, e.g. eth0. */
  parent: string;
  /** netifd interface name (also the wanbond link name), e.g. wan1. */
  name: string;
  /** Device name; default `v<name>`. */
  device?: string;
  /** Static address with prefix, e.g. 192.168.11.10/24. */
  ipaddr?: string;
  gateway?: string;
  dhcp?: boolean;
  /** Default private: the MacVLANs on one parent do not talk to each other directly. */
  mode?: MacvlanMode;
  /** Default: a stable locally administered address derived from parent and name. */
  macaddr?: string;
  /** Default: 10 above the highest metric of the existing interfaces (netifd needs one per WAN). */
  metric?: number;
  /** Firewall zone to join; default wan. */
  zone?: string;
  /** Also add `config link '<name>'` to wanbond; default true. */
  link?: boolean;
  /** Commit (write /etc/config); false only saves the changes as pending, like `uci set` without commit. */
  commit?: boolean;
}

/**
 * Where the config lives: the config dir plus uci's save dir (pending changes) and override dir, and the wanbond
 * config when it is not <confdir>/wanbond (a daemon started with -c elsewhere): its links go there.
 */
export type MacvlanUciOptions = Pick<UciContextOptions, 'savedir' | 'conf2dir'> & { wanbondFile?: string };

export interface MacvlanResult {
  /** The changes in `uci changes` format, per package. */
  changes: string;
  warnings: string[];
}

export interface MacvlanWan {
  interface: string;
  device: string;
  parent: string | undefined;
  mode: string | undefined;
  macaddr: string | undefined;
  proto: string | undefined;
  ipaddr: string | undefined;
  netmask: string | undefined;
  gateway: string | undefined;
  metric: string | undefined;
  zones: string[];
  links: string[];
}

export class MacvlanError extends Error {
  override name = 'MacvlanError';
}

const NAME = /^[A-Za-z0-9_]{1,15}$/;
const DEVICE = /^[A-Za-z0-9_.@-]{1,15}$/;

function context(confdir: string, uci: MacvlanUciOptions = {}): UciContext {
  const { wanbondFile: _, ...dirs } = uci;
  return new UciContext({ confdir, ...dirs });
}

/** The wanbond package: <confdir>/wanbond, or the file named in the options (libuci loads a path as a package). */
function loadWanbond(ctx: UciContext, uci: MacvlanUciOptions | undefined): UciPackage | undefined {
  return load(ctx, uci?.wanbondFile ?? 'wanbond');
}

function load(ctx: UciContext, name: string): UciPackage | undefined {
  try {
    return ctx.load(name);
  } catch (err) {
    if (err instanceof UciError) return undefined;
    throw err;
  }
}

function prefixToNetmask(len: number): string {
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.');
}

function isIPv4(a: string): boolean {
  const parts = a.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** A stable, locally administered unicast MAC for one MacVLAN, so its DHCP lease survives reboots. */
export function macvlanMac(parent: string, name: string): string {
  const h = createHash('sha256').update(`wanbond-macvlan/${parent}/${name}`).digest();
  h[0] = (h[0]! & 0xfc) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function checkAdd(o: MacvlanAddOptions): void {
  if (!NAME.test(o.name)) throw new MacvlanError(`--name '${o.name}': use 1-15 letters, digits or _`);
  if (!DEVICE.test(o.parent)) throw new MacvlanError(`--parent '${o.parent}' is not a device name`);
  const device = o.device ?? `v${o.name}`;
  if (!DEVICE.test(device))
    throw new MacvlanError(`device name '${device}' is invalid or longer than 15; use --device`);
  if (o.mode !== undefined && !MODES.includes(o.mode)) {
    throw new MacvlanError(`--mode '${o.mode}': one of ${MODES.join(', ')}`);
  }
  if (o.macaddr !== undefined && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(o.macaddr)) {
    throw new MacvlanError(`--macaddr '${o.macaddr}' is not a MAC address`);
  }
  if (o.metric !== undefined && !(Number.isInteger(o.metric) && o.metric >= 0)) {
    throw new MacvlanError('--metric must be a whole number');
  }
  if (o.dhcp) {
    if (o.ipaddr !== undefined || o.gateway !== undefined) {
      throw new MacvlanError('--dhcp takes its address and gateway from the modem: drop --ipaddr/--gateway');
    }
    return;
  }
  if (o.ipaddr === undefined) throw new MacvlanError('give --ipaddr ADDRESS/PREFIX and --gateway, or --dhcp');
  const [addr = '', len] = o.ipaddr.split('/');
  if (!isIPv4(addr) || len === undefined || !/^\d{1,2}$/.test(len) || Number(len) > 32 || Number(len) < 1) {
    throw new MacvlanError(`--ipaddr '${o.ipaddr}': an IPv4 address with prefix, e.g. 192.168.11.10/24`);
  }
  if (o.gateway === undefined) throw new MacvlanError('a static WAN needs --gateway (the modem, e.g. 192.168.11.1)');
  if (!isIPv4(o.gateway)) throw new MacvlanError(`--gateway '${o.gateway}' is not an IPv4 address`);
}

function nextMetric(network: UciPackage): number {
  let max = 0;
  for (const s of network.sectionsOfType('interface')) {
    const m = Number(sectionOption(s, 'metric'));
    if (Number.isInteger(m) && m > max) max = m;
  }
  return Math.ceil((max + 1) / 10) * 10;
}

function zoneSections(firewall: UciPackage, zone?: string) {
  return firewall.sectionsOfType('zone').filter((s) => zone === undefined || sectionOption(s, 'name') === zone);
}

function finish(ctx: UciContext, packages: UciPackage[], commit: boolean): string {
  let changes = '';
  for (const p of packages) {
    changes += formatChanges(p.name, p.delta);
    if (commit) ctx.commit(p);
    else ctx.save(p);
  }
  return changes;
}

/** Adds a MacVLAN WAN; checks everything before it writes anything. */
export function addMacvlanWan(confdir: string, o: MacvlanAddOptions, uci?: MacvlanUciOptions): MacvlanResult {
  checkAdd(o);
  const ctx = context(confdir, uci);
  const network = load(ctx, 'network');
  if (!network) throw new MacvlanError(`${confdir}/network not found`);
  const device = o.device ?? `v${o.name}`;
  const devSection = `${o.name}_dev`;
  if (network.section(o.name)) throw new MacvlanError(`network.${o.name} already exists`);
  if (network.section(devSection)) throw new MacvlanError(`network.${devSection} already exists`);
  if (network.sectionsOfType('device').some((s) => sectionOption(s, 'name') === device)) {
    throw new MacvlanError(`a network device named '${device}' already exists; choose another with --device`);
  }
  const warnings: string[] = [];
  const touched: UciPackage[] = [network];

  setSection(network, devSection, 'device');
  setOption(network, devSection, 'name', device);
  setOption(network, devSection, 'type', 'macvlan');
  setOption(network, devSection, 'ifname', o.parent);
  setOption(network, devSection, 'mode', o.mode ?? 'private');
  setOption(network, devSection, 'macaddr', (o.macaddr ?? macvlanMac(o.parent, o.name)).toLowerCase());
  const metric = o.metric ?? nextMetric(network);
  setSection(network, o.name, 'interface');
  setOption(network, o.name, 'device', device);
  if (o.dhcp) setOption(network, o.name, 'proto', 'dhcp');
  else {
    const [addr = '', len = '24'] = (o.ipaddr ?? '').split('/');
    setOption(network, o.name, 'proto', 'static');
    setOption(network, o.name, 'ipaddr', addr);
    setOption(network, o.name, 'netmask', prefixToNetmask(Number(len)));
    setOption(network, o.name, 'gateway', o.gateway ?? '');
  }
  setOption(network, o.name, 'metric', String(metric));

  const zoneName = o.zone ?? 'wan';
  const firewall = load(ctx, 'firewall');
  if (!firewall) warnings.push(`no ${confdir}/firewall: ${o.name} was not put in a firewall zone`);
  else {
    const zone = zoneSections(firewall, zoneName)[0];
    if (!zone) warnings.push(`firewall has no zone '${zoneName}': add ${o.name} to a zone yourself`);
    else if (!sectionList(zone, 'network').includes(o.name)) {
      addListItem(firewall, zone.name, 'network', o.name);
      touched.push(firewall);
    }
  }

  if (o.link !== false) {
    const wanbond = loadWanbond(ctx, uci);
    if (!wanbond) warnings.push(`no ${uci?.wanbondFile ?? `${confdir}/wanbond`}: no link added`);
    else {
      const existing = wanbond.section(o.name);
      const already = wanbond.sectionsOfType('link').some((s) => sectionOption(s, 'interface') === o.name);
      if (existing && existing.type !== 'link') throw new MacvlanError(`wanbond.${o.name} exists and is not a link`);
      if (existing && sectionOption(existing, 'interface') !== o.name) {
        throw new MacvlanError(`wanbond.${o.name} already exists for another interface`);
      }
      if (!already) {
        setSection(wanbond, o.name, 'link');
        setOption(wanbond, o.name, 'interface', o.name);
        touched.push(wanbond);
      }
    }
  }
  return { changes: finish(ctx, touched, o.commit ?? true), warnings };
}

/** Every interface whose device is a macvlan device section, with what the other packages say about it. */
export function listMacvlanWans(confdir: string, uci?: MacvlanUciOptions): MacvlanWan[] {
  const ctx = context(confdir, uci);
  const network = load(ctx, 'network');
  if (!network) throw new MacvlanError(`${confdir}/network not found`);
  const firewall = load(ctx, 'firewall');
  const wanbond = loadWanbond(ctx, uci);
  const out: MacvlanWan[] = [];
  const devices = network.sectionsOfType('device').filter((s) => sectionOption(s, 'type') === 'macvlan');
  for (const dev of devices) {
    const name = sectionOption(dev, 'name');
    if (name === undefined) continue;
    for (const iface of network.sectionsOfType('interface')) {
      if (sectionOption(iface, 'device') !== name && sectionOption(iface, 'ifname') !== name) continue;
      out.push({
        interface: iface.name,
        device: name,
        parent: sectionOption(dev, 'ifname'),
        mode: sectionOption(dev, 'mode'),
        macaddr: sectionOption(dev, 'macaddr'),
        proto: sectionOption(iface, 'proto'),
        ipaddr: sectionOption(iface, 'ipaddr'),
        netmask: sectionOption(iface, 'netmask'),
        gateway: sectionOption(iface, 'gateway'),
        metric: sectionOption(iface, 'metric'),
        zones: firewall
          ? zoneSections(firewall)
              .filter((z) => sectionList(z, 'network').includes(iface.name))
              .map((z) => sectionOption(z, 'name') ?? z.name)
          : [],
        links: wanbond
          ? wanbond
              .sectionsOfType('link')
              .filter((l) => sectionOption(l, 'interface') === iface.name)
              .map((l) => l.name)
          : [],
      });
    }
  }
  return out;
}

/**
 * Removes a MacVLAN WAN: its interface, its macvlan device (unless another interface still uses it), its firewall
 * zone entries and the wanbond links that use it. Refuses interfaces that are not on a macvlan device.
 */
export function delMacvlanWan(
  confdir: string,
  name: string,
  opts: { commit?: boolean } = {},
  uci?: MacvlanUciOptions,
): MacvlanResult {
  const ctx = context(confdir, uci);
  const network = load(ctx, 'network');
  if (!network) throw new MacvlanError(`${confdir}/network not found`);
  const iface = network.section(name);
  if (iface?.type !== 'interface') throw new MacvlanError(`network has no interface '${name}'`);
  const devName = sectionOption(iface, 'device') ?? sectionOption(iface, 'ifname');
  const dev = network
    .sectionsOfType('device')
    .find((s) => sectionOption(s, 'name') === devName && sectionOption(s, 'type') === 'macvlan');
  if (!dev) throw new MacvlanError(`network.${name} is not a MacVLAN WAN (device '${devName ?? ''}' is not macvlan)`);
  const warnings: string[] = [];
  const touched: UciPackage[] = [network];
  const shared = network
    .sectionsOfType('interface')
    .some((s) => s.name !== name && (sectionOption(s, 'device') ?? sectionOption(s, 'ifname')) === devName);
  deleteEntry(network, name);
  if (shared) warnings.push(`device ${devName} is still used by another interface: kept`);
  else deleteEntry(network, dev.name);

  const firewall = load(ctx, 'firewall');
  if (firewall) {
    for (const z of zoneSections(firewall)) {
      if (sectionList(z, 'network').includes(name)) delListItem(firewall, z.name, 'network', name);
    }
    if (firewall.delta.length > 0) touched.push(firewall);
  }
  const wanbond = loadWanbond(ctx, uci);
  if (wanbond) {
    // Counted, not read from the delta: a package loaded from a path (wanbondFile) records none.
    const links = wanbond.sectionsOfType('link').filter((l) => sectionOption(l, 'interface') === name);
    for (const l of links) deleteEntry(wanbond, l.name);
    if (links.length > 0) touched.push(wanbond);
  }
  return { changes: finish(ctx, touched, opts.commit ?? true), warnings };
}

/** The list as a text table for the CLI. */
export function formatMacvlanList(list: MacvlanWan[]): string {
  if (list.length === 0) return 'no MacVLAN WANs\n';
  const rows = [
    ['INTERFACE', 'DEVICE', 'PARENT', 'MODE', 'MACADDR', 'PROTO', 'ADDRESS', 'GATEWAY', 'METRIC', 'ZONE', 'LINK'],
    ...list.map((w) => [
      w.interface,
      w.device,
      w.parent ?? '-',
      w.mode ?? '-',
      w.macaddr ?? '-',
      w.proto ?? '-',
      w.ipaddr !== undefined ? (w.netmask !== undefined ? `${w.ipaddr}/${netmaskToPrefix(w.netmask)}` : w.ipaddr) : '-',
      w.gateway ?? '-',
      w.metric ?? '-',
      w.zones.join(',') || '-',
      w.links.join(',') || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}

function netmaskToPrefix(mask: string): string {
  if (!isIPv4(mask)) return mask;
  const n = mask.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
  let bits = 0;
  for (let b = 31; b >= 0 && Math.floor(n / 2 ** b) % 2 === 1; b--) bits++;
  return String(bits);
}
