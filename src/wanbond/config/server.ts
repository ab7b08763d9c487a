import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { sectionsByType } from 'uci-parser';
import { ConfigError } from './errors.js';
import { type Cidr, contains, isInterfaceName, isNetworkOrBroadcast, overlaps, parseCidr, parseIp } from './net.js';
import { parseConfigText } from './parse-uci.js';
import { type ReadContext, SectionReader, shown } from './reader.js';
import {
  DEFAULT_PORT,
  DEFAULT_TUN,
  fileMode,
  type LoadedConfig,
  MTU_MAX,
  MTU_MIN,
  type ParseOptions,
  warnUnknownSections,
} from './router.js';
import type { ClientConfig, ForwardConfig, ServerConfig } from './types.js';

const KNOWN_SECTIONS = ['server', 'client'];

function readForward(r: SectionReader, text: string, routes: Cidr[], address: Cidr): ForwardConfig {
  const m = /^(tcp|udp):(\d{1,5}):(.+):(\d{1,5})$/.exec(text);
  const bad = (why: string) =>
    r.error(
      'forward',
      `${why} in ${shown(text)} (expected 'proto:public_port:host:port', e.g. 'tcp:8080:192.168.1.10:80')`,
    );
  if (!m) throw bad('bad syntax');
  const publicPort = Number(m[2]);
  const port = Number(m[4]);
  if (publicPort < 1 || publicPort > 65535) throw bad('public port out of range 1..65535');
  if (port < 1 || port > 65535) throw bad('port out of range 1..65535');
  let host = m[3]!;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const ip = parseIp(host);
  if (!ip) throw bad('host is not an IP address');
  if (!contains(address, ip) && !routes.some((c) => contains(c, ip)))
    throw bad("host is neither the client's tunnel address nor inside one of its routes");
  return { proto: m[1] as 'tcp' | 'udp', publicPort, host, port };
}

/**
 * The server config (/etc/wanbond/server): `config server 'main'` and one `config client NAME` per router.
 * Checks addresses against the tunnel subnet, uniqueness of keys, addresses, routes and forwarded ports.
 */
