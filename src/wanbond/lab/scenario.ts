/**
 * Lab scenarios: which links the router has and how each one behaves. Format (docs/lab.md):
 *
 *   [lab]
 *   name = S-static
 *   [link wan1]
 *   rate = 20          # Mbit/s; up_rate / down_rate set one direction
 *   delay = 15         # one-way ms
 *
 * Every key of a link may be prefixed with `up_` or `down_` to set one direction only.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type IniEntry, IniError, parseIni } from './ini.js';
import { CARRIERS } from './trace-gen.js';

export interface GilbertElliott {
  /** Percent chance per packet of moving good -> bad, and bad -> good. */
  p: number;
  r: number;
  /** Loss percent in the bad state (default 100) and in the good state (default 0). */
  h: number;
  k: number;
}

export interface DirectionSpec {
  /** Fixed capacity in Mbit/s (IP bytes); 0 = unlimited. Ignored when `trace` is set. */
  rateMbit: number;
  /** Mahimahi trace file (absolute path once parsed). */
  trace?: string;
  delayMs: number;
  jitterMs: number;
  reorder: boolean;
  lossPct: number;
  ge?: GilbertElliott;
  queueBytes?: number;
  queueMs?: number;
}

export interface ScheduleEntry {
  atMs: number;
  /** An emulator command, e.g. `cut`, `restore`, `rate up 5`. */
  command: string;
}

export interface LinkSpec {
  name: string;
  up: DirectionSpec;
  down: DirectionSpec;
  /** Generate cellular traces for both directions from this carrier profile (see trace-gen.ts). */
  cellular?: { carrier: string; seed: number };
  schedule: ScheduleEntry[];
}

export interface Scenario {
  name: string;
  file: string;
  seed: number;
  /** Seconds a bench transfer lasts in this scenario. */
  durationS: number;
  /** Seconds into a transfer at which `cut_link` is cut (bench S-cut). */
  cutAtS?: number;
  cutLink?: string;
  /** TCP congestion control of the lab's end hosts (default: the host's). */
  congestion?: string;
  links: LinkSpec[];
}

export const MAX_LINKS = 9;
export const DEFAULT_QUEUE_MS = 200;

const DIR_KEYS = ['rate', 'trace', 'delay', 'jitter', 'reorder', 'loss', 'ge', 'queue'] as const;
type DirKey = (typeof DIR_KEYS)[number];

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(`cannot read scenario ${file}: ${(err as Error).message}`);
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, file = '<scenario>'): Scenario {
  try {
    return build(text, file);
  } catch (err) {
    if (err instanceof IniError) throw new ScenarioError(err.message);
    throw err;
  }
}

function defaultDirection(): DirectionSpec {
  return { rateMbit: 0, delayMs: 0, jitterMs: 0, reorder: false, lossPct: 0, queueMs: DEFAULT_QUEUE_MS };
}

