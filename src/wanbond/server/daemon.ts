import type { ServerConfig } from '../config/types.js';
import type { ServerStats } from '../engine/api.js';
import { decodeKey, publicKeyOf } from '../engine/keys.js';
import { type Cidr, formatCidr, formatEndpoint, parseCidr } from '../io/addr.js';
import type { ServerConfigLoader } from '../io/config-source.js';
import { DaemonBase } from '../io/daemon-base.js';
import { EngineDriver } from '../io/driver.js';
import type { ControllableServerEngine, EngineFactories } from '../io/engine-factory.js';
import { errText, type Logger } from '../io/log.js';
import { DEFAULT_PATH_MTU, deviceMtu, tunnelMtu } from '../io/mtu.js';
import { replaceTable } from '../io/nft.js';
import { removeDeviceRoutes, syncDeviceRoutes } from '../io/routes.js';
import { FIGURES_EVERY, STATE_LOG_MS } from '../io/state-log.js';
import { type TunOpener, type TunPort, writeToTun } from '../io/tun-port.js';
import { configureTun } from '../io/tun-setup.js';
import { ServerSocket } from '../io/udp-server.js';
import { SpeedtestResponder } from '../speedtest/responder.js';
import { ForwardingSwitch } from './forwarding.js';
import { LimitLog } from './limit-log.js';
import { serverRuleset } from './nft-rules.js';
import { engineClients, engineLimits, routedPrefixes } from './registry.js';

export interface ServerDeps {
  loadConfig: ServerConfigLoader;
  engines: EngineFactories;
  openTun: TunOpener;
  log: Logger;
  /** A fault the daemon cannot carry on after (the TUN device vanished): the caller stops it and exits non-zero. */
  onFatal?: (err: Error) => void;
  /** The speed test responder on the tunnel address (default on). */
  speedtest?: boolean;
  clock?: () => number;
}

/** The seam for the control API (see RouterStatus): engine figures plus what the daemon set up. */
export interface ServerStatus {
  role: 'server';
  pid: number;
  configFile: string;
  startedAt: string;
  listen: string;
  port: number | undefined;
  tunnel: { device: string; addresses: string[]; mtu: number };
  routes: string[];
  stats: ServerStats;
  now: number;
  wallNow: number;
}

/**
 * `wanbond server`: one UDP port for all routers, the TUN, and the VPS plumbing around them (IP forwarding,
 * routes to the routers' LANs, NAT and inbound forwards in nftables). Everything it adds is removed by stop().
 */
export class ServerDaemon extends DaemonBase<ServerDeps> {
  private config!: ServerConfig;
  private engine!: ControllableServerEngine;
  private driver!: EngineDriver;
  private socket: ServerSocket | undefined;
  private tun: TunPort | undefined;
  private routes: string[] = [];
  private mtu = DEFAULT_PATH_MTU;
  private readonly forwarding = new ForwardingSwitch();
  private socketErrors = 0;
  private readonly limitLog: LimitLog;
  private responder: SpeedtestResponder | undefined;

  private constructor(configFile: string, deps: ServerDeps) {
    super(configFile, deps);
    this.limitLog = new LimitLog(deps.log);
  }

  static async start(configFile: string, deps: ServerDeps): Promise<ServerDaemon> {
    return DaemonBase.launch(new ServerDaemon(configFile, deps));
  }

