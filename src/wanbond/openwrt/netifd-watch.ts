/**
 * Follows netifd so a WAN's path moves without restarting the session: subscribes to `network.interface`
 * (notifications `interface.update` / `interface.down`, whose body is the interface's full status dump plus
 * `interface`) and listens to the `network.interface` event ({action: ifup|ifdown, interface}), after which the
 * status is read again. Events are not replayed, so `start` also reads every watched interface once.
 * ubus-js re-subscribes after ubusd or netifd restarts; each re-subscription triggers a fresh read.
 */
import type { UbusClient } from 'ubus-js';
import { type NetifdInterfaceState, parseInterfaceStatus, resolveInterface } from './netifd.js';

export type NetifdChangeReason = 'initial' | 'interface.update' | 'interface.down' | 'ifup' | 'ifdown' | 'resync';

export type NetifdChangeHandler = (state: NetifdInterfaceState, reason: NetifdChangeReason) => void;

export interface NetifdWatchOptions {
  /** Only these interfaces (default: every interface netifd reports). */
  interfaces?: string[];
  /** Called when reading an interface fails (e.g. it does not exist yet). */
  onError?: (err: unknown, iface: string) => void;
}

export interface NetifdWatch {
  /** Latest known state per interface. */
  readonly states: ReadonlyMap<string, NetifdInterfaceState>;
  close(): Promise<void>;
}

function sameState(a: NetifdInterfaceState | undefined, b: NetifdInterfaceState): boolean {
  return (
    !!a &&
    a.up === b.up &&
    a.device === b.device &&
    a.source === b.source &&
    a.source6 === b.source6 &&
    a.gateway === b.gateway &&
    a.available === b.available
  );
}

export async function watchNetifd(
  ubus: UbusClient,
  onChange: NetifdChangeHandler,
  opts: NetifdWatchOptions = {},
): Promise<NetifdWatch> {
  const states = new Map<string, NetifdInterfaceState>();
  const wanted = (name: string) => !opts.interfaces || opts.interfaces.includes(name);
  let closed = false;

  /** Reports only real changes: netifd sends interface.update for every address/route refresh. */
  const report = (state: NetifdInterfaceState, reason: NetifdChangeReason, force = false) => {
    if (closed || !wanted(state.interface)) return;
    const prev = states.get(state.interface);
    states.set(state.interface, state);
    if (!force && sameState(prev, state)) return;
    try {
      onChange(state, reason);
    } catch (err) {
      opts.onError?.(err, state.interface);
    }
  };

  const refresh = async (name: string, reason: NetifdChangeReason) => {
    try {
      report(await resolveInterface(ubus, name), reason);
    } catch (err) {
      if (!closed) opts.onError?.(err, name);
    }
  };

  const refreshAll = async (reason: NetifdChangeReason) => {
    const names = opts.interfaces ?? (await ubus.lookup('network.interface.*')).map((o) => o.path.slice(18));
    await Promise.all(names.map((n) => refresh(n, reason)));
  };

  const subscription = await ubus.subscribe(
    'network.interface',
    (type, data) => {
      const name = data.interface;
      if (typeof name !== 'string') return;
      if (type === 'interface.update') report(parseInterfaceStatus(name, data), 'interface.update');
      else if (type === 'interface.down') {
        // The dump sent with interface.down still lists the old addresses; the interface is down all the same.
        report({ ...parseInterfaceStatus(name, { ...data, up: false }) }, 'interface.down');
      }
    },
    { waitForObject: true },
  );
  const listener = await ubus.listen('network.interface', (_ev, data) => {
    const name = data.interface;
    if (typeof name !== 'string' || !wanted(name)) return;
    void refresh(name, data.action === 'ifdown' ? 'ifdown' : 'ifup');
  });
  // After a ubusd or netifd restart nothing is replayed: read everything again.
  const onSubscribed = (path: string) => {
    if (path === 'network.interface') void refreshAll('resync');
  };
  ubus.on('subscribed', onSubscribed);
  await refreshAll('initial');

  return {
    states,
    close: async () => {
      closed = true;
      ubus.off('subscribed', onSubscribed);
      await Promise.all([subscription.close(), listener.close()]);
    },
  };
}
