/** A failed system call on a TUN device: `code` is the errno name ('EPERM'), `errno` its number. */
export class TunError extends Error {
  readonly errno: number;
  readonly code: string;
  /** Set by writeBatch when a packet other than the first failed: how many went out before it. */
  readonly written: number | undefined;

  constructor(message: string, code: string, errno: number, written?: number) {
    super(message);
    this.name = 'TunError';
    this.code = code;
    this.errno = errno;
    this.written = written;
  }
}

function isErrnoLike(err: unknown): err is Error & { code: string; errno: number; written?: unknown } {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; errno?: unknown };
  return typeof e.code === 'string' && typeof e.errno === 'number';
}

/** Turns the addon's plain errno errors into TunError; anything else (TypeError from bad input) passes through. */
export function toTunError(err: unknown): unknown {
  if (err instanceof TunError || !isErrnoLike(err)) return err;
  const written = typeof err.written === 'number' ? err.written : undefined;
  const out = new TunError(err.message, err.code, err.errno, written);
  if (err.stack !== undefined) out.stack = err.stack.replace(/^Error/, 'TunError');
  return out;
}
