/**
 * The method table both transports serve: names, parameter types (advertised as the ubus signature), argument
 * checks and the call into the provider. `invokeControl` never throws: every failure is a status code.
 */
import { scrubSecrets } from './secrets.js';
import {
  CONTROL_STATUS,
  ControlError,
  type ControlMethod,
  type ControlParamType,
  type ControlProvider,
  type LinkEvent,
} from './types.js';

export interface ControlMethodDef {
  params: Record<string, ControlParamType>;
  call(args: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
}

export interface ControlResult {
  status: number;
  data?: Record<string, unknown>;
  error?: string;
}

export interface ControlOptions {
  /** Recent link events for the `events` method (LinkEventTracker.events). */
  events?: () => LinkEvent[];
  /** Called with unexpected exceptions (bugs), which answer UNKNOWN_ERROR. */
  onError?: (err: unknown, method: string) => void;
}

function optionalString(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function controlMethods(provider: ControlProvider, opts: ControlOptions = {}): Record<string, ControlMethodDef> {
  const methods: Record<string, ControlMethodDef> = {
    status: { params: {}, call: async () => ({ ...(await provider.status()) }) },
    links: { params: {}, call: async () => ({ links: await provider.links() }) },
    policies: { params: {}, call: async () => ({ policies: await provider.policies() }) },
    reload: { params: {}, call: async () => ({ ...(await provider.reload()) }) },
    speedtest: {
      // `seconds` (wanbond speedtest --seconds) is read but not declared: LuCI never sends it, and its signature
      // check wants exactly what it sends.
      params: { link: 'STRING' },
      call: async (args) => {
        if (!provider.speedtest) throw new ControlError('NOT_SUPPORTED', 'this daemon does not run speed tests');
        const link = optionalString(args, 'link');
        const seconds = Number.isInteger(args.seconds) ? (args.seconds as number) : undefined;
        return {
          ...(await provider.speedtest({
            ...(link !== undefined ? { link } : {}),
            ...(seconds !== undefined ? { seconds } : {}),
          })),
        };
      },
    },
    speedtest_result: {
      params: { job: 'STRING' },
      call: async (args) => {
        if (!provider.speedtestResult) throw new ControlError('NOT_SUPPORTED', 'this daemon does not run speed tests');
        return { ...(await provider.speedtestResult(optionalString(args, 'job'))) };
      },
    },
  };
  if (opts.events) {
    const events = opts.events;
    methods.events = { params: {}, call: async () => ({ events: events() }) };
  }
  for (const [name, m] of Object.entries(provider.extraMethods ?? {}) as [string, ControlMethod][]) {
    methods[name] = { params: m.params ?? {}, call: async (args) => m.handler(args) };
  }
  return methods;
}

function typeMatches(t: ControlParamType, v: unknown): boolean {
  switch (t) {
    case 'STRING':
      return typeof v === 'string';
    case 'INT32':
      return typeof v === 'number' && Number.isInteger(v);
    case 'DOUBLE':
      return typeof v === 'number';
    case 'BOOL':
      return typeof v === 'boolean' || v === 0 || v === 1;
    case 'ARRAY':
      return Array.isArray(v);
    case 'TABLE':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

/** Checks declared parameters; undeclared ones (such as rpcd's `ubus_rpc_session`) are ignored. */
export function checkArgs(def: ControlMethodDef, args: Record<string, unknown>): string | undefined {
  for (const [name, type] of Object.entries(def.params)) {
    const v = args[name];
    if (v === undefined || v === null) continue;
    if (!typeMatches(type, v)) return `argument '${name}' must be ${type.toLowerCase()}`;
  }
  return undefined;
}

export async function invokeControl(
  methods: Record<string, ControlMethodDef>,
  name: string,
  args: unknown,
  secrets: string[],
  onError?: (err: unknown, method: string) => void,
): Promise<ControlResult> {
  const def = Object.hasOwn(methods, name) ? methods[name] : undefined;
  if (!def) return { status: CONTROL_STATUS.METHOD_NOT_FOUND, error: `unknown method '${name}'` };
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
    return { status: CONTROL_STATUS.INVALID_ARGUMENT, error: 'arguments must be an object' };
  }
  const a = (args ?? {}) as Record<string, unknown>;
  const bad = checkArgs(def, a);
  if (bad) return { status: CONTROL_STATUS.INVALID_ARGUMENT, error: bad };
  try {
    const data = await def.call(a);
    return data === undefined ? { status: 0 } : { status: 0, data: scrubSecrets(data, secrets) };
  } catch (err) {
    if (err instanceof ControlError) return { status: err.status, error: scrubSecrets(err.message, secrets) };
    onError?.(err, name);
    return { status: CONTROL_STATUS.UNKNOWN_ERROR, error: 'internal error (see the daemon log)' };
  }
}
