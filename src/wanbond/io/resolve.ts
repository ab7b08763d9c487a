import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolvedServer {
  host: string;
  /** Every address the name resolves to, IPv4 first: a link uses the first one of its own family. */
  addresses: Array<{ address: string; family: 4 | 6 }>;
}

/** Resolves the server name once; literal addresses pass through without a lookup so no resolver is needed. */
export async function resolveServer(host: string): Promise<ResolvedServer> {
  const literal = isIP(host);
  if (literal === 4 || literal === 6) return { host, addresses: [{ address: host, family: literal }] };
  const found = await lookup(host, { all: true, verbatim: false });
  const addresses = found
    .filter((a) => a.family === 4 || a.family === 6)
    .map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
  if (addresses.length === 0) throw new Error(`server '${host}' resolves to no address`);
  return { host, addresses };
}

export function addressForFamily(server: ResolvedServer, family: 4 | 6 | undefined): string | undefined {
  if (family === undefined) return server.addresses[0]?.address;
  return server.addresses.find((a) => a.family === family)?.address;
}
