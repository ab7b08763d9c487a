import { writeFileSync } from 'node:fs';
import { checkPrefix } from '../lab/addressing.js';
import { runDemo } from '../lab/demo.js';
import type { EmulatorStats } from '../lab/emulator.js';
import { Lab, labDown } from '../lab/lab.js';
import { isRoot } from '../lab/netns.js';
import { loadScenario } from '../lab/scenario.js';
import { CARRIERS, generateTrace, summarizeTrace, traceText } from '../lab/trace-gen.js';
import { type Command, type CommandIO, wantsHelp } from './command.js';

const USAGE = `usage: wanbond lab COMMAND [OPTIONS]

Userspace link emulator and namespace lab (see docs/lab.md). Needs root.

commands:
  up --scenario FILE [--prefix P] [--json]   build the namespaces and start one emulator per link; the lab stays up
  down [--prefix P]                          remove everything of lab P (also after a crash); idempotent
  status [--prefix P] [--json]               per-link counters (packets/bytes in/out, drops by cause)
  cut LINK [up|down] [--prefix P]            cut a link (both directions unless one is given)
  restore LINK [up|down] [--prefix P]        restore a cut link
  ctl LINK COMMAND... [--prefix P]           send any emulator command, e.g. 'rate up 5', 'loss both 2', 'delay down 40'
  demo [--prefix P] [--duration S] [--out DIR]
                                             three cellular links: each alone, then bonded; table + SVG/PNG plot
  trace --carrier A|B|C [--direction up|down] [--seed N] [--duration S] [-o FILE]
                                             print a generated cellular trace (Mahimahi format)

The default prefix is 'wb': namespaces wb-lan, wb-rt, wb-sw, wb-m1.., wb-net, wb-vps, wb-inet.`;

interface Parsed {
  flags: Map<string, string | true>;
  rest: string[];
}

const VALUE_FLAGS = new Set([
  '--scenario',
  '--prefix',
  '--duration',
  '--out',
  '--carrier',
  '--direction',
  '--seed',
  '-o',
]);

function parseArgs(args: string[]): Parsed {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_FLAGS.has(a)) {
      const v = args[i + 1];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      flags.set(a, v);
      i++;
    } else if (a === '--json') flags.set(a, true);
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else rest.push(a);
  }
  return { flags, rest };
}

class UsageError extends Error {}

function str(p: Parsed, flag: string): string | undefined {
  const v = p.flags.get(flag);
  return typeof v === 'string' ? v : undefined;
}

