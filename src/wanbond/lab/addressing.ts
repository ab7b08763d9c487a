/**
 * Names and addresses of a lab: pure functions of the prefix and the link index, so `lab down` can find everything
 * again from the prefix alone, even after a crash. Namespaces are PREFIX-SUFFIX; interfaces also carry the prefix.
 */

export const LAN_HOST = '192.168.1.2';
export const LAN_ROUTER = '192.168.1.1';
export const VPS_PUBLIC = '203.0.113.1';
export const NET_TO_VPS = '203.0.113.254';
export const INET_HOST = '198.51.100.1';
export const NET_TO_INET = '198.51.100.254';
export const TUNNEL_SERVER = '10.255.0.1';
export const TUNNEL_ROUTER = '10.255.0.2';

const NS_SUFFIXES = ['lan', 'rt', 'sw', 'net', 'vps', 'inet'] as const;

/** Prefixes stay short: interface names are PREFIX-SUFFIX and the kernel caps them at 15 bytes. */
export function checkPrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9]{0,8}$/.test(prefix)) {
    throw new Error(`prefix '${prefix}' must be 1-9 lowercase letters/digits starting with a letter`);
  }
  return prefix;
}

export function nsName(prefix: string, suffix: string): string {
  return `${prefix}-${suffix}`;
}

/** Matches exactly the namespaces a lab with this prefix creates, never another lab's (wb vs wb3fa2c1). */
export function isLabNamespace(prefix: string, name: string): boolean {
  const rest = name.startsWith(`${prefix}-`) ? name.slice(prefix.length + 1) : undefined;
  return rest !== undefined && ((NS_SUFFIXES as readonly string[]).includes(rest) || /^m\d$/.test(rest));
}

export interface LinkAddressing {
  index: number;
  /** Modem namespace (the modem and its carrier NAT). */
  modemNs: string;
  /** The router's WAN device (MacVLAN on the NIC) and its address on the modem subnet. */
  device: string;
  source: string;
  gateway: string;
  subnet: string;
  /** Policy routing table and rule priority in the router namespace. */
  table: number;
  /** TUN devices the emulator attaches to: in the modem namespace and in the internet core. */
  modemTun: string;
  coreTun: string;
  /** The modem's public (carrier) address, as the VPS sees it. */
  wanAddress: string;
  coreAddress: string;
}

export function linkAddressing(prefix: string, index: number): LinkAddressing {
  const subnet = 10 + index;
  return {
    index,
    modemNs: nsName(prefix, `m${index}`),
    device: `${prefix}-wan${index}`,
    source: `192.168.${subnet}.2`,
    gateway: `192.168.${subnet}.1`,
    subnet: `192.168.${subnet}.0/24`,
    table: 100 + index,
    modemTun: `${prefix}-up`,
    coreTun: `${prefix}-l${index}`,
    wanAddress: `100.64.${index}.2`,
    coreAddress: `100.64.${index}.1`,
  };
}

export function labNamespaces(prefix: string, links: number) {
  return {
    lan: nsName(prefix, 'lan'),
    router: nsName(prefix, 'rt'),
    switch: nsName(prefix, 'sw'),
    net: nsName(prefix, 'net'),
    vps: nsName(prefix, 'vps'),
    inet: nsName(prefix, 'inet'),
    modems: Array.from({ length: links }, (_, i) => nsName(prefix, `m${i + 1}`)),
  };
}
