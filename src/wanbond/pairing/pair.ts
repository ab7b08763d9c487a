/**
 * `wanbond pair` on the server: add (or replace) a `config client NAME` in the server config and build the
 * pairing line for it. The file is re-validated with the server's own parser before it is written, so pairing
 * never leaves a config the running server would refuse.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { networkOf, parseCidr, parseIp } from '../config/net.js';
import { parseServerConfig } from '../config/server.js';
import type { ServerConfig } from '../config/types.js';
import { decodeKey, generatePrivateKey, publicKeyOf } from '../engine/keys.js';
import { formatPairingLine, isClientName, isPublicAddress, type PairingLine } from './line.js';
import { formatIp, nextFreeAddress } from './pool.js';
import { addList, deleteOption, ensureSection, openUciFile, setOption } from './uci-file.js';

export class PairError extends Error {}

export interface PairOptions {
  name: string;
  /** LAN subnets behind the router (`list route`). */
  lans?: string[];
  /** The router's public key; without it a key pair is generated and the private key goes into the line. */
  publicKey?: string;
  /** HOST or HOST:PORT ([v6]:PORT) routers reach the server at; default: the config's listen address if public. */
  endpoints?: string[];
  /** Replace an existing client of that name. */
  force?: boolean;
  /** Key generator (tests pass a fixed one). */
  generateKey?: () => string;
}

export interface PairResult {
  line: string;
  pairing: PairingLine;
  /** The new client's public key. */
  publicKey: string;
  /** The server generated the key pair (the line carries the private key). */
  generatedKey: boolean;
  /** An existing client of that name was replaced. */
  replaced: boolean;
}

interface Endpoint {
  host: string;
  port?: number;
}

/** HOST, HOST:PORT, IPv6 address, or [IPv6]:PORT. */
function parseEndpoint(text: string): Endpoint {
  const bad = () => new PairError(`--endpoint '${text}': expected HOST, HOST:PORT or [IPv6]:PORT`);
  let host = text;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
    if (parseIp(host)?.family !== 6) throw bad();
  } else if (!parseIp(text)) {
    const m = /^([^:]+):(\d+)$/.exec(text);
    if (m) {
      host = m[1]!;
      portText = m[2];
    }
  }
  if (host === '' || /[\s/,?&=#]/.test(host) || host.includes(':') !== (parseIp(host)?.family === 6)) throw bad();
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) throw bad();
  return { host, port };
}

function readServerConfig(path: string): { text: Buffer; config: ServerConfig } {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    throw new PairError(`cannot read the server config ${path}: ${(err as Error).message}`);
  }
  const { config } = parseServerConfig(text, path, { readFile: (p) => readFileSync(p, 'utf8') });
  return { text, config };
}

function pickEndpoints(config: ServerConfig, given: string[]): { hosts: string[]; port: number } {
  if (given.length === 0) {
    if (!isPublicAddress(config.listen))
      throw new PairError(
        `the server listens on '${config.listen}', which routers cannot reach as such: pass --endpoint with its public name or address`,
      );
    return { hosts: [config.listen], port: config.port };
  }
  const eps = given.map(parseEndpoint);
  const ports = new Set(eps.map((e) => e.port ?? config.port));
  if (ports.size > 1) throw new PairError('all --endpoint values must use the same port (the server has one)');
  const hosts = [...new Set(eps.map((e) => e.host))];
  return { hosts, port: [...ports][0]! };
}

function withPrefix(address: string, net: string): string {
  return `${address}/${net.split('/')[1]}`;
}

/** Adds the client to the config file at `confPath` and returns its pairing line. Throws PairError / ConfigError. */
export function pairClient(confPath: string, opts: PairOptions): PairResult {
  const name = opts.name;
  if (!isClientName(name))
    throw new PairError(`client name '${name}' must be 1-64 letters, digits or '_' (it becomes a UCI section name)`);
  const lans = opts.lans ?? [];
  for (const lan of lans) {
    const c = parseCidr(lan);
    if (!c) throw new PairError(`--lan '${lan}': expected a subnet like 192.168.1.0/24`);
    if (networkOf(c) !== c.value)
      throw new PairError(
        `--lan '${lan}' has host bits set: did you mean ${formatIp(c.family, networkOf(c))}/${c.prefix}?`,
      );
  }
  if (opts.publicKey !== undefined) {
    try {
      decodeKey(opts.publicKey, 'public key');
    } catch {
      throw new PairError(`--pubkey: expected the router's base64 public key (32 bytes, 'wanbond pubkey' prints it)`);
    }
  }
  const { config } = readServerConfig(confPath);
  const { hosts, port } = pickEndpoints(config, opts.endpoints ?? []);

  const file = openUciFile(confPath);
  const pkg = file.pkg;
  const existing = pkg.section(name);
  if (existing && existing.type !== 'client')
    throw new PairError(`'${name}' is already the name of a 'config ${existing.type}' section: pick another name`);
  const old = config.clients.find((c) => c.name === name);
  if (old && !opts.force)
    throw new PairError(
      `a client named '${name}' exists (address ${old.address}): use --force to replace it (its old key stops working)`,
    );
  const others = config.clients.filter((c) => c.name !== name);

  let privateKey: string | undefined;
  let publicKey = opts.publicKey;
  if (publicKey === undefined) {
    privateKey = (opts.generateKey ?? generatePrivateKey)();
    publicKey = publicKeyOf(privateKey);
  }
  const clash = others.find((c) => c.publicKey === publicKey);
  if (clash) throw new PairError(`client '${clash.name}' already uses this public key: one key per router`);

  const address =
    old?.address ??
    nextFreeAddress(
      config.address,
      others.map((c) => c.address),
    );
  let address6: string | undefined;
  if (config.address6 !== undefined)
    address6 =
      old?.address6 ??
      nextFreeAddress(
        config.address6,
        others.flatMap((c) => (c.address6 ? [c.address6] : [])),
      );

  ensureSection(pkg, name, 'client');
  for (const o of [...(pkg.section(name)?.options ?? [])]) deleteOption(pkg, name, o.name);
  setOption(pkg, name, 'public_key', publicKey);
  setOption(pkg, name, 'address', address);
  if (address6 !== undefined) setOption(pkg, name, 'address6', address6);
  addList(pkg, name, 'route', lans);

  // The edited file must pass the same checks the server applies on reload (route overlaps, pool bounds...).
  try {
    parseServerConfig(file.text(), confPath, { readFile: (p) => readFileSync(p, 'utf8') });
  } catch (err) {
    if (err instanceof ConfigError) throw new PairError(`the new client would make the config invalid: ${err.message}`);
    throw err;
  }
  file.commit();

  const pairing: PairingLine = {
    hosts,
    port,
    serverKey: publicKeyOf(config.privateKey),
    name,
    address: withPrefix(address, config.address),
    routes: lans,
  };
  if (address6 !== undefined && config.address6 !== undefined) pairing.address6 = withPrefix(address6, config.address6);
  if (privateKey !== undefined) pairing.privateKey = privateKey;
  else pairing.clientKey = publicKey;
  return {
    line: formatPairingLine(pairing),
    pairing,
    publicKey,
    generatedKey: privateKey !== undefined,
    replaced: old !== undefined,
  };
}
