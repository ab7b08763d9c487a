/**
 * The router daemon as a ControlProvider: status/links from its engine stats and link runtime, policies from its
 * config, reload, the speed test jobs, and (on OpenWrt) LuCI's extra methods. Private keys go in `secrets` so the
 * redaction catches them if any reply ever carried one.
 */
import type { PolicyConfig } from '../config/types.js';
import { type SpeedtestJobs, UnknownJobError, UnknownLinkError } from '../speedtest/jobs.js';
import { type BuildStatusInput, buildLinks, buildPolicies, buildStatus } from './build-status.js';
import { processStats } from './process-stats.js';
import { ControlError, type ControlMethod, type ControlProvider, type SpeedtestResultReply } from './types.js';

/** What the provider needs from RouterDaemon (kept narrow so tests can pass a stand-in). */
export interface RouterControlSource {
  status(): BuildStatusInput & { configFile?: string; pid?: number };
  reload(): Promise<{ ok: boolean; error?: string }>;
  policyConfigs(): PolicyConfig[];
  secrets(): string[];
  publicKey(): string | undefined;
}

export function routerProvider(
  daemon: RouterControlSource,
  opts: { speedtest?: SpeedtestJobs; extraMethods?: Record<string, ControlMethod> } = {},
): ControlProvider {
  const jobs = opts.speedtest;
  const provider: ControlProvider = {
    status: () => {
      const s = daemon.status();
      const pk = daemon.publicKey();
      // config_file and pid let `wanbond join`/`pair` check the socket belongs to the daemon of their file.
      return {
        ...buildStatus({ ...s, role: 'router' }),
        ...(pk ? { public_key: pk } : {}),
        ...(s.configFile ? { config_file: s.configFile } : {}),
        ...(s.pid ? { pid: s.pid } : {}),
        process: processStats(),
      };
    },
    links: () => buildLinks(daemon.status()),
    policies: () => buildPolicies(daemon.policyConfigs()),
    reload: () => daemon.reload(),
    secrets: () => daemon.secrets(),
  };
  if (jobs) {
    provider.speedtest = (args) => {
      try {
        return jobs.start(args);
      } catch (err) {
        if (err instanceof UnknownLinkError) throw new ControlError('NOT_FOUND', err.message);
        throw err;
      }
    };
    provider.speedtestResult = (job) => {
      try {
        return jobs.result(job) as unknown as SpeedtestResultReply;
      } catch (err) {
        if (err instanceof UnknownJobError) throw new ControlError('NOT_FOUND', err.message);
        throw err;
      }
    };
  }
  if (opts.extraMethods) provider.extraMethods = opts.extraMethods;
  return provider;
}