function number(p: Parsed, flag: string, fallback: number, min: number, max: number): number {
  const v = str(p, flag);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} wants a number from ${min} to ${max}`);
  return n;
}

function needRoot(io: CommandIO): boolean {
  if (isRoot()) return true;
  io.stderr('wanbond lab: needs root (network namespaces)\n');
  return false;
}

async function run(args: string[], io: CommandIO): Promise<number> {
  const [sub, ...more] = args;
  const p = parseArgs(more);
  const prefix = checkPrefix(str(p, '--prefix') ?? 'wb');
  switch (sub) {
    case 'up': {
      const file = str(p, '--scenario');
      if (!file) throw new UsageError('lab up needs --scenario FILE');
      const scenario = loadScenario(file);
      if (!needRoot(io)) return 1;
      const lab = await Lab.up(scenario, { prefix, detached: true });
      if (p.flags.has('--json')) io.stdout(`${JSON.stringify(lab.info, null, 2)}\n`);
      else {
        io.stdout(
          `lab '${prefix}' up (${scenario.name}): router ${lab.info.router.ns}, VPS ${lab.info.vps.ns} ${lab.info.vps.publicAddress}\n`,
        );
        for (const l of lab.info.links)
          io.stdout(`  ${l.name}: ${l.device} ${l.source} via ${l.gateway} (${l.modemNs})\n`);
        io.stdout(`remove with: wanbond lab down --prefix ${prefix}\n`);
      }
      return 0;
    }
    case 'down': {
      if (!needRoot(io)) return 1;
      const removed = labDown(prefix);
      io.stdout(removed.length ? `removed ${removed.join(' ')}\n` : `nothing of lab '${prefix}' left\n`);
      return 0;
    }
    case 'status': {
      const lab = Lab.attach(prefix);
      const all: Record<string, EmulatorStats> = {};
      for (const l of lab.info.links) all[l.name] = await lab.stats(l.name);
      if (p.flags.has('--json')) io.stdout(`${JSON.stringify(all, null, 2)}\n`);
      else {
        for (const l of lab.info.links) {
          const s = all[l.name]!;
          for (const dir of ['up', 'down'] as const) {
            const d = s[dir];
            const drops = Object.entries(d.drop)
              .filter(([, n]) => n > 0)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ');
            io.stdout(
              `${l.name} ${dir.padEnd(4)} ${d.cut ? 'CUT ' : ''}${d.mode} ${d.rate_mbit.toFixed(1)} Mbit/s ${d.delay_ms} ms: in ${d.in_pkts} pkts, out ${d.out_pkts} pkts (${(d.out_bytes / 1e6).toFixed(1)} MB), drops: ${drops || 'none'}\n`,
            );
          }
        }
      }
      return 0;
    }
    case 'cut':
    case 'restore': {
      const [link, dir] = p.rest;
      if (!link) throw new UsageError(`lab ${sub} needs a LINK`);
      await Lab.attach(prefix).command(link, dir ? `${sub} ${dir}` : sub);
      return 0;
    }
    case 'ctl': {
      const [link, ...cmd] = p.rest;
      if (!link || cmd.length === 0) throw new UsageError('lab ctl needs LINK COMMAND...');
      const answer = await Lab.attach(prefix).command(link, cmd.join(' '));
      io.stdout(`${JSON.stringify(answer)}\n`);
      return 0;
    }
    case 'demo': {
      if (!needRoot(io)) return 1;
      const result = await runDemo({
        prefix,
        seconds: number(p, '--duration', 10, 3, 600),
        outDir: str(p, '--out') ?? '/tmp/wanbond-lab',
        log: (t) => io.stderr(t),
        print: (t) => io.stdout(t),
      });
      return result.ok ? 0 : 1;
    }
    case 'trace': {
      const carrier = str(p, '--carrier') ?? 'A';
      if (!CARRIERS[carrier]) throw new UsageError(`--carrier must be one of ${Object.keys(CARRIERS).join(', ')}`);
      const direction = str(p, '--direction') ?? 'down';
      if (direction !== 'up' && direction !== 'down') throw new UsageError('--direction must be up or down');
      const t = generateTrace({
        carrier,
        direction,
        seed: number(p, '--seed', 1, 0, 2 ** 31),
        durationS: number(p, '--duration', 30, 1, 3600),
      });
      const out = str(p, '-o');
      if (out) {
        writeFileSync(out, traceText(t.ms));
        const s = summarizeTrace(t.ms);
        io.stderr(`${out}: ${s.periodMs / 1000} s, mean ${s.meanMbit.toFixed(2)} Mbit/s, ${s.outages} outages\n`);
      } else io.stdout(traceText(t.ms));
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown lab command '${sub}'` : 'lab needs a command');
  }
}

export const lab: Command = {
  name: 'lab',
  summary: 'userspace link emulator and namespace lab',
  usage: USAGE,
  async run(args, io) {
    if (args.length === 0 || wantsHelp(args)) {
      io.stdout(`${USAGE}\n`);
      return args.length === 0 ? 1 : 0;
    }
    try {
      return await run(args, io);
    } catch (err) {
      io.stderr(`wanbond lab: ${(err as Error).message}\n`);
      if (err instanceof UsageError) io.stderr(`\n${USAGE}\n`);
      return 1;
    }
  },
};
