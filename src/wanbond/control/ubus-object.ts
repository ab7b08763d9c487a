/**
 * Serves the control methods as the ubus object `wanbond` (what LuCI, `ubus call wanbond status` and hotplug
 * scripts use). Fractions and milliseconds always travel as blobmsg DOUBLE, so their wire type does not flip to
 * INT32 when a value happens to be whole (0 loss, 1.0 share): jshn scripts and rpcd see a stable type.
 */
import { type MethodSpec, type ParamType, typed, type UbusClient, UbusError, type UbusObject } from 'ubus-js';
import { type ControlMethodDef, invokeControl } from './methods.js';
import type { LinkEvent } from './types.js';

export const UBUS_OBJECT_NAME = 'wanbond';
export const LINK_EVENT = 'wanbond.link';

const DOUBLE_FIELDS = new Set(['loss', 'share', 'rtt_ms', 'hold_ms', 'duplicate_overhead', 'bonded_of_estimates']);

/** Marks fractional fields as DOUBLE for the blobmsg encoder; everything else keeps libubox's JSON rules. */
export function toUbusWire(value: unknown, key?: string): unknown {
  if (typeof value === 'number' && key !== undefined && DOUBLE_FIELDS.has(key)) return typed('DOUBLE', value);
  if (Array.isArray(value)) return value.map((v) => toUbusWire(v));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toUbusWire(v, k)]));
  }
  return value;
}

export async function addControlObject(
  client: UbusClient,
  methods: Record<string, ControlMethodDef>,
  opts: { name?: string; secrets: () => string[]; onError?: (err: unknown, method: string) => void },
): Promise<UbusObject> {
  const specs: Record<string, MethodSpec> = {};
  for (const [name, def] of Object.entries(methods)) {
    specs[name] = {
      signature: def.params as Record<string, ParamType>,
      handler: async (args) => {
        const r = await invokeControl(methods, name, args, opts.secrets(), opts.onError);
        if (r.status !== 0) throw new UbusError(r.status, r.error);
        return r.data === undefined ? undefined : (toUbusWire(r.data) as Record<string, unknown>);
      },
    };
  }
  return client.addObject(opts.name ?? UBUS_OBJECT_NAME, specs);
}

/** `wanbond.link` both as a notification to the object's subscribers and as a ubus event (`ubus listen`). */
export async function publishLinkEvent(client: UbusClient, obj: UbusObject | undefined, ev: LinkEvent): Promise<void> {
  const body = { ...ev };
  obj?.notify(LINK_EVENT, body);
  await client.sendEvent(LINK_EVENT, body);
}
