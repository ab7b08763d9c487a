import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey } from '../../../src/wanbond/engine/keys.js';
import { inNs, NamespaceSet, sh } from '../../../src/wanbond/lab/netns.js';
import { NsProcess, ROOT } from '../tunnel/process.js';

/**
 * A VPS and N routers, each with one WAN and a LAN host, all names under one per-run prefix:
 *
 *   l1 (192.168.1.2) -- r1 (WAN 10.201.0.2) --.
 *   l2 (192.168.2.2) -- r2 (WAN 10.202.0.2) ---+-- isp -- vps (198.18.0.1, the server)
 *   ...                                        `-------- inet (203.0.113.2, a host on the internet)
 *
 * Each router sends its WAN's traffic by source-address policy routing (as OpenWrt/mwan3 set it up); the main
 * table's default route goes into the tunnel once it is up. The configs are written by `wanbond pair` and
 * `wanbond join` from the built bundle, as an admin would.
 */
/** The bundle the tests run, as `buildBundle` leaves it. */
export const BUNDLE = join(ROOT, 'dist', 'wanbond.js');
const TOOL = join(import.meta.dirname, 'net-tool.mjs');
export const VPS = '198.18.0.1';
export const INET = '203.0.113.2';

export interface Site {
  index: number;
  router: string;
  lan: string;
  wanDev: string;
  source: string;
  gateway: string;
  lanAddress: string;
  lanSubnet: string;
  tun: string;
  configFile: string;
}

export class World {
  readonly set = new NamespaceSet();
  readonly dir = mkdtempSync(join(tmpdir(), 'wbpairing-'));
  readonly procs: NsProcess[] = [];
  readonly serverFile = join(this.dir, 'server');
  readonly sites: Site[] = [];
  vps = '';
  isp = '';
  inet = '';
  server?: NsProcess;

  get prefix(): string {
    return this.set.prefix;
  }

  get vpsDev(): string {
    return `${this.prefix}vp`;
  }

  static async build(routers: number): Promise<World> {
    const w = new World();
    try {
      await w.setup(routers);
    } catch (err) {
      await w.dispose();
      throw err;
    }
    return w;
  }

