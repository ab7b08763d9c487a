import { describe, expect, it } from 'vitest';
import type { ServerLimitStats } from '../../../src/wanbond/engine/api.js';
import type { Logger } from '../../../src/wanbond/io/log.js';
import { LIMIT_LOG_MS, LimitLog } from '../../../src/wanbond/server/limit-log.js';

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => lines.push(m);
  return { log: { debug: push, info: push, warn: push, error: push } as Logger, lines };
}

const stats = (o: Partial<ServerLimitStats>): ServerLimitStats => ({
  maxClients: 2,
  sessions: 2,
  sessionsRefused: 0,
  bufferBudgetBytes: 64 * 2 ** 20,
  bufferedBytes: 0,
  budgetRefused: 0,
  ...o,
});

describe('limit log', () => {
  it('says nothing while no limit bites', () => {
    const { log, lines } = recorder();
    const l = new LimitLog(log);
    l.check(stats({}), 0);
    l.check(undefined, 1);
    expect(lines).toEqual([]);
  });

  it('reports refusals and budget drops at most once per interval, with the counts since the last line', () => {
    const { log, lines } = recorder();
    const l = new LimitLog(log);
    l.check(stats({ sessionsRefused: 3, lastRefused: 'shop' }), 1000);
    expect(lines).toEqual(['max_clients 2 reached: refused 3 handshake(s), last from client shop; 2 session(s) live']);
    l.check(stats({ sessionsRefused: 9, budgetRefused: 5 }), 1000 + LIMIT_LOG_MS / 2);
    expect(lines).toHaveLength(1);
    l.check(stats({ sessionsRefused: 9, budgetRefused: 5, bufferedBytes: 63 * 2 ** 20 }), 1000 + LIMIT_LOG_MS);
    expect(lines.slice(1)).toEqual([
      'max_clients 2 reached: refused 6 handshake(s); 2 session(s) live',
      'max_buffer_mb 64.0 reached: 5 packet(s) dropped or reorder hole(s) skipped early; 63.0 MiB held now by 2 session(s)',
    ]);
  });
});
