/**
 * The shape of build/tuntap2.node as the C code exports it. Only the wrapper in device.ts calls it; it is exported
 * so tests and benchmarks can reach the raw calls, and so a fake can stand in where no TUN exists.
 */

/** Opaque object made by `open()`; the addon tags it and refuses any other object. */
export interface NativeTun {
  readonly name: string;
  readonly fd: number;
  /** batchSize slots of bufferSize bytes; packet i of a batch starts at i * bufferSize. Reused every wake-up. */
  readonly buffer: ArrayBuffer;
  /** lengths[i] = byte length of packet i of the current batch. */
  readonly lengths: Uint32Array;
  readonly batchSize: number;
  readonly bufferSize: number;
}

export interface NativeStats {
  rxPackets: number;
  rxBatches: number;
  /** packets longer than bufferSize: the kernel cut them, so they were dropped */
  rxTruncated: number;
  txPackets: number;
  /** writes refused with EAGAIN (the kernel's queue towards the stack was full) */
  txAgain: number;
}

/** What the addon throws: an Error with the errno name in `code` and the number in `errno`. */
export interface NativeErrnoError extends Error {
  code: string;
  errno: number;
  /** writeBatch only: packets written before the failing one */
  written?: number;
}

export interface NativeAddon {
  open(name: string, multiQueue: boolean, batchSize: number, bufferSize: number): NativeTun;
  /** Starts (or re-targets) the readable watcher: onBatch(count) once per wake-up with count >= 1. */
  start(tun: NativeTun, onBatch: (count: number) => void, onError: (err: NativeErrnoError) => void): void;
  stop(tun: NativeTun): void;
  setRef(tun: NativeTun, ref: boolean): void;
  /** false on EAGAIN */
  write(tun: NativeTun, packet: Uint8Array): boolean;
  /** written count; stops at EAGAIN; count limits how many of packets are used */
  writeBatch(tun: NativeTun, packets: readonly Uint8Array[], count?: number): number;
  /** idempotent */
  close(tun: NativeTun): void;
  stats(tun: NativeTun): NativeStats;
}

export const NATIVE_FUNCTIONS = [
  'open',
  'start',
  'stop',
  'setRef',
  'write',
  'writeBatch',
  'close',
  'stats',
] as const satisfies readonly (keyof NativeAddon)[];
