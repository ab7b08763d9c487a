/**
 * The speed test's TCP protocol between `wanbond router` and the server's responder. The responder listens on the
 * server's tunnel address (so only routers with a session reach it) on the tunnel's port number, TCP. One request
 * per connection, one ASCII line:
 *   "WBST1 D <ms>\n"  the responder sends bytes for <ms> milliseconds, then closes (download);
 *   "WBST1 U <ms>\n"  the router sends for <ms>, then half-closes; the responder answers "<bytes>\n" (upload).
 */
import type { Socket } from 'node:net';

export const SPEEDTEST_MAGIC = 'WBST1';
/** The responder never sends or accepts longer than this, whatever the request says. */
export const MAX_TEST_MS = 60_000;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

export interface SpeedtestRequest {
  direction: 'D' | 'U';
  ms: number;
}

export function formatRequest(r: SpeedtestRequest): string {
  return `${SPEEDTEST_MAGIC} ${r.direction} ${Math.round(r.ms)}\n`;
}

/** Parses a request line; undefined for anything else (the responder closes such connections). */
export function parseRequest(line: string): SpeedtestRequest | undefined {
  const m = /^WBST1 ([DU]) (\d{1,6})$/.exec(line.trim());
  if (!m) return undefined;
  const ms = Math.min(MAX_TEST_MS, Number(m[2]));
  return { direction: m[1] as 'D' | 'U', ms };
}

/**
 * The sending side of either direction: writes as fast as TCP takes it (waiting for 'drain', never buffering
 * ahead) until `end` (Date.now() time), then half-closes.
 */
export function sendUntil(sock: Socket, end: number): void {
  const pump = () => {
    while (!sock.destroyed) {
      if (Date.now() >= end) {
        sock.end();
        return;
      }
      if (!sock.write(CHUNK)) {
        sock.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
