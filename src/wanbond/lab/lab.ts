/**
 * A running lab: the topology plus one emulator per link, and a state directory under /run/wanbond-lab/PREFIX that
 * holds the description (info.json), the emulators' control sockets and generated traces. `labDown` needs only the
 * prefix, so it also cleans up after a crash.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPrefix, type LinkAddressing } from './addressing.js';
import { type EmulatorStats, emulatorCommand, LinkEmulator } from './emulator.js';
import { runPing } from './ping.js';
import { directionCommands, type LinkSpec, type Scenario } from './scenario.js';
import { createTopology, destroyTopology, type TopologyInfo } from './topology.js';
import { generateTrace, traceText } from './trace-gen.js';

export const STATE_ROOT = '/run/wanbond-lab';

export interface LabLinkInfo extends LinkAddressing {
  name: string;
  emulatorPid: number;
  control: string;
  /** What each direction was configured with, in emulator commands. */
  commands: string[];
}

export interface LabInfo extends TopologyInfo {
  scenario: string;
  stateDir: string;
  links: LabLinkInfo[];
  /** Links whose WAN could not reach the VPS when the lab came up (normally empty). */
  unreachable: string[];
}

export interface LabOptions {
  prefix?: string;
  /** Emulators outlive this process (`wanbond lab up`). */
  detached?: boolean;
  /** Seconds of generated cellular trace before it loops. */
  traceSeconds?: number;
}

export function stateDirOf(prefix: string): string {
  return join(STATE_ROOT, prefix);
}

export class Lab {
  private constructor(
    readonly info: LabInfo,
    private readonly emulators: Map<string, LinkEmulator>,
  ) {}

  static async up(scenario: Scenario, opts: LabOptions = {}): Promise<Lab> {
    const prefix = checkPrefix(opts.prefix ?? 'wb');
    const topo = await createTopology(prefix, scenario.links.length, scenario.congestion);
    const stateDir = stateDirOf(prefix);
    const emulators = new Map<string, LinkEmulator>();
    const links: LabLinkInfo[] = [];
    try {
      mkdirSync(stateDir, { recursive: true });
      for (const [i, spec] of scenario.links.entries()) {
        const addr = topo.router.links[i]!;
        const commands = linkCommands(spec, stateDir, opts.traceSeconds ?? 60);
        const control = join(stateDir, `${spec.name}.sock`);
        const emu = await LinkEmulator.start({
          a: `${addr.modemNs}:${addr.modemTun}`,
          b: `${topo.namespaces.net}:${addr.coreTun}`,
          commands,
          schedule: spec.schedule,
          seed: scenario.seed * 1000 + i + 1,
          control,
          detached: opts.detached ?? false,
        });
        emulators.set(spec.name, emu);
        links.push({ ...addr, name: spec.name, emulatorPid: emu.pid, control, commands });
      }
      const unreachable = await warmUp(topo);
      const info: LabInfo = { ...topo, scenario: scenario.name, stateDir, links, unreachable };
      writeFileSync(join(stateDir, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
      return new Lab(info, emulators);
    } catch (err) {
      for (const emu of emulators.values()) await emu.stop();
      labDown(prefix);
      throw err;
    }
  }

  /** Attaches to a lab brought up by another process (`wanbond lab up`). */
  static attach(prefix: string): Lab {
    const info = readLabInfo(prefix);
    if (!info) throw new Error(`no lab with prefix '${prefix}' (no ${join(stateDirOf(prefix), 'info.json')})`);
    return new Lab(info, new Map());
  }

  link(name: string): LabLinkInfo {
    const link = this.info.links.find((l) => l.name === name);
    if (!link) throw new Error(`no link '${name}' in this lab (${this.info.links.map((l) => l.name).join(', ')})`);
    return link;
  }

  async command(name: string, line: string): Promise<Record<string, unknown>> {
    const emu = this.emulators.get(name);
    return emu ? emu.command(line) : emulatorCommand(this.link(name).control, line);
  }

  async stats(name: string): Promise<EmulatorStats> {
    return (await this.command(name, 'stats')) as unknown as EmulatorStats;
  }

  /** Restarts every link's trace and schedule clock, so each measurement sees the same capacity over time. */
  async resetClocks(): Promise<void> {
    await Promise.all(this.info.links.map((l) => this.command(l.name, 'reset')));
  }

  async down(): Promise<string[]> {
    for (const emu of this.emulators.values()) await emu.stop();
    return labDown(this.info.prefix);
  }
}

/**
 * The first ARP exchange across the fresh bridge takes a retransmit (1 s), so every path is primed once before
 * anyone measures; this doubles as a health check of each WAN.
 */
async function warmUp(topo: TopologyInfo): Promise<string[]> {
  const down: string[] = [];
  await Promise.all([
    runPing(topo.lan.ns, topo.inet.address, 3, { intervalS: 0.2, count: 1 }),
    ...topo.router.links.map(async (l) => {
      const r = await runPing(topo.router.ns, topo.vps.publicAddress, 3, {
        source: l.source,
        intervalS: 0.2,
        count: 1,
      });
      if (r.samples.length === 0) down.push(l.device);
    }),
  ]);
  return down;
}

function linkCommands(spec: LinkSpec, stateDir: string, traceSeconds: number): string[] {
  const out: string[] = [];
  for (const dir of ['up', 'down'] as const) {
    let traceFile: string | undefined;
    if (spec.cellular) {
      traceFile = join(stateDir, `${spec.name}-${dir}.trace`);
      const t = generateTrace({
        carrier: spec.cellular.carrier,
        direction: dir,
        seed: spec.cellular.seed,
        durationS: traceSeconds,
      });
      writeFileSync(traceFile, traceText(t.ms));
    }
    const d = spec[dir];
    if ((traceFile ?? d.trace ?? '').match(/\s/))
      throw new Error(`trace path must not contain spaces: ${traceFile ?? d.trace}`);
    out.push(...directionCommands(dir, d, traceFile));
  }
  return out;
}

export function readLabInfo(prefix: string): LabInfo | undefined {
  const file = join(stateDirOf(prefix), 'info.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabInfo;
  } catch {
    return undefined;
  }
}

/** Stops the emulators and removes every namespace and file of the lab; safe to run any number of times. */
export function labDown(prefix: string): string[] {
  checkPrefix(prefix);
  const info = readLabInfo(prefix);
  for (const link of info?.links ?? []) {
    try {
      // Only our emulator: after a reboot or a crash the pid may belong to someone else by now.
      if (readFileSync(`/proc/${link.emulatorPid}/comm`, 'utf8').trim() === 'wanbond-linkemu') {
        process.kill(link.emulatorPid, 'SIGKILL');
      }
    } catch {
      // already gone
    }
  }
  return destroyTopology(prefix, stateDirOf(prefix));
}
