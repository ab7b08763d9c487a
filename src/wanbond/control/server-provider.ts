/**
 * The server daemon as a ControlProvider: `status` lists every client with its paths (buildServerStatus);
 * `links` flattens them as "<client>/<path>" so link events work the same on both ends.
 */
import type { ServerLimitStats, ServerStats } from '../engine/api.js';
import { buildServerStatus } from './build-status.js';
import { processStats } from './process-stats.js';
import type { ControlProvider, LimitsReply, LinkReply } from './types.js';

export interface ServerControlSource {
  status(): {
    stats: ServerStats;
    listen: string;
    port: number | undefined;
    tunnel: { device: string; addresses: string[]; mtu: number };
    /** ISO time the daemon started. */
    startedAt: string;
    configFile?: string;
    pid?: number;
    now: number;
    wallNow: number;
  };
  reload(): Promise<{ ok: boolean; error?: string }>;
  secrets(): string[];
  publicKey(): string | undefined;
}

function limitsReply(l: ServerLimitStats): LimitsReply {
  return {
    max_clients: l.maxClients,
    sessions: l.sessions,
    sessions_refused: l.sessionsRefused,
    buffer_budget_bytes: l.bufferBudgetBytes,
    buffered_bytes: l.bufferedBytes,
    budget_refused: l.budgetRefused,
  };
}

export function serverProvider(daemon: ServerControlSource): ControlProvider {
  const status = () => {
    const s = daemon.status();
    // buildServerStatus wants the start on the monotonic clock its `now` is on.
    const startedAt = s.now - (s.wallNow - Date.parse(s.startedAt));
    const pk = daemon.publicKey();
    return {
      ...buildServerStatus({ ...s, port: s.port ?? 0, startedAt }),
      ...(pk ? { public_key: pk } : {}),
      ...(s.configFile ? { config_file: s.configFile } : {}),
      ...(s.pid ? { pid: s.pid } : {}),
      ...(s.stats.limits ? { limits: limitsReply(s.stats.limits) } : {}),
      process: processStats(),
    };
  };
  return {
    status,
    links: (): LinkReply[] =>
      status().clients.flatMap((c) => c.links.map((l) => ({ ...l, name: `${c.name}/${l.name}` }))),
    policies: () => [],
    reload: () => daemon.reload(),
    secrets: () => daemon.secrets(),
  };
}
