/**
 * A link's netifd `interface` -> the device, source address and gateway its UDP socket should use, read from
 * `ubus call network.interface.<name> status` (netifd's `netifd_dump_status`): `up`, `l3_device` (the layer-3
 * device, e.g. pppoe-wan, not the underlying ethernet), `ipv4-address`/`ipv6-address` [{address, mask}] and
 * `route` [{target, mask, nexthop}] where the default route carries the gateway.
 */
import { STATUS, type UbusClient } from 'ubus-js';
import type { LinkConfig } from '../config/types.js';

export interface NetifdInterfaceState {
  interface: string;
  up: boolean;
  /** False while netifd still brings it up (`pending`) or its device is missing (`available` false). */
  available: boolean;
  device?: string;
  /** Preferred source address: the first IPv4 address, else the first global IPv6 address. */
  source?: string;
  source4?: string;
  source6?: string;
  gateway?: string;
  gateway6?: string;
  proto?: string;
  /** Seconds since netifd brought it up. */
  uptime?: number;
}

type Json = Record<string, unknown>;

const list = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => !!x && typeof x === 'object' && !Array.isArray(x)) : [];

function firstAddress(v: unknown, usable: (a: string) => boolean): string | undefined {
  for (const a of list(v)) if (typeof a.address === 'string' && usable(a.address)) return a.address;
  return undefined;
}

/** Link-local and ULA-less checks are kept simple: skip fe80::/10, which can never be a WAN source. */
const globalV6 = (a: string) => !/^fe[89ab]/i.test(a);

function defaultGateway(routes: unknown, family: 4 | 6): string | undefined {
  const any = family === 4 ? '0.0.0.0' : '::';
  for (const r of list(routes)) {
    if (r.target === any && (r.mask === 0 || r.mask === undefined) && typeof r.nexthop === 'string') {
      if (r.nexthop !== any) return r.nexthop;
    }
  }
  return undefined;
}

/** Parses a `status` reply (or the body of an `interface.update` notification, which is the same dump). */
export function parseInterfaceStatus(name: string, status: Json): NetifdInterfaceState {
  const up = status.up === true;
  const state: NetifdInterfaceState = {
    interface: name,
    up,
    available: status.available !== false && status.pending !== true,
  };
  const device = typeof status.l3_device === 'string' ? status.l3_device : undefined;
  const source4 = firstAddress(status['ipv4-address'], () => true);
  const source6 = firstAddress(status['ipv6-address'], globalV6);
  const gateway = defaultGateway(status.route, 4);
  const gateway6 = defaultGateway(status.route, 6);
  if (up && device) state.device = device;
  if (up && source4) state.source4 = source4;
  if (up && source6) state.source6 = source6;
  const source = source4 ?? source6;
  if (up && source) state.source = source;
  if (up && gateway) state.gateway = gateway;
  if (up && gateway6) state.gateway6 = gateway6;
  if (typeof status.proto === 'string') state.proto = status.proto;
  if (typeof status.uptime === 'number') state.uptime = status.uptime;
  return state;
}

export class NetifdError extends Error {
  override name = 'NetifdError';
}

/** Asks netifd for one interface. Throws NetifdError when netifd does not know it (or does not answer). */
export async function resolveInterface(
  ubus: UbusClient,
  name: string,
  timeoutMs = 5000,
): Promise<NetifdInterfaceState> {
  const r = await ubus.call(`network.interface.${name}`, 'status', {}, { timeoutMs });
  if (r.status === STATUS.NOT_FOUND) {
    throw new NetifdError(`netifd has no interface '${name}' (no ubus object network.interface.${name})`);
  }
  if (r.status !== STATUS.OK || !r.data) {
    throw new NetifdError(`network.interface.${name} status failed with ubus status ${r.status}`);
  }
  return parseInterfaceStatus(name, r.data);
}

/**
 * For RouterDeps.resolveLink: a link with `interface` gets netifd's device and source; a link without one, or
 * with an explicit device/source in its config, keeps what the config says (config wins, so a user can pin it).
 */
export function netifdLinkResolver(
  ubus: UbusClient,
): (link: LinkConfig) => Promise<{ device?: string; source?: string; up?: boolean; gateway?: string }> {
  return async (link) => {
    if (!link.interface)
      return { ...(link.device ? { device: link.device } : {}), ...(link.source ? { source: link.source } : {}) };
    const st = await resolveInterface(ubus, link.interface);
    const device = link.device ?? st.device;
    const source = link.source ?? st.source;
    return {
      up: st.up,
      ...(device ? { device } : {}),
      ...(source ? { source } : {}),
      ...(st.gateway ? { gateway: st.gateway } : {}),
    };
  };
}
