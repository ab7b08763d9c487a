/**
 * Speed test jobs of the router daemon (`speedtest`/`speedtest_result` control methods). A run without a link
 * measures each link alone (the tunnel pinned to it in both directions, deps.pin), download then upload, and then
 * the bonded tunnel: the comparison admins otherwise make by testing each modem by hand, and what the bond gives
 * on top. `link: NAME` measures that link alone, `link: 'bond'` only the bonded tunnel. Every transfer is a TCP
 * transfer through the tunnel to the server's responder (client.ts). Jobs run one at a time; a few are remembered.
 */
import type { SessionStats } from '../engine/api.js';
import { measureDownload, measureUpload, type Transfer } from './client.js';

export const DEFAULT_SECONDS = 5;
/** Per phase (one direction of one link): a run takes 2 x seconds per link plus 2 x seconds bonded. */
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
  /** The link being measured now ('bond': the bonded tunnel); '' while queued and once finished. */
  link: string;
  /** Length of each phase (one direction of one link). */
  seconds: number;
  /** One row per measured link in config order, then 'bond'; filled in as the run goes. */
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
  /**
   * Pins the tunnel to one link in both directions (RouterDaemon.pinLink); undefined unpins. Without it a link
   * cannot be measured alone and its row says so.
   */
  pin?: (link: string | undefined) => void;
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

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const PHASES = ['down', 'up'] as const;
/** Below this share of the tunnel's bytes during its test, a link's figure is not its own. */
const ALONE_SHARE = 0.9;

/** Bytes (both directions) on one link and on the whole tunnel so far. */
function bytesOf(stats: SessionStats, link: string): { own: number; all: number } {
  const p = stats.paths.find((x) => x.name === link);
  return { own: p ? p.rxBytes + p.txBytes : 0, all: stats.rxBytes + stats.txBytes };
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
      link: '',
      seconds,
      results: [],
    };
    this.jobs.push(job);
    if (this.jobs.length > KEEP_JOBS) this.jobs.splice(0, this.jobs.length - KEEP_JOBS);
    this.running = this.running.then(() => this.run(job, link));
    return { job: job.job };
  }

  /** The job, or the newest when `id` is absent; UnknownJobError when there is none. */
  result(id?: string): SpeedtestJob {
    const job = id === undefined ? this.jobs[this.jobs.length - 1] : this.jobs.find((j) => j.job === id);
    if (!job) throw new UnknownJobError(id === undefined ? 'no speed test has run yet' : `no job '${id}'`);
    return structuredClone(job);
  }

  private async run(job: SpeedtestJob, requested: string): Promise<void> {
    if (this.closed) return fail(job, 'the daemon is stopping');
    job.state = 'running';
    job.started = Math.round(Date.now() / 1000);
    const target = this.deps.target();
    if (!target) return fail(job, 'the tunnel has no address to test against');
    if (this.deps.stats().state !== 'established') return fail(job, 'the tunnel is not established');
    const rows = requested === '' ? [...this.deps.linkNames(), BONDED_ROW] : [requested];
    this.deps.log?.info(
      `speed test ${job.job}: ${rows.join(', ')}, ${job.seconds} s each way, to ${target.host}:${target.port}`,
    );
    let attempted = 0;
    let measured = 0;
    let firstError: string | undefined;
    try {
      for (let i = 0; i < rows.length; i++) {
        const row: SpeedtestRow = { link: rows[i]! };
        job.results.push(row);
        job.link = row.link;
        const ok = await this.measureRow(job, row, target, i, rows.length);
        if (ok === undefined) continue;
        attempted++;
        if (ok) measured++;
        else firstError ??= row.error;
      }
    } catch (err) {
      return fail(job, errText(err));
    } finally {
      clearInterval(this.progressTimer);
    }
    if (attempted > 0 && measured === 0) return fail(job, firstError ?? 'no transfer completed');
    job.state = 'done';
    job.phase = '';
    job.link = '';
    job.progress = 1;
    job.finished = Math.round(Date.now() / 1000);
    const text = (r: SpeedtestRow) =>
      r.error ? `${r.link} ${r.error}` : `${r.link} ${r.down_kbit ?? '?'}/${r.up_kbit ?? '?'} kbit/s`;
    this.deps.log?.info(`speed test ${job.job}: ${job.results.map(text).join(', ')} (down/up)`);
  }

  /**
   * Download then upload for one row: a link alone (pinned) or the bonded tunnel. Returns true when something was
   * measured, false when its transfers failed, undefined when it was not tried (link not up, no pinning). A
   * transfer error becomes the row's error; only an abort (the daemon stops) ends the whole run.
   */
  private async measureRow(
    job: SpeedtestJob,
    row: SpeedtestRow,
    target: { host: string; port: number },
    index: number,
    count: number,
  ): Promise<boolean | undefined> {
    const alone = row.link !== BONDED_ROW;
    const pin = this.deps.pin;
    let before: { own: number; all: number } | undefined;
    if (alone) {
      const stats = this.deps.stats();
      const path = stats.paths.find((p) => p.name === row.link);
      before = bytesOf(stats, row.link);
      if (path?.state !== 'up') row.error = `link ${path?.state ?? 'down'}`;
      else if (!pin) row.error = 'this daemon cannot measure a link alone';
      if (row.error) {
        job.progress = (index + 1) / count;
        return undefined;
      }
      pin!(row.link);
    }
    const ms = job.seconds * 1000;
    let ok = false;
    try {
      for (let k = 0; k < PHASES.length; k++) {
        const phase = PHASES[k]!;
        if (this.abort.signal.aborted) throw new Error('aborted');
        job.phase = phase;
        const t0 = Date.now();
        const step = (2 * index + k) / (2 * count);
        job.progress = step;
        clearInterval(this.progressTimer);
        this.progressTimer = setInterval(() => {
          job.progress = Math.min(step + 0.99 / (2 * count), step + (Date.now() - t0) / ms / (2 * count));
        }, 200);
        const measure =
          phase === 'down' ? (this.deps.download ?? measureDownload) : (this.deps.upload ?? measureUpload);
        let transfer: Transfer;
        try {
          transfer = await measure(target.host, target.port, ms, this.abort.signal);
        } catch (err) {
          if (this.abort.signal.aborted) throw err;
          row.error = errText(err);
          break;
        } finally {
          clearInterval(this.progressTimer);
        }
        if (phase === 'down') row.down_kbit = kbit(transfer.bytes, transfer.ms);
        else row.up_kbit = kbit(transfer.bytes, transfer.ms);
        ok = true;
      }
      if (alone) {
        const stats = this.deps.stats();
        const path = stats.paths.find((p) => p.name === row.link);
        if (path?.rttMs !== undefined) row.rtt_ms = Math.round(path.rttMs * 100) / 100;
        if (path) row.loss = Math.round(path.loss * 10000) / 10000;
        // The figure is this link's only if the link carried the test: the engine falls back to the others while
        // the pinned link is not up, and a server without pinning (older version) sends on every link.
        const after = bytesOf(stats, row.link);
        const all = after.all - before!.all;
        const own = all > 0 ? (after.own - before!.own) / all : 1;
        if (!row.error && path?.state !== 'up') row.error = 'link went down during the test';
        else if (!row.error && own < ALONE_SHARE) {
          row.error = `other links carried ${Math.round((1 - own) * 100)}% of the test (link unstable, or a server without pinning)`;
        }
      }
    } finally {
      if (alone) pin!(undefined);
    }
    job.progress = (index + 1) / count;
    return ok;
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
  job.link = '';
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