export function parseServerConfig(
  text: string | Uint8Array,
  file: string,
  options: ParseOptions = {},
): LoadedConfig<ServerConfig> {
  const pkg = parseConfigText(text, file);
  const ctx: ReadContext = { file, pkg, warnings: [], readFile: options.readFile, modeOf: options.modeOf };
  const mains = sectionsByType(pkg, 'server');
  if (mains.length === 0)
    throw new ConfigError("no 'config server' section (expected config server 'main')", { file, pkg: pkg.name });
  const main = new SectionReader(ctx, mains.find((s) => s.name === 'main') ?? mains[0]!);
  for (const extra of mains.filter((s) => s !== main.section))
    new SectionReader(ctx, extra).warn(undefined, "a second 'config server' section, ignored");

  const listen = main.str('listen') ?? '::';
  if (!parseIp(listen))
    throw main.error('listen', `expected a local IP address (or :: / 0.0.0.0), got ${shown(listen)}`);
  const port = main.port('port') ?? DEFAULT_PORT;
  const privateKey = main.privateKey(true);
  const addressText = main.required('address', '10.255.0.1/24');
  const net = parseCidr(addressText);
  if (net?.family !== 4 || net.prefix > 30 || isNetworkOrBroadcast(net, net))
    throw main.error(
      'address',
      `expected the server's tunnel IPv4 address with prefix (at most /30), e.g. 10.255.0.1/24, got ${shown(addressText)}`,
    );
  const address6Text = main.str('address6');
  let net6: Cidr | undefined;
  if (address6Text !== undefined) {
    net6 = parseCidr(address6Text);
    if (net6?.family !== 6 || net6.prefix > 126)
      throw main.error(
        'address6',
        `expected an IPv6 address with prefix, e.g. fd00:ffff::1/64, got ${shown(address6Text)}`,
      );
  }
  const wanDevice = main.str('wan_device');
  if (wanDevice !== undefined && !isInterfaceName(wanDevice))
    throw main.error('wan_device', `expected a device name (1-15 characters), got ${shown(wanDevice)}`);
  const tunName = main.str('tun') ?? DEFAULT_TUN;
  if (!isInterfaceName(tunName))
    throw main.error('tun', `expected an interface name (1-15 characters), got ${shown(tunName)}`);
  const mtu = main.int('mtu', MTU_MIN, MTU_MAX, 'an MTU');
  // Resource limits (docs/limits.md); the engine's defaults apply when absent.
  const maxClients = main.int('max_clients', 1, 65535, 'a number of routers');
  const maxBufferMb = main.int('max_buffer_mb', 16, 1_048_576, 'a size in MiB');
  const config: ServerConfig = {
    file,
    listen,
    port,
    privateKey,
    address: addressText,
    masquerade: main.bool('masquerade', true),
    tunName,
    clients: [],
  };
  if (address6Text !== undefined) config.address6 = address6Text;
  if (wanDevice !== undefined) config.wanDevice = wanDevice;
  if (mtu !== undefined) config.mtu = mtu;
  if (maxClients !== undefined) config.maxClients = maxClients;
  if (maxBufferMb !== undefined) config.maxBufferMb = maxBufferMb;
  main.finish();

  const keys = new Map<string, string>();
  const addresses = new Map<bigint, string>([[net.value, `the server (${main.ref})`]]);
  const addresses6 = new Map<bigint, string>();
  if (net6) addresses6.set(net6.value, `the server (${main.ref})`);
  const routes: { cidr: Cidr; text: string; client: string }[] = [];
  const publicPorts = new Map<string, string>();
  for (const s of sectionsByType(pkg, 'client')) {
    const r = new SectionReader(ctx, s);
    const publicKey = r.required('public_key', '<router public key>');
    r.checkKey('public_key', publicKey, false);
    const sameKey = keys.get(publicKey);
    if (sameKey) throw r.error('public_key', `same public key as client ${sameKey}`);
    keys.set(publicKey, r.ref);

    const addrText = r.required('address', '10.255.0.2');
    const a = parseCidr(addrText, false);
    if (a?.family !== 4 || a.prefix !== 32)
      throw r.error('address', `expected the client's tunnel IPv4 address, e.g. 10.255.0.2, got ${shown(addrText)}`);
    if (!contains(net, a) || isNetworkOrBroadcast(net, a))
      throw r.error('address', `${shown(addrText)} is not a host address of the server's subnet ${addressText}`);
    const taken = addresses.get(a.value);
    if (taken) throw r.error('address', `${shown(addrText)} is already used by ${taken}`);
    addresses.set(a.value, `client ${r.ref}`);
    const client: ClientConfig = { name: s.name, publicKey, address: addrText, routes: [], forwards: [] };

    const a6Text = r.str('address6');
    if (a6Text !== undefined) {
      const a6 = parseCidr(a6Text, false);
      if (a6?.family !== 6 || a6.prefix !== 128)
        throw r.error('address6', `expected the client's tunnel IPv6 address, got ${shown(a6Text)}`);
      if (!net6) throw r.error('address6', 'the server has no address6, so clients cannot have one');
      if (!contains(net6, a6)) throw r.error('address6', `${shown(a6Text)} is not inside the server's ${address6Text}`);
      const taken6 = addresses6.get(a6.value);
      if (taken6) throw r.error('address6', `${shown(a6Text)} is already used by ${taken6}`);
      addresses6.set(a6.value, `client ${r.ref}`);
      client.address6 = a6Text;
    }

    const own: Cidr[] = [];
    for (const text of r.list('route')) {
      const c = parseCidr(text, false);
      if (!c) throw r.error('route', `expected a subnet like 192.168.1.0/24, got ${shown(text)}`);
      if (c.prefix === 0) throw r.error('route', `${shown(text)} would send all traffic to one client`);
      if (overlaps(c, net)) throw r.error('route', `${shown(text)} overlaps the tunnel subnet ${addressText}`);
      const clash = routes.find((x) => overlaps(x.cidr, c));
      if (clash) throw r.error('route', `${shown(text)} overlaps ${shown(clash.text)} of client ${clash.client}`);
      routes.push({ cidr: c, text, client: r.ref });
      own.push(c);
      client.routes.push(text);
    }

    for (const text of r.list('forward')) {
      const f = readForward(r, text, own, a);
      if (f.proto === 'udp' && f.publicPort === port)
        throw r.error('forward', `public port ${f.publicPort}/udp is the tunnel's own port`);
      const key = `${f.proto}:${f.publicPort}`;
      const used = publicPorts.get(key);
      if (used) throw r.error('forward', `public port ${f.publicPort}/${f.proto} is already forwarded by ${used}`);
      publicPorts.set(key, `client ${r.ref}`);
      client.forwards.push(f);
    }
    const rate = r.int('rate_limit_kbit', 64, 10_000_000, 'a rate in kbit/s');
    if (rate !== undefined) client.rateLimitKbit = rate;
    config.clients.push(client);
    r.finish();
  }
  // Allowed: the cap is on routers connected at once, not on the ones the server knows.
  if (maxClients !== undefined && config.clients.length > maxClients)
    main.warn(
      'max_clients',
      `${config.clients.length} clients configured, at most ${maxClients} can have a session at the same time`,
    );
  warnUnknownSections(ctx, KNOWN_SECTIONS);
  return { config, warnings: ctx.warnings };
}

/** Reads and parses a server config file; key_file paths are read from disk. */
export async function loadServerConfig(path: string): Promise<LoadedConfig<ServerConfig>> {
  const text = await readFile(path);
  return parseServerConfig(text, path, { readFile: (p) => readFileSync(p, 'utf8'), modeOf: fileMode });
}
