export interface TunOpenOptions {
  /** Interface name, at most 15 bytes; may hold one '%d' for the kernel to number. Default: kernel picks 'tunN'. */
  name?: string;
  /** IFF_MULTI_QUEUE: open one more queue of the same device each time. Default false. */
  multiQueue?: boolean;
  /** Packets read per wake-up at most (1..1024). Default 64. */
  batchSize?: number;
  /** Bytes per packet slot (68..65536); must be >= the interface MTU, longer packets are dropped. Default 2048. */
  bufferSize?: number;
}

export interface ResolvedOpenOptions {
  name: string;
  multiQueue: boolean;
  batchSize: number;
  bufferSize: number;
}

export const DEFAULT_BATCH_SIZE = 64;
export const DEFAULT_BUFFER_SIZE = 2048;
export const MAX_BATCH_SIZE = 1024;
export const MIN_BUFFER_SIZE = 68;
export const MAX_BUFFER_SIZE = 65536;
/** IFNAMSIZ - 1 */
export const MAX_NAME_BYTES = 15;

const KNOWN_KEYS = new Set(['name', 'multiQueue', 'batchSize', 'bufferSize']);
// Stricter than the kernel (which takes any byte but '/', ':' and white space) so names stay safe in `ip`, nft
// and UCI; '%d' once lets the kernel pick the number.
const NAME_RE = /^[A-Za-z0-9_.-]*(%d)?[A-Za-z0-9_.-]*$/;

export function validateName(name: unknown): string {
  if (name === undefined) return '';
  if (typeof name !== 'string') throw new TypeError(`TUN name must be a string, got ${typeof name}`);
  if (name === '') return '';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) {
    throw new RangeError(`TUN name '${name}' is ${bytes} bytes long; Linux allows at most ${MAX_NAME_BYTES}`);
  }
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw new RangeError(
      `TUN name '${name}' is not valid: use letters, digits, '_', '-', '.', and at most one '%d' for the kernel to number`,
    );
  }
  return name;
}

function validateInt(value: unknown, what: string, min: number, max: number, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what} must be an integer, got ${typeof value === 'number' ? value : typeof value}`);
  }
  if (value < min || value > max) throw new RangeError(`${what} must be in ${min}..${max}, got ${value}`);
  return value;
}

/** Checks everything the kernel or the addon would otherwise reject with a vaguer error. */
export function resolveOpenOptions(opts: unknown = {}): ResolvedOpenOptions {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new TypeError('TunDevice.open() options must be an object');
  }
  const o = opts as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0) {
    throw new TypeError(`unknown TunDevice.open() option ${unknown.map((k) => `'${k}'`).join(', ')}`);
  }
  if (o.multiQueue !== undefined && typeof o.multiQueue !== 'boolean') {
    throw new TypeError(`multiQueue must be a boolean, got ${typeof o.multiQueue}`);
  }
  return {
    name: validateName(o.name),
    multiQueue: o.multiQueue === true,
    batchSize: validateInt(o.batchSize, 'batchSize', 1, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE),
    bufferSize: validateInt(o.bufferSize, 'bufferSize', MIN_BUFFER_SIZE, MAX_BUFFER_SIZE, DEFAULT_BUFFER_SIZE),
  };
}