  private async setup(routers: number): Promise<void> {
    const p = this.prefix;
    this.isp = await this.set.add('x');
    this.vps = await this.set.add('v');
    this.inet = await this.set.add('i');
    await inNs(this.isp, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await veth(`${p}vp`, this.vps, `${VPS}/24`, `${p}xv`, this.isp, '198.18.0.2/24');
    await inNs(this.vps, 'ip', ['route', 'add', 'default', 'via', '198.18.0.2']);
    await veth(`${p}ie`, this.inet, `${INET}/24`, `${p}xi`, this.isp, '203.0.113.1/24');
    await inNs(this.inet, 'ip', ['route', 'add', 'default', 'via', '203.0.113.1']);
    for (let i = 1; i <= routers; i++) {
      const router = await this.set.add(`r${i}`);
      const lan = await this.set.add(`l${i}`);
      await inNs(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      const site: Site = {
        index: i,
        router,
        lan,
        wanDev: `${p}w${i}`,
        source: `10.20${i}.0.2`,
        gateway: `10.20${i}.0.1`,
        lanAddress: `192.168.${i}.2`,
        lanSubnet: `192.168.${i}.0/24`,
        tun: `${p}t${i}`,
        // Named like the OpenWrt file, so the package is `wanbond` as in /etc/config/wanbond.
        configFile: join(this.dir, `r${i}`, 'wanbond'),
      };
      await veth(site.wanDev, router, `${site.source}/24`, `${p}x${i}`, this.isp, `${site.gateway}/24`);
      await inNs(router, 'ip', ['route', 'add', 'default', 'via', site.gateway, 'dev', site.wanDev, 'table', '101']);
      await inNs(router, 'ip', ['route', 'add', 'unreachable', 'default', 'metric', '4000', 'table', '101']);
      await inNs(router, 'ip', ['rule', 'add', 'from', site.source, 'lookup', '101', 'priority', '1000']);
      await veth(`${p}l${i}`, lan, `${site.lanAddress}/24`, `${p}rl${i}`, router, `192.168.${i}.1/24`);
      await inNs(lan, 'ip', ['route', 'add', 'default', 'via', `192.168.${i}.1`]);
      mkdirSync(join(this.dir, `r${i}`));
      // What an admin has before pairing: a router config with its WAN link, not yet enabled.
      writeFileSync(
        site.configFile,
        `config wanbond 'main'\n\toption enabled '0'\n\toption tun '${site.tun}'\n\n` +
          `config link 'wan'\n\toption device '${site.wanDev}'\n\toption source '${site.source}'\n`,
        { mode: 0o600 },
      );
      this.sites.push(site);
    }
    // What the Debian package leaves: a server config with its key and pool, no clients yet.
    writeFileSync(
      this.serverFile,
      `config server 'main'\n\toption listen '::'\n\toption port '5555'\n\toption private_key '${generatePrivateKey()}'\n` +
        `\toption address '10.255.0.1/24'\n\toption masquerade '1'\n\toption wan_device '${this.vpsDev}'\n` +
        `\toption tun '${p}t'\n`,
      { mode: 0o600 },
    );
  }

  /** `node dist/wanbond.js ARGS` on the host (the configs live in the file system all namespaces share). */
  cli(args: string[]): { code: number; out: string; err: string } {
    try {
      const out = execFileSync(process.execPath, [BUNDLE, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { code: 0, out, err: '' };
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { code: e.status, out: e.stdout, err: e.stderr };
    }
  }

  startServer(): Promise<string> {
    this.server = this.spawn('server', this.vps, [BUNDLE, 'server', '-c', this.serverFile]);
    return this.server.waitFor(/server up/);
  }

  async startRouter(site: Site): Promise<NsProcess> {
    const p = this.spawn(`router ${site.index}`, site.router, [BUNDLE, 'router', '-c', site.configFile]);
    await p.waitFor(/router up/);
    return p;
  }

  spawn(label: string, ns: string, args: string[]): NsProcess {
    const p = new NsProcess(ns, process.execPath, args, { label });
    this.procs.push(p);
    return p;
  }

  /** Waits for a ping from the router through its tunnel to the server, then routes the LAN into the tunnel. */
  async tunnelUp(site: Site, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await inNs(site.router, 'ping', ['-c', '1', '-W', '1', '10.255.0.1']);
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`tunnel of ${site.router} not up: ${(err as Error).message}\n${this.logs()}`);
      }
    }
    await inNs(site.router, 'ip', ['route', 'replace', 'default', 'dev', site.tun]);
  }

  tool(ns: string, args: string[]): Promise<string> {
    return inNs(ns, process.execPath, [TOOL, ...args]).then((s) => s.trim());
  }

  serve(ns: string, args: string[]): Promise<string> {
    const p = this.spawn(args.join(' '), ns, [TOOL, ...args]);
    return p.waitFor(/listening/);
  }

  logs(): string {
    return this.procs.map((p) => `--- ${p.label}\n${p.output()}`).join('\n');
  }

  async dispose(): Promise<void> {
    for (const p of this.procs) await p.stop('SIGTERM', 3000);
    this.set.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Builds dist/wanbond.js and the addon: the tests run the real bundle. */
export function buildBundle(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

export function pairingLine(out: string): string {
  const m = /wanbond join '([^']+)'/.exec(out);
  if (!m) throw new Error(`no pairing line in:\n${out}`);
  return m[1]!;
}

async function veth(a: string, nsA: string, addrA: string, b: string, nsB: string, addrB: string): Promise<void> {
  await sh('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
  await inNs(nsA, 'ip', ['addr', 'add', addrA, 'dev', a]);
  await inNs(nsB, 'ip', ['addr', 'add', addrB, 'dev', b]);
  await inNs(nsA, 'ip', ['link', 'set', a, 'up']);
  await inNs(nsB, 'ip', ['link', 'set', b, 'up']);
}
