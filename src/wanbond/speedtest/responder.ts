/**
 * The server side of the speed test (protocol.ts): a small TCP listener on the server's tunnel address. Bounded:
 * a few connections at a time, each at most MAX_TEST_MS, idle ones dropped.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { parseRequest, sendUntil } from './protocol.js';

const MAX_CONNECTIONS = 8;
const HEADER_TIMEOUT_MS = 5_000;

export class SpeedtestResponder {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly host: string,
    /** The bound port (the asked one, or the kernel's pick for 0). */
    public port: number,
  ) {}

  static listen(host: string, port: number): Promise<SpeedtestResponder> {
    const server = createServer();
    server.maxConnections = MAX_CONNECTIONS;
    const r = new SpeedtestResponder(server, host, port);
    server.on('connection', (sock) => r.serve(sock));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        server.on('error', () => {});
        r.port = (server.address() as AddressInfo).port;
        resolve(r);
      });
    });
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    sock.setTimeout(HEADER_TIMEOUT_MS, () => sock.destroy());
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const nl = head.indexOf('\n');
      if (nl < 0) {
        if (head.length > 64) sock.destroy();
        return;
      }
      sock.off('data', onData);
      const req = parseRequest(head.slice(0, nl));
      if (!req) {
        sock.destroy();
        return;
      }
      const rest = head.length - nl - 1;
      if (req.direction === 'D') this.download(sock, req.ms);
      else this.upload(sock, req.ms, rest);
    };
    sock.on('data', onData);
  }

  private download(sock: Socket, ms: number): void {
    sock.setTimeout(0);
    sendUntil(sock, Date.now() + ms);
  }

  private upload(sock: Socket, ms: number, already: number): void {
    let bytes = already;
    sock.setTimeout(ms + HEADER_TIMEOUT_MS, () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    sock.on('end', () => sock.end(`${bytes}\n`));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
