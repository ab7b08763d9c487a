/**
 * Link-level view of netifd for the router daemon: for every enabled link with an `interface`, tells the daemon
 * where its socket belongs now ({device, source, up}) whenever netifd changes it, so the daemon can re-bind the
 * link's socket and tell the engine (onPathChange 'address' / 'down' / 'up') without restarting the session.
 */
import type { UbusClient } from 'ubus-js';
import type { LinkConfig } from '../config/types.js';
import type { NetifdInterfaceState } from './netifd.js';
import { type NetifdChangeReason, watchNetifd } from './netifd-watch.js';

export interface LinkPlacement {
  link: string;
  interface: string;
  up: boolean;
  /** Config device/source win over netifd's, as in netifdLinkResolver. */
  device?: string;
  source?: string;
  gateway?: string;
  reason: NetifdChangeReason;
}

export type LinkPlacementHandler = (placement: LinkPlacement) => void;

export interface NetifdLinkWatch {
  close(): Promise<void>;
}

export function placementFor(link: LinkConfig, st: NetifdInterfaceState, reason: NetifdChangeReason): LinkPlacement {
  const device = link.device ?? st.device;
  const source = link.source ?? st.source;
  return {
    link: link.name,
    interface: st.interface,
    // Without a source address the link's socket cannot be bound: treat it as down.
    up: st.up && source !== undefined,
    ...(device ? { device } : {}),
    ...(source ? { source } : {}),
    ...(st.gateway ? { gateway: st.gateway } : {}),
    reason,
  };
}

/**
 * `links()` is read on every change, so a config reload that adds or moves links needs no re-subscription.
 * Several links may use one interface; each gets its own callback.
 */
export async function watchLinkInterfaces(
  ubus: UbusClient,
  links: () => LinkConfig[],
  onPlacement: LinkPlacementHandler,
  opts: { onError?: (err: unknown, iface: string) => void } = {},
): Promise<NetifdLinkWatch> {
  const watch = await watchNetifd(
    ubus,
    (st, reason) => {
      for (const l of links()) {
        if (l.enabled && l.interface === st.interface) onPlacement(placementFor(l, st, reason));
      }
    },
    opts.onError ? { onError: opts.onError } : {},
  );
  return { close: () => watch.close() };
}