function build(text: string, file: string): Scenario {
  const fail = (line: number, msg: string): never => {
    throw new IniError(file, line, msg);
  };
  const baseDir = file.startsWith('<') ? process.cwd() : dirname(resolve(file));
  const scenario: Scenario = { name: 'lab', file, seed: 1, durationS: 30, links: [] };
  let sawLab = false;
  for (const section of parseIni(text, file)) {
    if (section.kind === 'lab') {
      if (sawLab) fail(section.line, 'only one [lab] section is allowed');
      sawLab = true;
      for (const e of section.entries) {
        if (e.key === 'name') scenario.name = e.value;
        else if (e.key === 'seed') scenario.seed = int(e, 0, 2 ** 31, fail);
        else if (e.key === 'duration') scenario.durationS = seconds(e, fail) / 1000;
        else if (e.key === 'cut_at') scenario.cutAtS = seconds(e, fail) / 1000;
        else if (e.key === 'cut_link') scenario.cutLink = e.value;
        else if (e.key === 'congestion') {
          if (!/^[a-z0-9_]{1,16}$/.test(e.value)) fail(e.line, `congestion wants an algorithm name like cubic or bbr`);
          scenario.congestion = e.value;
        } else fail(e.line, `unknown key '${e.key}' in [lab] (name, seed, duration, cut_at, cut_link, congestion)`);
      }
      continue;
    }
    if (section.kind !== 'link') fail(section.line, `unknown section [${section.kind}] (want [lab] or [link NAME])`);
    if (!/^[a-z][a-z0-9]{0,7}$/.test(section.name)) {
      fail(section.line, `link name '${section.name}' must be 1-8 lowercase letters/digits, starting with a letter`);
    }
    if (scenario.links.some((l) => l.name === section.name)) fail(section.line, `link '${section.name}' twice`);
    if (scenario.links.length === MAX_LINKS) fail(section.line, `at most ${MAX_LINKS} links`);
    const link: LinkSpec = { name: section.name, up: defaultDirection(), down: defaultDirection(), schedule: [] };
    let carrier: string | undefined;
    let traceSeed = scenario.seed * 100 + scenario.links.length + 1;
    for (const e of section.entries) {
      if (e.key === 'cellular') {
        if (!CARRIERS[e.value]) fail(e.line, `unknown carrier '${e.value}' (${Object.keys(CARRIERS).join(', ')})`);
        carrier = e.value;
        continue;
      }
      if (e.key === 'seed') {
        traceSeed = int(e, 0, 2 ** 31, fail);
        continue;
      }
      if (e.key === 'schedule') {
        link.schedule = schedule(e, fail);
        continue;
      }
      const m = /^(?:(up|down)_)?(.+)$/.exec(e.key)!;
      const key = m[2] as DirKey;
      if (!DIR_KEYS.includes(key)) {
        fail(
          e.line,
          `unknown key '${e.key}' in [link ${link.name}] (${DIR_KEYS.join(', ')}, cellular, seed, schedule)`,
        );
      }
      const dirs = m[1] === 'up' ? [link.up] : m[1] === 'down' ? [link.down] : [link.up, link.down];
      for (const d of dirs) applyDirKey(d, key, e, baseDir, fail);
    }
    if (carrier) link.cellular = { carrier, seed: traceSeed };
    for (const d of [link.up, link.down]) {
      if (!d.trace && !link.cellular && d.rateMbit === 0) {
        fail(section.line, `link '${link.name}' needs a rate, a trace or cellular = CARRIER for each direction`);
      }
    }
    scenario.links.push(link);
  }
  if (scenario.links.length === 0) fail(1, 'a scenario needs at least one [link NAME] section');
  if (scenario.cutLink && !scenario.links.some((l) => l.name === scenario.cutLink)) {
    throw new ScenarioError(`${file}: cut_link '${scenario.cutLink}' is not a link of this scenario`);
  }
  return scenario;
}

type Fail = (line: number, msg: string) => never;

function applyDirKey(d: DirectionSpec, key: DirKey, e: IniEntry, baseDir: string, fail: Fail): void {
  switch (key) {
    case 'rate':
      d.rateMbit = rateMbit(e, fail);
      return;
    case 'trace':
      d.trace = isAbsolute(e.value) ? e.value : resolve(baseDir, e.value);
      return;
    case 'delay':
      d.delayMs = ms(e, fail);
      return;
    case 'jitter':
      d.jitterMs = ms(e, fail);
      return;
    case 'reorder':
      d.reorder = bool(e, fail);
      return;
    case 'loss':
      d.lossPct = percent(e, fail);
      return;
    case 'ge': {
      const parts = e.value.split(/[\s,]+/).filter(Boolean);
      const nums = parts.map(Number);
      if (parts.length < 2 || parts.length > 4 || nums.some((n) => !Number.isFinite(n) || n < 0 || n > 100)) {
        fail(e.line, `ge wants 'p r [h k]' in percent (0-100), got '${e.value}'`);
      }
      d.ge = { p: nums[0]!, r: nums[1]!, h: nums[2] ?? 100, k: nums[3] ?? 0 };
      return;
    }
    case 'queue': {
      const m = /^(\d+(?:\.\d+)?)\s*(ms|b|kb|mb|p)?$/i.exec(e.value);
      if (!m) fail(e.line, `queue wants a size like 200ms, 150000 (bytes), 150kB, 1MB or 100p, got '${e.value}'`);
      const n = Number(m![1]);
      const unit = (m![2] ?? 'b').toLowerCase();
      d.queueMs = undefined;
      d.queueBytes = undefined;
      if (unit === 'ms') d.queueMs = n;
      else d.queueBytes = Math.round(n * (unit === 'kb' ? 1000 : unit === 'mb' ? 1e6 : unit === 'p' ? 1500 : 1));
      return;
    }
  }
}

function num(e: IniEntry, re: RegExp, what: string, fail: Fail): number {
  const m = re.exec(e.value);
  if (!m) fail(e.line, `${e.key} wants ${what}, got '${e.value}'`);
  return Number(m![1]);
}

