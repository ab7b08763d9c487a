import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

/** Big kernel buffers absorb bursts while the event loop is busy sealing a batch; the kernel caps them anyway. */
const SOCKET_BUFFER = 4 * 1024 * 1024;

/**
 * One WAN link's UDP socket, bound to the link's source address so the kernel's policy routing (`ip rule from
 * SOURCE lookup TABLE`, set up by OpenWrt/mwan-style rules or the lab) sends it out of that WAN. Node's dgram has no
 * SO_BINDTODEVICE, so the source address is the only handle we have on the egress WAN.
 */
export class LinkSocket {
  private socket: Socket | undefined;
  private boundPort: number | undefined;

  constructor(
    readonly family: 4 | 6,
    readonly source: string | undefined,
    private readonly onMessage: (bytes: Buffer) => void,
    private readonly onError: (err: Error) => void,
  ) {
    if (source !== undefined && isIP(source) !== family) throw new Error(`source '${source}' is not IPv${family}`);
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  /** Binds to source:ephemeral port; rejects (e.g. EADDRNOTAVAIL while the WAN has no address) and stays closed. */
  async open(): Promise<void> {
    if (this.socket) return;
    const socket = createSocket({ type: this.family === 4 ? 'udp4' : 'udp6' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.source, port: 0, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: Error) => {
      socket.close();
      throw err;
    });
    setBuffers(socket);
    socket.on('message', (msg) => this.onMessage(msg));
    socket.on('error', (err) => this.onError(err));
    this.socket = socket;
    this.boundPort = socket.address().port;
  }

  /** Fire and forget: an unreachable network shows up as an 'error' event, which the owner logs. */
  send(bytes: Uint8Array, address: string, port: number): boolean {
    if (!this.socket) return false;
    this.socket.send(bytes, port, address);
    return true;
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.boundPort = undefined;
    if (socket) {
      socket.removeAllListeners('message');
      socket.close();
    }
  }
}

export function setBuffers(socket: Socket): void {
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER);
    socket.setSendBufferSize(SOCKET_BUFFER);
  } catch {
    // the kernel may refuse the size; defaults still work, only burst tolerance suffers
  }
}
