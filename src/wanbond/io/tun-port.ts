/**
 * What the daemons need from a TUN device: the shape of tuntap2's TunDevice, kept here so io/ code and its tests
 * do not depend on the addon being built.
 */
export interface TunPort {
  readonly name: string;
  /** `packets` are views valid only during the callback: the engine copies what it keeps. */
  onPackets(cb: (packets: Uint8Array[]) => void): void;
  write(packet: Uint8Array): boolean;
  /** Returns how many were written; the rest were dropped (queue full), as a router drops. */
  writeBatch(packets: Uint8Array[]): number;
  /** Read errors (the interface was deleted under us); without a handler the device throws them. */
  onError?(cb: (err: Error) => void): void;
  close(): void;
}

export type TunOpener = (name: string) => TunPort;

/**
 * Writes a batch the way a router forwards: what the kernel does not take now (queue full) is dropped, and a packet
 * it refuses (malformed) costs only itself and the rest of this batch, never the event that produced it.
 */
export function writeToTun(tun: TunPort, batch: Uint8Array[], onError: (err: Error) => void): void {
  try {
    tun.writeBatch(batch);
  } catch (err) {
    onError(err as Error);
  }
}
