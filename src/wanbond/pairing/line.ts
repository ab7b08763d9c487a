/**
 * The pairing line `wanbond://v1?...` that `wanbond pair` prints and `wanbond join` consumes (docs/pairing.md).
 * Only URL-safe characters, so it survives chat apps, terminals and QR codes; fields in a fixed order so the same
 * pairing always gives the same line; a short checksum so a truncated or edited line is rejected, not half-applied.
 */
import { createHash } from 'node:crypto';
import { isHostname, isNetworkOrBroadcast, parseCidr, parseIp } from '../config/net.js';
import { decodeKey } from '../engine/keys.js';

const LINE_SCHEME = 'wanbond://';
const LINE_VERSION = 1;

export interface PairingLine {
  /** Server addresses to try, host names or IPv4/IPv6 addresses (the first is the one `join` configures). */
  hosts: string[];
  port: number;
  /** The server's public key, base64 (the form the configs use). */
  serverKey: string;
  /** The client's name on the server (its `config client` section). */
  name: string;
  /** The router's tunnel address with the tunnel's prefix, e.g. 10.255.0.2/24. */
  address: string;
  /** Optional IPv6 tunnel address with prefix, e.g. fd00:255::2/64. */
  address6?: string;
  /** LAN subnets the server routes to this router. */
  routes: string[];
  /** The router's private key, base64, present only when the server generated the key pair. */
  privateKey?: string;
  /** The router's public key as the server registered it (`--pubkey`), so `join` can check it matches. */
  clientKey?: string;
}

export class PairingLineError extends Error {}

const NAME_RE = /^[A-Za-z0-9_]{1,64}$/;

/** Checks a UCI section name usable as a client name. */
export function isClientName(name: string): boolean {
  return NAME_RE.test(name);
}

function keyToUrl(key: string, what: string): string {
  return decodeKey(key, what).toString('base64url');
}

function keyFromUrl(text: string, what: string): string {
  const raw = /^[A-Za-z0-9_-]{43}$/.test(text) ? Buffer.from(text, 'base64url') : undefined;
  if (raw?.length !== 32 || raw.toString('base64url') !== text)
    throw new PairingLineError(`${what} is not a 32-byte key in base64url (43 characters)`);
  return raw.toString('base64');
}

function checksum(body: string): string {
  return createHash('sha256').update(body).digest().subarray(0, 4).toString('base64url');
}

function checkHost(host: string): void {
  if (!isHostname(host)) throw new PairingLineError(`server address '${host}' is not a host name or IP address`);
}

function checkAddress(address: string, address6: string | undefined): void {
  const a = parseCidr(address);
  if (a?.family !== 4 || a.prefix > 30 || isNetworkOrBroadcast(a, a))
    throw new PairingLineError(
      `tunnel address '${address}' is not an IPv4 host address with prefix (e.g. 10.255.0.2/24)`,
    );
  if (address6 !== undefined) {
    const a6 = parseCidr(address6);
    if (a6?.family !== 6 || a6.prefix > 127)
      throw new PairingLineError(`tunnel IPv6 address '${address6}' is not an IPv6 address with prefix`);
  }
}

function checkRoute(route: string): void {
  if (!parseCidr(route)) throw new PairingLineError(`LAN route '${route}' is not a subnet like 192.168.1.0/24`);
}

/** Validates every field; throws PairingLineError naming the bad one. */
function validatePairing(p: PairingLine): void {
  if (p.hosts.length === 0) throw new PairingLineError('no server address');
  for (const h of p.hosts) checkHost(h);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
    throw new PairingLineError(`port ${p.port} is out of range 1..65535`);
  if (!isClientName(p.name))
    throw new PairingLineError(`client name '${p.name}' must be 1-64 letters, digits or '_' (a UCI section name)`);
  checkAddress(p.address, p.address6);
  for (const r of p.routes) checkRoute(r);
  if (p.privateKey !== undefined && p.clientKey !== undefined)
    throw new PairingLineError('a line carries the client private key or its public key, not both');
}

/** Builds the line. Field order is fixed: n h p k a a6 r sk pk, then the checksum c. */
export function formatPairingLine(p: PairingLine): string {
  validatePairing(p);
  const fields: [string, string][] = [
    ['n', p.name],
    ['h', p.hosts.join(',')],
    ['p', String(p.port)],
    ['k', keyToUrl(p.serverKey, 'server key')],
    ['a', p.address],
  ];
  if (p.address6 !== undefined) fields.push(['a6', p.address6]);
  if (p.routes.length > 0) fields.push(['r', p.routes.join(',')]);
  if (p.privateKey !== undefined) fields.push(['sk', keyToUrl(p.privateKey, 'client private key')]);
  if (p.clientKey !== undefined) fields.push(['pk', keyToUrl(p.clientKey, 'client public key')]);
  const body = `${LINE_SCHEME}v${LINE_VERSION}?${fields.map(([k, v]) => `${k}=${v}`).join('&')}`;
  return `${body}&c=${checksum(body)}`;
}

