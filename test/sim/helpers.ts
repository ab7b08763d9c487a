import {
  createClientEngine,
  createServerEngine,
  type Mode,
  type ServerClient,
} from '../../src/wanbond/engine/index.js';
import { keyFromPrivate } from '../../src/wanbond/engine/noise.js';
import { Link, type LinkSpec, NetSim, Rng, type SimPath } from './netsim.js';

export const CLIENT_V4 = '10.255.0.2';
export const INTERNET_V4 = '192.0.2.10';

export interface Keys {
  clientPriv: Uint8Array;
  clientPub: Buffer;
  serverPriv: Uint8Array;
  serverPub: Buffer;
}

export function makeKeys(rng: Rng): Keys {
  const clientPriv = rng.bytes(32);
  const serverPriv = rng.bytes(32);
  return {
    clientPriv,
    clientPub: keyFromPrivate(clientPriv).publicKey,
    serverPriv,
    serverPub: keyFromPrivate(serverPriv).publicKey,
  };
}

export interface SimOptions {
  seed?: number;
  links: Array<{ up: LinkSpec; down?: LinkSpec }>;
  mode?: Mode;
  timing?: Parameters<typeof createClientEngine>[0]['timing'];
  clientAddresses?: string[];
  routes?: string[];
  /** Register the client under a different key (unknown-client tests). */
  registerKey?: Uint8Array;
  classify?: (packet: Uint8Array) => Mode;
}

export function buildSim(o: SimOptions): { sim: NetSim; keys: Keys; rng: Rng } {
  const rng = new Rng(o.seed ?? 1);
  const keys = makeKeys(rng);
  const random = (n: number) => rng.bytes(n);
  const paths: SimPath[] = o.links.map((l, i) => ({
    id: i,
    up: new Link(l.up, rng),
    down: new Link(l.down ?? l.up, rng),
    address: `198.51.100.${i + 1}:40000`,
  }));
  const client = createClientEngine({
    privateKey: keys.clientPriv,
    serverPublicKey: keys.serverPub,
    paths: paths.map((p) => ({ id: p.id, name: `wan${p.id + 1}` })),
    mode: o.mode ?? 'bond',
    now: 0,
    random,
    ...(o.timing ? { timing: o.timing } : {}),
    ...(o.classify ? { classify: o.classify } : {}),
  });
  const registered: ServerClient = {
    name: 'router1',
    publicKey: o.registerKey ?? keys.clientPub,
    addresses: o.clientAddresses ?? [CLIENT_V4, 'fd00:255::2'],
    routes: o.routes ?? ['192.168.1.0/24'],
  };
  const server = createServerEngine({
    privateKey: keys.serverPriv,
    clients: [registered],
    now: 0,
    random,
    ...(o.timing ? { timing: o.timing } : {}),
  });
  return { sim: new NetSim(client, server, paths), keys, rng };
}

/** IPv4 packet (protocol 253, experimental) whose payload is a 4-byte counter then a pattern derived from it. */
export function ipv4(src: string, dst: string, counter: number, size: number): Uint8Array {
  const p = new Uint8Array(Math.max(28, size));
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, p.length);
  p[8] = 64;
  p[9] = 253;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  dv.setUint32(20, counter);
  for (let i = 24; i < p.length; i++) p[i] = (counter * 31 + i) & 0xff;
  return p;
}

/** IPv6 packet (next header 253) with the same payload shape. */
export function ipv6(src: Uint8Array, dst: Uint8Array, counter: number, size: number): Uint8Array {
  const p = new Uint8Array(Math.max(48, size));
  const dv = new DataView(p.buffer);
  p[0] = 0x60;
  dv.setUint16(4, p.length - 40);
  p[6] = 253;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  dv.setUint32(40, counter);
  for (let i = 44; i < p.length; i++) p[i] = (counter * 31 + i) & 0xff;
  return p;
}

export function counterOf(p: Uint8Array): number {
  const off = p[0]! >> 4 === 4 ? 20 : 40;
  return new DataView(p.buffer, p.byteOffset).getUint32(off);
}

/** Sends `count` packets at a fixed rate from `start`, through `send`. */
export function cbr(
  sim: NetSim,
  start: number,
  count: number,
  perSecond: number,
  make: (i: number) => Uint8Array,
  send: (p: Uint8Array, now: number) => void,
): void {
  const gap = 1000 / perSecond;
  for (let i = 0; i < count; i++) sim.at(start + i * gap, () => send(make(i), sim.now));
}

/** Largest gap between consecutive delivery times within [from, to]. */
export function maxGap(times: number[], from: number, to: number): number {
  let last = from;
  let gap = 0;
  for (const t of times) {
    if (t < from || t > to) continue;
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.max(gap, to - last);
}
