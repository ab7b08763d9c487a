import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { formatEndpoint, parseEndpoint } from './addr.js';
import { setBuffers } from './udp-link.js';

/** Parsed peer strings are cached: the engine names the same few peers on every packet. */
const PEER_CACHE_MAX = 4096;

/**
 * The server's one UDP port for every client and path. Listening on '::' gives one dual-stack socket, so IPv4 and
 * IPv6 WANs of the same router reach the same port; peers are named `ip:port` / `[v6]:port` for the engine.
 */
export class ServerSocket {
  private socket: Socket | undefined;
  private dualStack = false;
  private readonly peers = new Map<string, { address: string; port: number }>();

  constructor(
    readonly listen: string,
    readonly port: number,
    private readonly onMessage: (from: string, bytes: Buffer) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  get boundPort(): number | undefined {
    return this.socket?.address().port;
  }

  async open(): Promise<void> {
    const family = isIP(this.listen);
    if (family !== 4 && family !== 6) throw new Error(`listen '${this.listen}' is not an IP address`);
    this.dualStack = this.listen === '::';
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 && !this.dualStack });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.listen, port: this.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: Error) => {
      socket.close();
      throw new Error(`cannot listen on ${formatEndpoint(this.listen, this.port)}: ${err.message}`);
    });
    setBuffers(socket);
    socket.on('message', (msg, rinfo) => this.onMessage(formatEndpoint(rinfo.address, rinfo.port), msg));
    socket.on('error', (err) => this.onError(err));
    this.socket = socket;
  }

  send(to: string, bytes: Uint8Array): void {
    if (!this.socket) return;
    let peer = this.peers.get(to);
    if (!peer) {
      const parsed = parseEndpoint(to);
      const address = this.dualStack && parsed.family === 4 ? `::ffff:${parsed.address}` : parsed.address;
      peer = { address, port: parsed.port };
      if (this.peers.size >= PEER_CACHE_MAX) this.peers.clear();
      this.peers.set(to, peer);
    }
    this.socket.send(bytes, peer.port, peer.address);
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.removeAllListeners('message');
      socket.close();
    }
  }
}
