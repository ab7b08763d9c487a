/** The router side of protocol.ts: one bounded TCP transfer through the tunnel, measured as goodput. */
import { connect, type Socket } from 'node:net';
import { formatRequest, sendUntil } from './protocol.js';

export interface Transfer {
  bytes: number;
  /** Milliseconds from the first byte of the request to the end of the transfer. */
  ms: number;
}

const CONNECT_TIMEOUT_MS = 5_000;
/** Beyond the test's own length, how long to wait for the responder before giving up. */
const GRACE_MS = 5_000;

/** Destroys the socket when `signal` aborts (the daemon is stopping): a transfer never outlives the daemon. */
function open(host: string, port: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error('aborted'));
      return;
    }
    const sock = connect({ host, port });
    const abort = () => sock.destroy(new Error('aborted'));
    signal?.addEventListener('abort', abort, { once: true });
    sock.once('close', () => signal?.removeEventListener('abort', abort));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${host}:${port} (is the tunnel up?)`));
    }, CONNECT_TIMEOUT_MS);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the speed test responder ${host}:${port}: ${err.message}`));
    });
  });
}

/** Download through the tunnel (bonded, or pinned to one link): the responder sends for `ms`; counts what arrives. */
export async function measureDownload(host: string, port: number, ms: number, signal?: AbortSignal): Promise<Transfer> {
  const sock = await open(host, port, signal);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ bytes, ms: Date.now() - t0 });
    }, ms + GRACE_MS);
    sock.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ bytes, ms: Date.now() - t0 });
    });
    sock.write(formatRequest({ direction: 'D', ms }));
  });
}

/** Upload through the tunnel: sends for `ms`, half-closes, and takes the responder's count of what it received. */
export async function measureUpload(host: string, port: number, ms: number, signal?: AbortSignal): Promise<Transfer> {
  const sock = await open(host, port, signal);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    let answer = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('the responder did not report the upload'));
    }, ms + GRACE_MS);
    sock.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      sock.destroy();
      const bytes = Number.parseInt(answer.trim(), 10);
      if (!Number.isFinite(bytes)) reject(new Error('the responder sent no byte count'));
      // Until the count arrives, not until the last write: what sat in the send buffer was still on its way.
      else resolve({ bytes, ms: Date.now() - t0 });
    });
    sock.write(formatRequest({ direction: 'U', ms }));
    sendUntil(sock, t0 + ms);
  });
}
