/**
 * Speed test jobs of the router daemon (`speedtest`/`speedtest_result` control methods). One run measures the
 * bonded download, then the bonded upload, through the tunnel (client.ts), and reads each path's delivered bytes
 * from the engine's stats across each phase: so one run gives every link's share and the bonded figure, the
 * comparison admins otherwise make by testing each modem by hand. Jobs run one at a time; a few are remembered.
 */
import type { SessionStats } from '../engine/api.js';
import { measureDownload, measureUpload, type Transfer } from './client.js';

export const DEFAULT_SECONDS = 5;
export const MAX_SECONDS = 30;
const KEEP_JOBS = 8;
/** The row for the transfer through the tunnel (LuCI shows it as "Bonded"). */
export const BONDED_ROW = 'bond';

export interface SpeedtestRow {
  link: string;
  down_kbit?: number;
  up_kbit?: number;
  rtt_ms?: number;
  loss?: number;
  error?: string;
}

export interface SpeedtestJob {
  job: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  phase: '' | 'down' | 'up';
  /** The link the results are restricted to; '' for all links and the bonded row. */
  link: string;
  seconds: number;
  results: SpeedtestRow[];
  error?: string;
  /** Epoch seconds. */
  started?: number;
  finished?: number;
}

export interface SpeedtestDeps {
  /** Where the responder is: the server's tunnel address and the tunnel port; undefined when unknown. */
  target(): { host: string; port: number } | undefined;
  stats(): SessionStats;
  linkNames(): string[];
  /** Overridable for tests. */
  download?: (host: string, port: number, ms: number, signal?: AbortSignal) => Promise<Transfer>;
  upload?: (host: string, port: number, ms: number, signal?: AbortSignal) => Promise<Transfer>;
  log?: { info(msg: string): void; warn(msg: string): void };
}

export class UnknownLinkError extends Error {}
export class UnknownJobError extends Error {}

function kbit(bytes: number, ms: number): number {
  return ms > 0 ? Math.round((bytes * 8) / ms) : 0;
}

function bytesByPath(stats: SessionStats, field: 'rxBytes' | 'txBytes'): Map<string, number> {
  return new Map(stats.paths.map((p) => [p.name, p[field]]));
}

export class SpeedtestJobs {
  private readonly jobs: SpeedtestJob[] = [];
  private seq = 0;
  private running: Promise<void> = Promise.resolve();
  private closed = false;
  private progressTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly deps: SpeedtestDeps) {}

  /** Queues a run; throws UnknownLinkError for a link the config does not have. */
  start(opts: { link?: string; seconds?: number } = {}): { job: string } {
    const link = opts.link ?? '';
    if (link !== '' && link !== BONDED_ROW && !this.deps.linkNames().includes(link)) {
      throw new UnknownLinkError(`no link '${link}'`);
    }
    const seconds = Math.min(MAX_SECONDS, Math.max(1, Math.round(opts.seconds ?? DEFAULT_SECONDS)));
    const job: SpeedtestJob = {
      job: `st${++this.seq}-${Date.now().toString(36)}`,
      state: 'queued',
      progress: 0,
      phase: '',
      link,
      seconds,
      results: [],
    };
    this.jobs.push(job);
    if (this.jobs.length > KEEP_JOBS) this.jobs.splice(0, this.jobs.length - KEEP_JOBS);
    this.running = this.running.then(() => this.run(job));
    return { job: job.job };
  }

  /** The job, or the newest when `id` is absent; UnknownJobError when there is none. */
  result(id?: string): SpeedtestJob {
    const job = id === undefined ? this.jobs[this.jobs.length - 1] : this.jobs.find((j) => j.job === id);
    if (!job) throw new UnknownJobError(id === undefined ? 'no speed test has run yet' : `no job '${id}'`);
    return structuredClone(job);
  }

  private async run(job: SpeedtestJob): Promise<void> {
    if (this.closed) return fail(job, 'the daemon is stopping');
    job.state = 'running';
    job.started = Math.round(Date.now() / 1000);
    const target = this.deps.target();
    if (!target) return fail(job, 'the tunnel has no address to test against');
    if (this.deps.stats().state !== 'established') return fail(job, 'the tunnel is not established');
    const ms = job.seconds * 1000;
    const rows = new Map<string, SpeedtestRow>(this.deps.linkNames().map((n) => [n, { link: n }]));
    const bonded: SpeedtestRow = { link: BONDED_ROW };
    this.deps.log?.info(`speed test ${job.job}: ${job.seconds} s each way to ${target.host}:${target.port}`);
    try {
      for (const [phase, index] of [
        ['down', 0],
        ['up', 1],
      ] as const) {
        job.phase = phase;
        const t0 = Date.now();
        this.progressTimer = setInterval(() => {
          job.progress = Math.min(0.99, (index + (Date.now() - t0) / ms) / 2);
        }, 200);
        const field = phase === 'down' ? 'rxBytes' : 'txBytes';
        const before = bytesByPath(this.deps.stats(), field);
        const measure =
          phase === 'down' ? (this.deps.download ?? measureDownload) : (this.deps.upload ?? measureUpload);
        const transfer = await measure(target.host, target.port, ms, this.abort.signal);
        const elapsed = Date.now() - t0;
        const stats = this.deps.stats();
        const after = bytesByPath(stats, field);
        clearInterval(this.progressTimer);
        for (const p of stats.paths) {
          const row = rows.get(p.name);
          if (!row) continue;
          const rate = kbit((after.get(p.name) ?? 0) - (before.get(p.name) ?? 0), elapsed);
          if (phase === 'down') row.down_kbit = rate;
          else row.up_kbit = rate;
          if (p.rttMs !== undefined) row.rtt_ms = Math.round(p.rttMs * 100) / 100;
          row.loss = Math.round(p.loss * 10000) / 10000;
          if (p.state === 'down') row.error = 'link down';
        }
        const rate = kbit(transfer.bytes, transfer.ms);
        if (phase === 'down') bonded.down_kbit = rate;
        else bonded.up_kbit = rate;
        job.progress = (index + 1) / 2;
      }
    } catch (err) {
      clearInterval(this.progressTimer);
      return fail(job, err instanceof Error ? err.message : String(err));
    }
    const linkRows = [...rows.values()];
    job.results =
      job.link === ''
        ? [...linkRows, bonded]
        : job.link === BONDED_ROW
          ? [bonded]
          : linkRows.filter((r) => r.link === job.link);
    job.state = 'done';
    job.phase = '';
    job.progress = 1;
    job.finished = Math.round(Date.now() / 1000);
    this.deps.log?.info(
      `speed test ${job.job}: bonded ${bonded.down_kbit ?? '?'} kbit/s down, ${bonded.up_kbit ?? '?'} kbit/s up`,
    );
  }

  /** Aborts a running transfer (its job fails) and fails the queued ones. */
  close(): void {
    this.closed = true;
    clearInterval(this.progressTimer);
    this.abort.abort();
  }
}

function fail(job: SpeedtestJob, error: string): void {
  job.state = 'failed';
  job.error = error;
  job.phase = '';
  job.finished = Math.round(Date.now() / 1000);
  job.started ??= job.finished;
}

/** The server's tunnel address as pairing assigns it: the first host of the router's tunnel subnet. */
export function serverTunnelAddress(routerCidr: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(routerCidr);
  if (!m) return undefined;
  const prefix = Number(m[5]);
  if (prefix > 30) return undefined;
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const first = ((ip & mask) + 1) >>> 0;
  return [first >>> 24, (first >>> 16) & 255, (first >>> 8) & 255, first & 255].join('.');
}
