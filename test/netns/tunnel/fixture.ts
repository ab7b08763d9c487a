import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { inNs } from '../../../src/wanbond/lab/netns.js';
import { type NsProcess, ROOT, startDaemon } from './process.js';
import { buildTopology, type Topology } from './topology.js';

export const TOOL = join(import.meta.dirname, 'tcp-tool.mjs');

/**
 * The tests run the real bundle, as procd/systemd would, from a private copy: a rebuild by a parallel test run
 * rewrites dist/tuntap2.node in place, which kills (SIGBUS) every process that has it mapped. The build itself
 * only runs when a source is newer than the bundle, so in CI (`make test` builds first) it never runs here.
 */
export function privateBundle(dir: string): string {
  buildBundle();
  for (const file of ['wanbond.js', 'tuntap2.node', 'package.json'])
    copyFileSync(join(ROOT, 'dist', file), join(dir, file));
  return join(dir, 'wanbond.js');
}

/** Builds dist/wanbond.js and the addon when a source is newer than them (TunnelFixture.start calls it). */
export function buildBundle(): void {
  const built = Math.min(mtime(join(ROOT, 'dist', 'wanbond.js')), mtime(join(ROOT, 'dist', 'tuntap2.node')));
  if (newestSource(join(ROOT, 'src')) > built || mtime(join(ROOT, 'scripts', 'build.mjs')) > built) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'build') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : mtime(path));
  }
  return newest;
}

export interface Keys {
  server: string;
  router: string;
}

export interface ConfigOptions {
  forwards?: string[];
  mode?: string;
  links?: number;
  /** Run harness.ts (the daemons in-process, with stdin commands) instead of the bundle. */
  harness?: boolean;
  /** More arguments for `wanbond router` (e.g. --policy-routing on, --ubus-socket PATH). */
  routerArgs?: string[] | ((topo: Topology) => string[]);
  /** Add `default dev <tun>` in the router's main table (what policy routing does otherwise); default true. */
  defaultRoute?: boolean;
  /** Links name a netifd interface (`option interface 'wanN'`) instead of device and source. */
  netifd?: boolean;
  /** Runs once the topology exists, before the router starts (e.g. a stand-in netifd describing its WANs). */
  beforeRouter?: (topo: Topology) => Promise<void>;
}

/** Each daemon gets its own control socket in the run's dir: parallel runs never share /var/run/wanbond.sock. */
export function controlSocketOf(dir: string, role: 'router' | 'server'): string {
  return join(dir, `${role}.sock`);
}

/** A harness (harness.ts by default) bundled next to a private copy of the addon, the way the real bundle finds it. */
export async function harnessBundle(dir: string, name = 'harness'): Promise<string> {
  privateBundle(dir);
  const out = join(dir, `${name}.cjs`);
  await build({
    entryPoints: [join(import.meta.dirname, `${name}.ts`)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    define: { 'import.meta.url': '__harnessUrl' },
    banner: { js: 'const __harnessUrl = require("url").pathToFileURL(__filename).href;' },
    logLevel: 'silent',
  });
  return out;
}

export function serverConfig(t: Topology, keys: Keys, o: ConfigOptions = {}): string {
  const forwards = (o.forwards ?? []).map((f) => `\tlist forward '${f}'\n`).join('');
  return `config server 'main'
\toption listen '::'
\toption port '5555'
\toption private_key '${keys.server}'
\toption address '10.255.0.1/24'
\toption address6 'fd00:255::1/64'
\toption masquerade '1'
\toption wan_device '${t.vpsDev}'
\toption tun '${t.prefix}t'

config client 'home'
\toption public_key '${publicKeyOf(keys.router)}'
\toption address '10.255.0.2'
\toption address6 'fd00:255::2'
\tlist route '${t.lanSubnet}'
${forwards}`;
}

export function routerConfig(t: Topology, keys: Keys, o: ConfigOptions = {}): string {
  const links = t.wans
    .slice(0, o.links ?? t.wans.length)
    .map((w, i) =>
      o.netifd
        ? `config link 'wan${i}'\n\toption interface 'wan${i}'\n`
        : `config link 'wan${i}'\n\toption device '${w.routerDev}'\n\toption source '${w.source}'\n`,
    )
    .join('\n');
  return `config wanbond 'main'
\toption enabled '1'
\toption server '${t.vpsAddress}'
\toption port '5555'
\toption private_key '${keys.router}'
\toption server_key '${publicKeyOf(keys.server)}'
\toption mode '${o.mode ?? 'bond'}'
\toption address '10.255.0.2/24'
\toption address6 'fd00:255::2/64'
\toption tun '${t.prefix}t'

${links}`;
}

/** Topology, keys, config files and both daemons running with the tunnel up; dispose() undoes all of it. */
export class TunnelFixture {
  readonly keys: Keys = { server: generatePrivateKey(), router: generatePrivateKey() };
  readonly procs: NsProcess[] = [];
  server!: NsProcess;
  router!: NsProcess;
  readonly serverFile: string;
  readonly routerFile: string;
  private harness = false;
  private routerArgs: string[] = [];

  private constructor(
    readonly topo: Topology,
    readonly dir: string,
    readonly bundle: string,
  ) {
    this.serverFile = join(dir, 'server');
    this.routerFile = join(dir, 'router');
  }

  get tun(): string {
    return `${this.topo.prefix}t`;
  }

  static async start(o: ConfigOptions = {}): Promise<TunnelFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'wbtun-'));
    let f: TunnelFixture;
    try {
      const bundle = o.harness ? await harnessBundle(dir) : privateBundle(dir);
      f = new TunnelFixture(await buildTopology(), dir, bundle);
      f.harness = o.harness === true;
      f.routerArgs = typeof o.routerArgs === 'function' ? o.routerArgs(f.topo) : (o.routerArgs ?? []);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    try {
      writeFileSync(f.serverFile, serverConfig(f.topo, f.keys, o));
      writeFileSync(f.routerFile, routerConfig(f.topo, f.keys, o));
      f.server = f.spawn(f.topo.ns.vps, 'server', f.serverFile);
      await f.server.waitFor(/server up/);
      await o.beforeRouter?.(f.topo);
      f.router = f.spawn(f.topo.ns.router, 'router', f.routerFile);
      await f.router.waitFor(/router up/);
      // What OpenWrt's policy rules do for LAN traffic: everything not for a WAN itself goes into the tunnel.
      if (o.defaultRoute !== false) await inNs(f.topo.ns.router, 'ip', ['route', 'add', 'default', 'dev', f.tun]);
      await f.waitForTunnel();
    } catch (err) {
      await f.dispose();
      throw err;
    }
    return f;
  }

  spawn(ns: string, role: 'router' | 'server', file: string): NsProcess {
    const extra = this.harness ? [] : ['--control-socket', controlSocketOf(this.dir, role)];
    if (role === 'router') extra.push(...this.routerArgs);
    const p = startDaemon(this.bundle, ns, role, file, extra);
    this.procs.push(p);
    return p;
  }

  async waitForTunnel(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await inNs(this.topo.ns.router, 'ping', ['-c', '1', '-W', '1', '10.255.0.1']);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(
            `tunnel not up: ${(err as Error).message}\n--- server\n${this.server.output()}\n--- router\n${this.router.output()}`,
          );
        }
      }
    }
  }

  async dispose(): Promise<void> {
    for (const p of this.procs) await p.stop('SIGKILL', 2000);
    this.topo.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
