import { TunError, toTunError } from './errors.js';
import { loadAddon } from './loader.js';
import type { NativeAddon, NativeErrnoError, NativeStats, NativeTun } from './native.js';
import { resolveOpenOptions, type TunOpenOptions } from './options.js';

/** The receive buffers as they are, for consumers that want no allocation at all per packet. */
export interface RawBatch {
  /** all slots; packet i is bytes.subarray(i * stride, i * stride + lengths[i]) */
  readonly bytes: Uint8Array;
  readonly lengths: Uint32Array;
  readonly stride: number;
}

export type TunStats = NativeStats;

/**
 * One queue of a TUN device (IFF_TUN | IFF_NO_PI: every read and write is one bare IPv4/IPv6 packet).
 * Addresses, MTU and link state are not set here: the daemon runs `ip addr add`, `ip link set mtu/up` on `name`.
 */
export class TunDevice {
  readonly name: string;
  readonly fd: number;
  readonly batchSize: number;
  readonly bufferSize: number;
  private readonly addon: NativeAddon;
  private readonly handle: NativeTun;
  private readonly raw: RawBatch;
  private consumer: ((count: number) => void) | undefined;
  private errorHandler: ((err: TunError) => void) | undefined;
  private paused = false;
  private isClosed = false;

  private constructor(addon: NativeAddon, handle: NativeTun) {
    this.addon = addon;
    this.handle = handle;
    this.name = handle.name;
    this.fd = handle.fd;
    this.batchSize = handle.batchSize;
    this.bufferSize = handle.bufferSize;
    this.raw = { bytes: new Uint8Array(handle.buffer), lengths: handle.lengths, stride: handle.bufferSize };
  }

  /** Opens (creating if needed) the device in the network namespace of this process. `addon` is for tests. */
  static open(opts: TunOpenOptions = {}, addon?: NativeAddon): TunDevice {
    const o = resolveOpenOptions(opts);
    const native = addon ?? loadAddon();
    try {
      return new TunDevice(native, native.open(o.name, o.multiQueue, o.batchSize, o.bufferSize));
    } catch (err) {
      throw toTunError(err);
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Starts reading: one call per wake-up with up to batchSize packets. The views point into a buffer that the next
   * wake-up overwrites: copy what must outlive the callback. A later onPackets/onBatch replaces this consumer.
   */
  onPackets(cb: (packets: Uint8Array[]) => void): void {
    const { bytes, lengths, stride } = this.raw;
    const buffer = bytes.buffer;
    this.consume((count) => {
      const packets = new Array<Uint8Array>(count);
      for (let i = 0; i < count; i++) packets[i] = new Uint8Array(buffer, i * stride, lengths[i]);
      cb(packets);
    });
  }

  /** Same as onPackets without building views: cb(count, raw) once per wake-up. */
  onBatch(cb: (count: number, raw: RawBatch) => void): void {
    const raw = this.raw;
    this.consume((count) => cb(count, raw));
  }

  /** Read errors (e.g. EBADFD once the interface was deleted) stop reading; without a handler they are thrown. */
  onError(cb: (err: TunError) => void): void {
    this.errorHandler = cb;
  }

  /** Stops reading until resume(); the kernel queues up to the interface's txqueuelen meanwhile. */
  pause(): void {
    this.paused = true;
    if (!this.isClosed) this.call(() => this.addon.stop(this.handle));
  }

  resume(): void {
    this.paused = false;
    if (this.consumer !== undefined) this.startNative();
  }

  /** Whether an active reader keeps the Node process alive (like socket.ref()/unref()). */
  ref(): void {
    this.call(() => this.addon.setRef(this.handle, true));
  }

  unref(): void {
    this.call(() => this.addon.setRef(this.handle, false));
  }

  /** Writes one IP packet; false when the kernel said EAGAIN (nothing written). Other failures throw TunError. */
  write(packet: Uint8Array): boolean {
    return this.call(() => this.addon.write(this.handle, packet));
  }

  /**
   * Writes packets in order, stopping at the first EAGAIN; returns how many were written. Any other failure throws
   * a TunError whose `written` says how many went out before the failing packet.
   */
  writeBatch(packets: readonly Uint8Array[], count?: number): number {
    return this.call(() => this.addon.writeBatch(this.handle, packets, count));
  }

  stats(): TunStats {
    return this.addon.stats(this.handle);
  }

  /** Stops reading and closes the fd (a non-persistent device disappears with its last queue). Idempotent. */
  close(): void {
    this.isClosed = true;
    this.consumer = undefined;
    this.addon.close(this.handle);
  }

  private consume(fn: (count: number) => void): void {
    if (this.isClosed) throw new TunError(`TUN device ${this.name} is closed`, 'EBADF', 9);
    this.consumer = fn;
    if (!this.paused) this.startNative();
  }

  private startNative(): void {
    this.call(() =>
      this.addon.start(
        this.handle,
        (count) => this.consumer?.(count),
        (err) => this.fail(err),
      ),
    );
  }

  private fail(err: NativeErrnoError): void {
    const e = toTunError(err);
    const tunErr = e instanceof TunError ? e : new TunError(String(err.message), err.code, err.errno);
    if (this.errorHandler === undefined) throw tunErr;
    this.errorHandler(tunErr);
  }

  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toTunError(err);
    }
  }
}
