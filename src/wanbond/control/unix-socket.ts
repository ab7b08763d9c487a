/**
 * The control methods as newline-delimited JSON over a unix socket (default /var/run/wanbond.sock), for hosts
 * without ubus (the Debian VPS, the lab) and for `wanbond status`. One request per line:
 *   {"id": 1, "method": "status", "args": {}}
 * one answer per line, with ubus status codes:
 *   {"id": 1, "status": 0, "data": {...}}      {"id": 1, "status": 3, "error": "unknown method 'x'"}
 * `{"method": "watch"}` keeps the connection open and streams {"event": "wanbond.link", "data": {...}} lines.
 * The socket is mode 0600: reload and speedtest are root's business.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { type ControlMethodDef, type ControlResult, invokeControl } from './methods.js';
import { CONTROL_STATUS } from './types.js';

export const DEFAULT_CONTROL_SOCKET = '/var/run/wanbond.sock';
const MAX_LINE = 1024 * 1024;

/** Is something answering on this socket path? (A leftover file from a crashed daemon does not.) */
export function socketAnswers(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (v: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export interface UnixControlServer {
  readonly path: string;
  /** Streams an event to every `watch` connection. */
  broadcast(event: string, data: Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function serveUnixControl(
  path: string,
  methods: Record<string, ControlMethodDef>,
  opts: { secrets: () => string[]; onError?: (err: unknown, method: string) => void },
): Promise<UnixControlServer> {
  if (existsSync(path)) {
    if (await socketAnswers(path)) throw new Error(`${path} is in use: is another wanbond daemon running?`);
    unlinkSync(path);
  }
  mkdirSync(dirname(path), { recursive: true });
  const watchers = new Set<Socket>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.setEncoding('utf8');
    let buf = '';
    sock.on('error', () => {});
    sock.on('close', () => {
      sockets.delete(sock);
      watchers.delete(sock);
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        sock.destroy();
        return;
      }
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line !== '') handleLine(sock, line).catch((err) => opts.onError?.(err, 'control socket'));
        nl = buf.indexOf('\n');
      }
    });
  });
  const write = (sock: Socket, obj: unknown) => {
    if (sock.destroyed) return;
    let line: string;
    try {
      line = JSON.stringify(obj, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
    } catch {
      line = JSON.stringify({ status: CONTROL_STATUS.UNKNOWN_ERROR, error: 'reply cannot be encoded as JSON' });
    }
    sock.write(`${line}\n`);
  };
  const handleLine = async (sock: Socket, line: string) => {
    let req: { id?: unknown; method?: unknown; args?: unknown };
    try {
      req = JSON.parse(line);
    } catch {
      write(sock, { status: CONTROL_STATUS.PARSE_ERROR, error: 'request is not JSON' });
      return;
    }
    const id = req && typeof req === 'object' ? req.id : undefined;
    if (!req || typeof req !== 'object' || typeof req.method !== 'string') {
      write(sock, { id, status: CONTROL_STATUS.INVALID_COMMAND, error: 'request needs a "method" string' });
      return;
    }
    if (req.method === 'watch') {
      watchers.add(sock);
      write(sock, { id, status: 0 });
      return;
    }
    const r = await invokeControl(methods, req.method, req.args, opts.secrets(), opts.onError);
    write(sock, { id, ...r });
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    path,
    broadcast(event, data) {
      for (const w of watchers) write(w, { event, data });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          try {
            if (existsSync(path)) unlinkSync(path);
          } catch {
            // already gone
          }
          resolve();
        });
      }),
  };
}

/** One request over the unix socket. Rejects only when the socket cannot be reached or the reply is garbage. */
export function callUnixControl(
  path: string,
  method: string,
  args: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<ControlResult> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ status: CONTROL_STATUS.TIMEOUT, error: `no answer from ${path} within ${timeoutMs} ms` });
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ id: 1, method, args })}\n`));
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.destroy();
      try {
        const r = JSON.parse(buf.slice(0, nl)) as ControlResult & { id?: unknown };
        resolve({
          status: r.status,
          ...(r.data !== undefined ? { data: r.data } : {}),
          ...(r.error !== undefined ? { error: r.error } : {}),
        });
      } catch {
        reject(new Error(`garbled reply from ${path}`));
      }
    });
  });
}