function rateMbit(e: IniEntry, fail: Fail): number {
  const m = /^(\d+(?:\.\d+)?)\s*(mbit|kbit|gbit)?$/i.exec(e.value);
  if (!m) fail(e.line, `${e.key} wants Mbit/s like 20, 0.5 or 500kbit, got '${e.value}'`);
  const unit = (m![2] ?? 'mbit').toLowerCase();
  const v = Number(m![1]) * (unit === 'kbit' ? 1e-3 : unit === 'gbit' ? 1e3 : 1);
  if (v > 10_000) fail(e.line, `${e.key} ${e.value} is above 10 Gbit/s`);
  return v;
}

function ms(e: IniEntry, fail: Fail): number {
  const v = num(e, /^(\d+(?:\.\d+)?)\s*(?:ms)?$/i, 'milliseconds like 15 or 15ms', fail);
  if (v > 60_000) fail(e.line, `${e.key} ${e.value} is above 60 s`);
  return v;
}

function seconds(e: IniEntry, fail: Fail): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|ms)?$/i.exec(e.value);
  if (!m) fail(e.line, `${e.key} wants a time like 30, 30s or 500ms, got '${e.value}'`);
  return Number(m![1]) * ((m![2] ?? 's').toLowerCase() === 'ms' ? 1 : 1000);
}

function percent(e: IniEntry, fail: Fail): number {
  const v = num(e, /^(\d+(?:\.\d+)?)\s*%?$/, 'a percentage like 1 or 1%', fail);
  if (v > 100) fail(e.line, `${e.key} ${e.value} is above 100%`);
  return v;
}

function int(e: IniEntry, min: number, max: number, fail: Fail): number {
  const v = num(e, /^(\d+)$/, 'an integer', fail);
  if (v < min || v > max) fail(e.line, `${e.key} must be between ${min} and ${max}`);
  return v;
}

function bool(e: IniEntry, fail: Fail): boolean {
  if (/^(1|yes|on|true)$/i.test(e.value)) return true;
  if (/^(0|no|off|false)$/i.test(e.value)) return false;
  return fail(e.line, `${e.key} wants yes or no, got '${e.value}'`);
}

const SCHEDULE_COMMANDS =
  /^(cut|restore)(\s+(up|down|both))?$|^(rate|delay|loss|jitter)\s+(up|down|both)\s+\d+(\.\d+)?$/;

/** `schedule = 10s cut, 15s restore, 20s rate up 5`: times from the start of the lab (or of a measurement). */
function schedule(e: IniEntry, fail: Fail): ScheduleEntry[] {
  const out: ScheduleEntry[] = [];
  for (const item of e.value.split(',').map((s) => s.trim())) {
    if (!item) continue;
    const m = /^(\d+(?:\.\d+)?)(s|ms)\s+(.+)$/.exec(item);
    if (!m) fail(e.line, `schedule item '${item}' wants 'TIME COMMAND' like '10s cut'`);
    const command = m![3]!.trim().replace(/\s+/g, ' ');
    if (!SCHEDULE_COMMANDS.test(command)) {
      fail(e.line, `schedule command '${command}' unknown (cut/restore [DIR], rate|delay|loss|jitter DIR VALUE)`);
    }
    out.push({ atMs: Number(m![1]) * (m![2] === 's' ? 1000 : 1), command });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** The emulator commands that configure one direction (see emu/control.c). */
export function directionCommands(dir: 'up' | 'down', d: DirectionSpec, traceFile?: string): string[] {
  const cmds: string[] = [];
  const trace = traceFile ?? d.trace;
  cmds.push(trace ? `trace ${dir} ${trace}` : `rate ${dir} ${d.rateMbit}`);
  cmds.push(`delay ${dir} ${d.delayMs}`);
  if (d.jitterMs) cmds.push(`jitter ${dir} ${d.jitterMs}`);
  if (d.reorder) cmds.push(`reorder ${dir} 1`);
  if (d.lossPct) cmds.push(`loss ${dir} ${d.lossPct}`);
  if (d.ge) cmds.push(`ge ${dir} ${d.ge.p} ${d.ge.r} ${d.ge.h} ${d.ge.k}`);
  cmds.push(`queue-bytes ${dir} ${d.queueBytes ?? 0}`);
  cmds.push(`queue-ms ${dir} ${d.queueMs ?? 0}`);
  return cmds;
}