  protected async init(): Promise<void> {
    const config = await this.loadChecked();
    this.config = config;
    this.engine = this.createEngine(config);
    this.driver = new EngineDriver(
      this.engine,
      () => this.flush(),
      (err) => this.log.error(`engine: ${errText(err)}`),
      this.clock,
    );
    // The port first: if another daemon holds it, fail before touching TUN, routes or the firewall it runs on.
    await this.openSocket(config);
    this.tun = this.deps.openTun(config.tunName);
    this.log.info(`tun ${this.tun.name} opened`);
    this.tun.onError?.((err) => {
      this.log.error(`tun ${this.config.tunName}: ${err.message}`);
      if (!this.stopping) this.deps.onFatal?.(err);
    });
    this.tun.onPackets((packets) =>
      this.driver.event((now) => {
        for (const p of packets) this.engine.onTunPacket(p, now);
      }),
    );
    await this.applySystem(config);
    await this.syncResponder();
    this.driver.kick();
    let ticks = 0;
    this.stateTimer = setInterval(() => {
      const stats = this.engine.stats();
      this.stateLog.server(stats);
      this.limitLog.check(stats.limits, this.clock());
      if (++ticks % FIGURES_EVERY === 0) for (const c of stats.clients) this.stateLog.figures(c.session, c.name);
    }, STATE_LOG_MS);
    this.running = true;
    this.log.info(
      `server up: udp ${formatEndpoint(config.listen, this.socket?.boundPort ?? config.port)}, ${config.clients.length} client(s), mtu ${this.mtu}`,
    );
  }

  private async loadChecked(): Promise<ServerConfig> {
    const { config, warnings } = await this.deps.loadConfig(this.configFile);
    for (const w of warnings) this.log.warn(`config: ${w}`);
    decodeKey(config.privateKey, 'private_key');
    engineClients(config);
    serverAddresses(config);
    return config;
  }

  private createEngine(config: ServerConfig): ControllableServerEngine {
    return this.deps.engines.createServerEngine({
      privateKey: decodeKey(config.privateKey, 'private_key'),
      clients: engineClients(config),
      now: this.clock(),
      limits: engineLimits(config),
    });
  }

  private async openSocket(config: ServerConfig): Promise<void> {
    this.socket = await this.bindSocket(config);
  }

  private async bindSocket(config: ServerConfig): Promise<ServerSocket> {
    const socket = new ServerSocket(
      config.listen,
      config.port,
      (from, bytes) => this.driver.event((now) => this.engine.onDatagram(from, bytes, now)),
      (err) => {
        // Rate-limited: an unreachable client must not flood the log with one line per packet.
        if (this.socketErrors++ % 1000 === 0) this.log.warn(`udp: ${err.message}`);
      },
    );
    await socket.open();
    return socket;
  }

  /** TUN addresses and MTU, forwarding, routes to LANs, nftables: all idempotent so reload re-runs it. */
  private async applySystem(config: ServerConfig): Promise<void> {
    if (!this.tun) return;
    const wanMtu = config.wanDevice ? await deviceMtu(config.wanDevice) : undefined;
    this.mtu = config.mtu ?? tunnelMtu([wanMtu ?? DEFAULT_PATH_MTU], this.deps.engines.overhead);
    const addresses = serverAddresses(config);
    await configureTun(this.tun.name, this.mtu, addresses);
    for (const family of new Set(addresses.map((a) => a.family))) {
      if (await this.forwarding.enable(family)) this.log.info(`enabled IPv${family} forwarding`);
    }
    this.routes = await syncDeviceRoutes(this.tun.name, routedPrefixes(config), this.routes);
    await replaceTable(serverRuleset(config, this.mtu));
    this.firewallApplied = true;
    const forwards = config.clients.reduce((n, c) => n + c.forwards.length, 0);
    this.log.info(
      `nft table inet wanbond: masquerade ${config.masquerade ? `on${config.wanDevice ? ` via ${config.wanDevice}` : ''}` : 'off'}, ${forwards} forward(s); ${this.routes.length} route(s) via ${this.tun.name}`,
    );
  }