const KNOWN = new Set(['n', 'h', 'p', 'k', 'a', 'a6', 'r', 'sk', 'pk', 'c']);

/**
 * Parses a line as pasted: whitespace anywhere (wrapped lines) is ignored, and percent-encoding added by a chat
 * app or a URL field is undone. Throws PairingLineError with a message fit for the user.
 */
export function parsePairingLine(input: string): PairingLine {
  const line = input.replace(/\s+/g, '');
  if (line === '') throw new PairingLineError('empty pairing line');
  if (!line.toLowerCase().startsWith(LINE_SCHEME))
    throw new PairingLineError(
      `a pairing line starts with '${LINE_SCHEME}' (copy the whole line 'wanbond pair' printed)`,
    );
  const rest = line.slice(LINE_SCHEME.length);
  const q = rest.indexOf('?');
  const version = q < 0 ? rest : rest.slice(0, q);
  const vm = /^v(\d{1,4})\/?$/.exec(version);
  if (!vm) throw new PairingLineError(`'${version}' is not a pairing line version (expected v${LINE_VERSION})`);
  if (Number(vm[1]) !== LINE_VERSION)
    throw new PairingLineError(
      `this is a version ${Number(vm[1])} pairing line; this wanbond reads version ${LINE_VERSION}: update wanbond on this router`,
    );
  if (q < 0) throw new PairingLineError('the pairing line has no fields (nothing after the version)');

  const cAt = line.lastIndexOf('&c=');
  if (cAt < 0) throw new PairingLineError('the pairing line has no checksum field c: it was probably cut short');
  const values = new Map<string, string>();
  for (const part of rest.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new PairingLineError(`field '${part}' is not name=value`);
    const key = part.slice(0, eq);
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1));
    } catch {
      throw new PairingLineError(`field '${key}' has broken percent-encoding`);
    }
    if (!KNOWN.has(key)) throw new PairingLineError(`unknown field '${key}'`);
    if (values.has(key)) throw new PairingLineError(`field '${key}' appears twice`);
    values.set(key, value);
  }
  // The checksum covers the line as printed; re-encoded characters are normalised first so a percent-encoded copy
  // still matches.
  let body: string;
  try {
    body = decodeURIComponent(line.slice(0, cAt));
  } catch {
    throw new PairingLineError('the pairing line has broken percent-encoding');
  }
  body = LINE_SCHEME + body.slice(LINE_SCHEME.length);
  if (checksum(body) !== values.get('c'))
    throw new PairingLineError('checksum mismatch: the line was changed or cut short; copy it again');

  const need = (key: string, what: string): string => {
    const v = values.get(key);
    if (v === undefined || v === '') throw new PairingLineError(`missing ${what} (field ${key})`);
    return v;
  };
  const portText = need('p', 'port');
  if (!/^\d{1,5}$/.test(portText)) throw new PairingLineError(`port '${portText}' is not a number`);
  const p: PairingLine = {
    name: need('n', 'client name'),
    hosts: need('h', 'server address').split(','),
    port: Number(portText),
    serverKey: keyFromUrl(need('k', 'server key'), 'server key (field k)'),
    address: need('a', 'tunnel address'),
    routes: values.get('r') ? values.get('r')!.split(',') : [],
  };
  const a6 = values.get('a6');
  if (a6) p.address6 = a6;
  const sk = values.get('sk');
  if (sk) p.privateKey = keyFromUrl(sk, 'client private key (field sk)');
  const pk = values.get('pk');
  if (pk) p.clientKey = keyFromUrl(pk, 'client public key (field pk)');
  validatePairing(p);
  return p;
}

/** True for an address a router on the internet can reach: not private, loopback, link-local or unspecified. */
export function isPublicAddress(text: string): boolean {
  const ip = parseIp(text);
  if (!ip) return false;
  const inNet = (cidr: string) => {
    const c = parseCidr(cidr)!;
    const bits = c.family === 4 ? 32 : 128;
    return c.family === ip.family && ip.value >> BigInt(bits - c.prefix) === c.value >> BigInt(bits - c.prefix);
  };
  const v4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12'];
  const more4 = ['192.168.0.0/16', '224.0.0.0/3'];
  const v6 = ['::/127', '::ffff:0:0/96', 'fc00::/7', 'fe80::/10', 'ff00::/8'];
  return ![...v4, ...more4, ...v6].some(inNet);
}
