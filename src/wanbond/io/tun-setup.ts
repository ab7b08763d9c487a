import { type Cidr, formatCidr } from './addr.js';
import { run } from './exec.js';

/**
 * Gives an open TUN device its MTU and addresses and brings it up. `replace` keeps this idempotent so reload can
 * call it again; addresses no longer wanted are removed. `nodad` because a point-to-point TUN has no neighbours
 * to collide with and DAD would hold IPv6 addresses tentative for a second or two.
 */
export async function configureTun(name: string, mtu: number, addresses: Cidr[]): Promise<void> {
  await run('ip', ['link', 'set', 'dev', name, 'mtu', String(mtu)]);
  const current = await tunAddresses(name);
  const wanted = new Set(addresses.map(formatCidr));
  for (const addr of current) {
    if (!wanted.has(addr)) await run('ip', ['addr', 'del', addr, 'dev', name]);
  }
  for (const addr of addresses) {
    const extra = addr.family === 6 ? ['nodad'] : [];
    await run('ip', [`-${addr.family}`, 'addr', 'replace', formatCidr(addr), 'dev', name, ...extra]);
  }
  await run('ip', ['link', 'set', 'dev', name, 'up']);
}

/** Global addresses on the device as `addr/prefix` (link-local ones belong to the kernel). */
export async function tunAddresses(name: string): Promise<string[]> {
  const out = await run('ip', ['-j', 'addr', 'show', 'dev', name]);
  const parsed = JSON.parse(out) as Array<{ addr_info?: Array<{ local: string; prefixlen: number; scope: string }> }>;
  return (parsed[0]?.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`);
}