  private flush(): void {
    const engine = this.engine;
    for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) this.socket?.send(t.to, t.bytes);
    let batch: Uint8Array[] | undefined;
    for (let p = engine.pollDeliver(); p !== undefined; p = engine.pollDeliver()) {
      if (batch === undefined) batch = [];
      batch.push(p);
    }
    if (batch && this.tun) writeToTun(this.tun, batch, (err) => this.tunError(err));
  }

  /**
   * SIGHUP: a config that does not load is rejected whole and the running one stays. Client changes go to the
   * running engine (sessions of unchanged clients go on); only a new server key needs a new engine.
   */
  async reload(): Promise<{ ok: boolean; error?: string }> {
    const reject = (err: unknown) => {
      this.log.error(`reload rejected, keeping the running config: ${errText(err)}`);
      return { ok: false, error: errText(err) };
    };
    let next: ServerConfig;
    try {
      next = await this.loadChecked();
    } catch (err) {
      return reject(err);
    }
    const prev = this.config;
    if (next.tunName !== prev.tunName) {
      this.log.warn(`tun name change (${prev.tunName} -> ${next.tunName}) needs a restart; keeping ${prev.tunName}`);
      next.tunName = prev.tunName;
    }
    // Everything that can refuse the new config happens before anything is switched over.
    let socket: ServerSocket | undefined;
    let engine: ControllableServerEngine | undefined;
    try {
      if (next.listen !== prev.listen || next.port !== prev.port) socket = await this.bindSocket(next);
      if (next.privateKey !== prev.privateKey) engine = this.createEngine(next);
      else {
        this.engine.setClients(engineClients(next));
        this.engine.setLimits(engineLimits(next));
      }
    } catch (err) {
      socket?.close();
      return reject(err);
    }
    this.config = next;
    if (engine) {
      this.engine = engine;
      this.driver.setEngine(engine);
      this.log.warn('private_key changed: every client must handshake again');
    }
    if (socket) {
      this.socket?.close();
      this.socket = socket;
      this.log.info(`now listening on ${formatEndpoint(next.listen, next.port)}`);
    }
    try {
      await this.applySystem(next);
    } catch (err) {
      this.log.error(`reload: ${errText(err)}`);
    }
    await this.syncResponder();
    this.driver.kick();
    this.log.info(`reloaded ${this.configFile}: ${next.clients.length} client(s)`);
    return { ok: true };
  }

  status(): ServerStatus {
    return {
      role: 'server',
      pid: process.pid,
      configFile: this.configFile,
      startedAt: this.startedAt.toISOString(),
      listen: this.config.listen,
      port: this.socket?.boundPort,
      tunnel: { device: this.config.tunName, mtu: this.mtu, addresses: serverAddresses(this.config).map(formatCidr) },
      routes: [...this.routes],
      stats: this.engine.stats(),
      now: this.clock(),
      wallNow: Date.now(),
    };
  }

  /**
   * The speed test responder (speedtest/) listens on the tunnel's IPv4 address, TCP, on the tunnel's port number:
   * only routers with a session reach it. A bind failure costs the speed test, not the tunnel.
   */
  private async syncResponder(): Promise<void> {
    if (this.deps.speedtest === false) return;
    const host = serverAddresses(this.config).find((a) => a.family === 4)?.address;
    const port = this.socket?.boundPort ?? this.config.port;
    if (this.responder && this.responder.host === host && this.responder.port === port) return;
    await this.responder?.close();
    this.responder = undefined;
    if (host === undefined) return;
    try {
      this.responder = await SpeedtestResponder.listen(host, port);
      this.log.info(`speed test responder on ${host} tcp ${port}`);
    } catch (err) {
      this.log.warn(`speed test responder: cannot listen on ${host} tcp ${port}: ${errText(err)}`);
    }
  }

  secrets(): string[] {
    return this.config ? [this.config.privateKey] : [];
  }

  publicKey(): string | undefined {
    try {
      return publicKeyOf(this.config.privateKey);
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.responder?.close();
    this.responder = undefined;
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.driver?.stop();
    this.socket?.close();
    this.socket = undefined;
    if (this.tun) {
      await removeDeviceRoutes(this.tun.name, this.routes);
      this.routes = [];
      this.tun.close();
      this.log.info(`tun ${this.tun.name} closed`);
      this.tun = undefined;
    }
    await this.removeFirewall();
    for (const family of await this.forwarding.restore()) this.log.info(`IPv${family} forwarding back off`);
    if (this.running) this.log.info('server stopped');
    this.running = false;
  }
}

export function serverAddresses(config: ServerConfig): Cidr[] {
  const out = [parseCidr(config.address, 'address')];
  if (config.address6) out.push(parseCidr(config.address6, 'address6'));
  return out;
}
