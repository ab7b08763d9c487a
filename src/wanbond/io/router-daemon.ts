import { readFileSync } from 'node:fs';
import type { LinkConfig, RouterConfig } from '../config/types.js';
import type { Mode, PathChoice, PathId, SessionStats } from '../engine/api.js';
import { type Classifier, compileClassifier } from '../engine/classify.js';
import { decodeKey, publicKeyOf } from '../engine/keys.js';
import { type Cidr, parseCidr } from './addr.js';
import type { RouterConfigLoader } from './config-source.js';
import { DaemonBase } from './daemon-base.js';
import { EngineDriver } from './driver.js';
import type { ControllableClientEngine, EngineFactories } from './engine-factory.js';
import { errText, type Logger } from './log.js';
import { mssClampChain } from './mss-clamp.js';
import { DEFAULT_PATH_MTU, deviceMtu, tunnelMtu } from './mtu.js';
import { replaceTable } from './nft.js';
import { addressForFamily, type ResolvedServer, resolveServer } from './resolve.js';
import { type PolicyRouterPort, policyConfigOf, policyLinksOf } from './router-policy.js';
import { FIGURES_EVERY, STATE_LOG_MS } from './state-log.js';
import { type TunOpener, type TunPort, writeToTun } from './tun-port.js';
import { configureTun } from './tun-setup.js';
import { LinkSocket } from './udp-link.js';

/** How often closed link sockets are re-bound and an unanswered server name is looked up again. */
const MAINTENANCE_MS = 5_000;
/** A session not established this long after the last lookup triggers a new lookup (the VPS may have moved). */
const RERESOLVE_AFTER_MS = 20_000;
/** How often the session state is looked at for policy routing's tunnel table. */
const SESSION_WATCH_MS = 500;

export interface RouterDeps {
  loadConfig: RouterConfigLoader;
  engines: EngineFactories;
  openTun: TunOpener;
  log: Logger;
  /** OpenWrt: a link's netifd `interface` to device + source address (openwrt/); elsewhere config gives both. */
  resolveLink?: (link: LinkConfig) => Promise<{ device?: string; source?: string; gateway?: string; up?: boolean }>;
  /** Policy routing (OpenWrt): synced on start, reload, link and server address changes; absent = off. */
  policy?: { router: PolicyRouterPort; lanDevices?: string[] };
  /** A fault the daemon cannot carry on after (the TUN device vanished): the caller stops it and exits non-zero. */
  onFatal?: (err: Error) => void;
  /** Whether a device has carrier (tests); default: /sys/class/net/<dev>/operstate. */
  carrier?: (device: string) => Promise<boolean>;
  clock?: () => number;
}

/** What the daemon knows about a link beyond its config: control/'s LinkRuntime plus the socket's port. */
export interface LinkRuntime {
  device: string | undefined;
  source: string | undefined;
  pathId: PathId;
  bound: boolean;
  error: string | undefined;
  localPort: number | undefined;
  /** The server address this link sends to (its family's). */
  remote: string | undefined;
}

/**
 * The seam for the control API: field names follow control/'s BuildStatusInput, so a status reply is
 * `buildStatus(daemon.status())`. `now` (monotonic, the engine's clock) and `wallNow` are taken together.
 */
export interface RouterStatus {
  role: 'router';
  pid: number;
  configFile: string;
  startedAt: string;
  enabled: boolean;
  server: string;
  port: number;
  serverAddresses: string[];
  mode: Mode;
  tunnel: { device: string; addresses: string[]; mtu: number };
  links: LinkConfig[];
  runtime: Record<string, LinkRuntime>;
  stats: SessionStats;
  now: number;
  wallNow: number;
}

interface Link {
  name: string;
  pathId: PathId;
  config: LinkConfig;
  device: string | undefined;
  source: string | undefined;
  family: 4 | 6 | undefined;
  socket: LinkSocket | undefined;
  error: string | undefined;
  /** netifd said the interface is down: no re-bind attempts until it says otherwise. */
  held: boolean;
  /** The WAN's gateway as netifd reported it (policy routing); otherwise the main table's is looked up. */
  gateway: string | undefined;
  /** Without netifd: the link's device reports no carrier (operstate down), so the path is down until it does. */
  carrierDown: boolean;
}

/**
 * `wanbond router`: the TUN device, one UDP socket per enabled link, the engine between them, and the MSS clamp in
 * nftables. start() sets everything up, reload() applies a new config to the running session, stop() removes what
 * start() added.
 */
export class RouterDaemon extends DaemonBase<RouterDeps> {
  private config!: RouterConfig;
  /** Read by the engine's classify hook on every packet, so a reload swaps the rules in place. */
  private classifier!: Classifier;
  /** The classifier bound to the links' path ids (policies' `use_link`): the engine's classify hook. */
  private route: (packet: Uint8Array) => Mode | PathChoice = () => 'bond';
  private tunnelUp = false;
  private sessionTimer: NodeJS.Timeout | undefined;
  private engine!: ControllableClientEngine;
  private driver!: EngineDriver;
  private tun: TunPort | undefined;
  private readonly links = new Map<string, Link>();
  private readonly byPath = new Map<PathId, Link>();
  private server: ResolvedServer | undefined;
  private resolvedAt = 0;
  private nextPathId = 0;
  private mtu = DEFAULT_PATH_MTU;
  private addresses: Cidr[] = [];
  private maintenance: NodeJS.Timeout | undefined;
  /** Loads the config and brings the router side up; on failure everything already added is removed again. */
  static async start(configFile: string, deps: RouterDeps): Promise<RouterDaemon> {
    return DaemonBase.launch(new RouterDaemon(configFile, deps));
  }

  protected async init(): Promise<void> {
    const { config, classifier } = await this.loadChecked();
    this.config = config;
    this.classifier = classifier;
    this.addresses = tunnelAddresses(config);
    const enabled = config.links.filter((l) => l.enabled);
    for (const lc of enabled) this.addLink(lc);
    this.bindRoutes();

    this.engine = this.createEngine(config);
    this.driver = new EngineDriver(
      this.engine,
      () => this.flush(),
      (err) => this.log.error(`engine: ${errText(err)}`),
      this.clock,
    );

    await this.resolve();
    for (const link of this.links.values()) await this.resolveLinkSource(link);

    this.tun = this.deps.openTun(config.tunName);
    this.log.info(`tun ${this.tun.name} opened`);
    this.tun.onError?.((err) => this.tunReadError(err));
    await this.applyTun();
    this.tun.onPackets((packets) =>
      this.driver.event((now) => {
        for (const p of packets) this.engine.onTunPacket(p, now);
      }),
    );
    await this.applyFirewall();

    for (const link of this.links.values()) await this.openLink(link);
    this.driver.kick();
    this.maintenance = setInterval(() => void this.maintain(), MAINTENANCE_MS);
    let ticks = 0;
    this.stateTimer = setInterval(() => {
      const stats = this.engine.stats();
      this.stateLog.session(stats);
      if (++ticks % FIGURES_EVERY === 0) this.stateLog.figures(stats);
    }, STATE_LOG_MS);
    let carrierBusy = false;
    this.sessionTimer = setInterval(() => {
      this.watchSession();
      if (carrierBusy) return;
      carrierBusy = true;
      this.watchCarrier()
        .catch((err: unknown) => this.log.error(`carrier watch: ${errText(err)}`))
        .finally(() => {
          carrierBusy = false;
        });
    }, SESSION_WATCH_MS);
    this.running = true;
    await this.syncPolicy();
    this.log.info(
      `router up: server ${config.server}:${config.port}, ${this.links.size} link(s), mode ${config.mode}, mtu ${this.mtu}`,
    );
  }

  /** A config that fails any check (keys, addresses, rules: ClassifierError) is rejected whole. */
  private async loadChecked(): Promise<{ config: RouterConfig; classifier: Classifier }> {
    const { config, warnings } = await this.deps.loadConfig(this.configFile);
    for (const w of warnings) this.log.warn(`config: ${w}`);
    if (!config.enabled) throw new DisabledError(`${config.file}: wanbond is disabled (option enabled '0')`);
    this.keysOf(config);
    tunnelAddresses(config);
    if (!config.links.some((l) => l.enabled)) throw new Error(`${config.file}: no enabled link`);
    const classifier = compileClassifier({ rules: config.rules, policies: config.policies, mode: config.mode });
    return { config, classifier };
  }

  /** The TUN device failed under us (deleted, addon error): nothing more can be forwarded, so stop and respawn. */
  private tunReadError(err: Error): void {
    this.log.error(`tun ${this.config.tunName}: ${err.message}`);
    if (this.stopping) return;
    this.deps.onFatal?.(err);
  }

  /**
   * Hosts without netifd (Debian, the lab): a link on a device whose carrier goes away is taken down at once
   * instead of waiting on the engine's probes, and comes back when the device does. Links netifd follows are
   * left to it.
   */
  private async watchCarrier(): Promise<void> {
    for (const link of this.links.values()) {
      if (link.device === undefined || (link.config.interface !== undefined && this.deps.resolveLink)) continue;
      const down = this.deps.carrier ? !(await this.deps.carrier(link.device)) : !carrierUp(link.device);
      if (down === link.carrierDown || this.stopping) continue;
      link.carrierDown = down;
      if (down) {
        this.closeLink(link);
        link.error = `device ${link.device} is down`;
        this.log.info(`link ${link.name}: ${link.error}`);
        this.driver.event((now) => this.engine.onPathChange(link.pathId, 'down', now));
      } else {
        this.log.info(`link ${link.name}: device ${link.device} is up again`);
        link.error = undefined;
        await this.openLink(link);
      }
      await this.syncPolicy();
    }
  }

  /** Flips the policy routing's tunnel table when the session comes up or goes away. */
  private watchSession(): void {
    const up = this.engine.stats().state === 'established';
    if (up === this.tunnelUp) return;
    this.tunnelUp = up;
    this.deps.policy?.router.setTunnelUp(up).catch((err: unknown) => this.log.error(`policy routing: ${errText(err)}`));
  }

  /** Plans and applies policy routing for the links as they are now; an error is logged, the tunnel goes on. */
  private async syncPolicy(): Promise<void> {
    const policy = this.deps.policy;
    if (!policy || !this.running || this.stopping) return;
    try {
      await policy.router.sync(
        policyConfigOf(this.config),
        policyLinksOf(this.config.links, (name) => {
          const l = this.links.get(name);
          if (!l) return undefined;
          const up = l.socket !== undefined && !l.held && !l.carrierDown;
          return { device: l.device, source: l.source, gateway: l.gateway, up };
        }),
        {
          tunDevice: this.tun?.name ?? this.config.tunName,
          serverAddresses: this.server?.addresses.map((a) => a.address) ?? [],
          ...(policy.lanDevices ? { lanDevices: policy.lanDevices } : {}),
          ipv6: this.config.address6 !== undefined,
        },
      );
    } catch (err) {
      this.log.error(`policy routing: ${errText(err)}`);
    }
  }

  /** Policies' `use_link` names to the links' path ids, once per config or link change (not per packet). */
  private bindRoutes(): void {
    const ids = new Map([...this.links.values()].map((l) => [l.name, l.pathId]));
    for (const l of this.links.values()) {
      if (l.pathId > 31 && this.config.policies.some((p) => p.useLinks.includes(l.name))) {
        this.log.warn(`link ${l.name}: path id ${l.pathId} is too high for policy use_link (restart the daemon)`);
      }
    }
    this.route = this.classifier.route(ids);
  }

  /**
   * Pins the session to one link in both directions (the speed test measures it alone); undefined unpins. False
   * for a link the running config does not have.
   */
  pinLink(name: string | undefined): boolean {
    const link = name === undefined ? undefined : this.links.get(name);
    if (name !== undefined && !link) return false;
    this.driver.event((now) => this.engine.pinPath(link?.pathId, now));
    return true;
  }

  /** Key material the control API must never reply with (its redaction's list). */
  secrets(): string[] {
    return [this.config.privateKey];
  }

  publicKey(): string | undefined {
    try {
      return publicKeyOf(this.config.privateKey);
    } catch {
      return undefined;
    }
  }

  /** The running config's tunnel addresses and port (the speed test's target is derived from them). */
  tunnelAddressText(): string | undefined {
    return this.config.address;
  }

  get port(): number {
    return this.config.port;
  }

  /** The links of the running config (netifd's watch reads it on every change). */
  linkConfigs(): LinkConfig[] {
    return this.config.links;
  }

  /** The running config's policies (control API `policies`). */
  policyConfigs(): RouterConfig['policies'] {
    return this.config.policies;
  }

  /** The server's resolved addresses (the speed test's target is the server's tunnel address, not these). */
  serverAddresses(): string[] {
    return this.server?.addresses.map((a) => a.address) ?? [];
  }

  private keysOf(config: RouterConfig): { privateKey: Uint8Array; serverKey: Uint8Array } {
    return {
      privateKey: decodeKey(config.privateKey, 'private_key'),
      serverKey: decodeKey(config.serverKey, 'server_key'),
    };
  }

  private addLink(lc: LinkConfig): Link {
    const link: Link = {
      name: lc.name,
      pathId: this.nextPathId++,
      config: lc,
      device: lc.device,
      source: lc.source,
      family: undefined,
      socket: undefined,
      error: undefined,
      held: false,
      gateway: undefined,
      carrierDown: false,
    };
    this.links.set(lc.name, link);
    this.byPath.set(link.pathId, link);
    return link;
  }

  private async resolveLinkSource(link: Link): Promise<void> {
    if (link.config.interface !== undefined && this.deps.resolveLink && (!link.config.source || !link.config.device)) {
      link.held = false;
      link.error = undefined;
      try {
        const found = await this.deps.resolveLink(link.config);
        link.device = link.config.device ?? found.device;
        link.source = link.config.source ?? found.source;
        link.gateway = found.gateway;
        // netifd says the WAN is down: no socket until its ifup (setLinkAddress) says where it is.
        if (found.up === false) {
          link.held = true;
          link.error = `interface ${link.config.interface} is down`;
        }
      } catch (err) {
        link.held = true;
        link.error = `interface ${link.config.interface}: ${errText(err)}`;
        this.log.warn(`link ${link.name}: ${link.error}; waiting for netifd`);
      }
      return;
    }
    if (link.source === undefined) {
      this.log.warn(`link ${link.name}: no source address, the kernel's routing picks its WAN`);
    }
  }

  private async resolve(): Promise<void> {
    this.resolvedAt = this.clock();
    try {
      const server = await resolveServer(this.config.server);
      const before = this.server?.addresses.map((a) => a.address).join(',');
      const after = server.addresses.map((a) => a.address).join(',');
      this.server = server;
      if (before !== after && after !== server.host) this.log.info(`server ${server.host} is ${after}`);
      // Policy routing keeps the server's addresses out of the tunnel: they must follow a new lookup.
      if (before !== after) await this.syncPolicy();
    } catch (err) {
      this.log.warn(`cannot resolve server '${this.config.server}': ${errText(err)}; retrying`);
    }
  }

  private familyOf(link: Link): 4 | 6 | undefined {
    if (link.source !== undefined) return link.source.includes(':') ? 6 : 4;
    return this.server?.addresses[0]?.family;
  }

  private async openLink(link: Link): Promise<void> {
    if (link.socket?.isOpen || link.carrierDown || link.held) return;
    const family = this.familyOf(link);
    if (family === undefined) return;
    link.family = family;
    const socket = new LinkSocket(
      family,
      link.source,
      (bytes) => this.driver.event((now) => this.engine.onDatagram(link.pathId, bytes, now)),
      (err) => this.linkError(link, err),
    );
    try {
      await socket.open();
    } catch (err) {
      const text = `cannot bind to ${link.source ?? 'any address'}: ${errText(err)}`;
      if (link.error !== text) this.log.warn(`link ${link.name}: ${text}; retrying`);
      link.error = text;
      this.driver.event((now) => this.engine.onPathChange(link.pathId, 'down', now));
      return;
    }
    if (this.stopping || this.links.get(link.name) !== link) {
      socket.close();
      return;
    }
    link.socket = socket;
    link.error = undefined;
    this.log.info(
      `link ${link.name} (path ${link.pathId}) bound to ${link.source ?? '*'}:${socket.port}${link.device ? ` on ${link.device}` : ''}`,
    );
    this.driver.event((now) => this.engine.onPathChange(link.pathId, 'up', now));
  }

  private linkError(link: Link, err: Error): void {
    const text = errText(err);
    if (link.error !== text) this.log.warn(`link ${link.name}: ${text}`);
    link.error = text;
  }

  private closeLink(link: Link): void {
    link.socket?.close();
    link.socket = undefined;
  }

  private flush(): void {
    const engine = this.engine;
    for (let t = engine.pollTransmit(); t !== undefined; t = engine.pollTransmit()) {
      const link = this.byPath.get(t.pathId);
      const target = link?.socket && this.server ? addressForFamily(this.server, link.family) : undefined;
      if (link?.socket && target !== undefined) link.socket.send(t.bytes, target, this.config.port);
    }
    let batch: Uint8Array[] | undefined;
    for (let p = engine.pollDeliver(); p !== undefined; p = engine.pollDeliver()) {
      if (batch === undefined) batch = [];
      batch.push(p);
    }
    if (batch && this.tun) writeToTun(this.tun, batch, (err) => this.tunError(err));
  }

  private async applyTun(): Promise<void> {
    if (!this.tun) return;
    const mtus: number[] = [];
    for (const link of this.links.values()) {
      mtus.push((link.device && (await deviceMtu(link.device))) || DEFAULT_PATH_MTU);
    }
    this.mtu = this.config.mtu ?? tunnelMtu(mtus, this.deps.engines.overhead);
    await configureTun(this.tun.name, this.mtu, this.addresses);
  }

  private async applyFirewall(): Promise<void> {
    if (!this.tun) return;
    await replaceTable(mssClampChain(this.tun.name, this.mtu));
    this.firewallApplied = true;
  }

  private async maintain(): Promise<void> {
    if (this.stopping) return;
    const established = this.engine.stats().state === 'established';
    if (!this.server || (!established && this.clock() - this.resolvedAt > RERESOLVE_AFTER_MS)) await this.resolve();
    for (const link of this.links.values()) {
      if (!link.socket && !link.held && !link.carrierDown) await this.openLink(link);
    }
  }

  /**
   * SIGHUP: load the file again and apply the difference to the running session. A config that does not load or
   * validate is rejected as a whole and the running one stays (`ok: false` and the reason).
   */
  async reload(): Promise<{ ok: boolean; error?: string }> {
    let next: RouterConfig;
    try {
      const loaded = await this.loadChecked();
      next = loaded.config;
      this.classifier = loaded.classifier;
    } catch (err) {
      this.log.error(`reload rejected, keeping the running config: ${errText(err)}`);
      return { ok: false, error: errText(err) };
    }
    const prev = this.config;
    this.config = next;
    if (next.tunName !== prev.tunName) {
      this.log.warn(`tun name change (${prev.tunName} -> ${next.tunName}) needs a restart; keeping ${prev.tunName}`);
    }
    if (next.privateKey !== prev.privateKey || next.serverKey !== prev.serverKey) {
      this.replaceEngine(next);
    } else if (next.mode !== prev.mode) {
      this.engine.setMode(next.mode);
      this.log.info(`mode ${prev.mode} -> ${next.mode}`);
    }
    if (next.server !== prev.server || next.port !== prev.port) await this.resolve();
    await this.reconcileLinks(next);
    this.bindRoutes();
    this.addresses = tunnelAddresses(next);
    try {
      await this.applyTun();
      await this.applyFirewall();
    } catch (err) {
      this.log.error(`reload: ${errText(err)}`);
    }
    await this.syncPolicy();
    this.driver.kick();
    this.log.info(`reloaded ${this.configFile}`);
    return { ok: true };
  }

  /** An engine over the current links with the config's keys and mode; the classify hook follows reloads. */
  private createEngine(config: RouterConfig): ControllableClientEngine {
    const keys = this.keysOf(config);
    return this.deps.engines.createClientEngine({
      privateKey: keys.privateKey,
      serverPublicKey: keys.serverKey,
      paths: [...this.links.values()].map((l) => ({ id: l.pathId, name: l.name })),
      mode: config.mode,
      now: this.clock(),
      classify: (p) => this.route(p),
    });
  }

  /** New keys mean a new session: the one thing a reload cannot do without a new handshake. */
  private replaceEngine(config: RouterConfig): void {
    this.engine = this.createEngine(config);
    this.driver.setEngine(this.engine);
    this.log.warn('keys changed: starting a new session');
    for (const link of this.links.values()) {
      if (link.socket) this.driver.event((now) => this.engine.onPathChange(link.pathId, 'up', now));
    }
  }

  private async reconcileLinks(next: RouterConfig): Promise<void> {
    const wanted = new Map(next.links.filter((l) => l.enabled).map((l) => [l.name, l]));
    for (const link of [...this.links.values()]) {
      const lc = wanted.get(link.name);
      if (lc && sameLink(lc, link.config)) {
        link.config = lc;
        continue;
      }
      this.closeLink(link);
      if (!lc) {
        this.links.delete(link.name);
        this.byPath.delete(link.pathId);
        this.engine.removePath(link.pathId);
        this.log.info(`link ${link.name} removed`);
        continue;
      }
      // Same path, new local end: the session keeps the path and learns its new address when it speaks.
      link.config = lc;
      link.device = lc.device;
      link.source = lc.source;
      await this.resolveLinkSource(link);
      await this.openLink(link);
      this.driver.event((now) => this.engine.onPathChange(link.pathId, 'address', now));
    }
    for (const lc of wanted.values()) {
      if (this.links.has(lc.name)) continue;
      const link = this.addLink(lc);
      this.engine.addPath(link.pathId, link.name);
      this.log.info(`link ${link.name} added as path ${link.pathId}`);
      await this.resolveLinkSource(link);
      await this.openLink(link);
    }
  }

  /**
   * The seam for netifd/hotplug (openwrt/): a link's interface came up with this device and address, changed
   * address, or went down (`undefined`). The socket is re-bound to the new source and the engine told, so the
   * path keeps its identity in the session; a config's explicit device/source still wins.
   */
  async setLinkAddress(
    name: string,
    found: { device?: string; source?: string; gateway?: string } | undefined,
  ): Promise<void> {
    const link = this.links.get(name);
    if (!link || this.stopping) return;
    if (found === undefined) {
      const wasHeld = link.held;
      link.held = true;
      if (link.socket) {
        this.closeLink(link);
        link.error = 'interface down';
        this.log.info(`link ${name}: interface down`);
        this.driver.event((now) => this.engine.onPathChange(link.pathId, 'down', now));
      }
      if (!wasHeld) await this.syncPolicy();
      return;
    }
    const wasHeld = link.held;
    link.held = false;
    const device = link.config.device ?? found.device;
    const source = link.config.source ?? found.source;
    const gatewayChanged = found.gateway !== link.gateway;
    link.gateway = found.gateway;
    if (link.socket && device === link.device && source === link.source) {
      if (gatewayChanged || wasHeld) await this.syncPolicy();
      return;
    }
    const hadSocket = link.socket !== undefined;
    this.closeLink(link);
    link.device = device;
    link.source = source;
    await this.openLink(link);
    if (hadSocket && link.socket) this.driver.event((now) => this.engine.onPathChange(link.pathId, 'address', now));
    await this.syncPolicy();
  }

  /** Status for the control API (`wanbond status`, ubus): engine figures plus what the daemon bound. */
  status(): RouterStatus {
    const runtime: Record<string, LinkRuntime> = {};
    for (const l of this.links.values()) {
      runtime[l.name] = {
        device: l.device,
        source: l.source,
        pathId: l.pathId,
        bound: l.socket !== undefined,
        error: l.error,
        localPort: l.socket?.port,
        remote: this.server ? addressForFamily(this.server, l.family) : undefined,
      };
    }
    return {
      role: 'router',
      pid: process.pid,
      configFile: this.configFile,
      startedAt: this.startedAt.toISOString(),
      enabled: this.config.enabled,
      server: this.config.server,
      port: this.config.port,
      serverAddresses: this.server?.addresses.map((a) => a.address) ?? [],
      mode: this.config.mode,
      tunnel: { device: this.tun?.name ?? this.config.tunName, addresses: this.addresses.map(cidrText), mtu: this.mtu },
      links: this.config.links,
      runtime,
      stats: this.engine.stats(),
      now: this.clock(),
      wallNow: Date.now(),
    };
  }

  /** Removes everything start() added: sockets, TUN (and with it its addresses and routes), the nft table. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.maintenance) clearInterval(this.maintenance);
    if (this.sessionTimer) clearInterval(this.sessionTimer);
    if (this.deps.policy) {
      await this.deps.policy.router.stop().catch((err: unknown) => this.log.error(`policy routing: ${errText(err)}`));
    }
    if (this.stateTimer) clearInterval(this.stateTimer);
    this.driver?.stop();
    for (const link of this.links.values()) this.closeLink(link);
    if (this.tun) {
      this.tun.close();
      this.log.info(`tun ${this.tun.name} closed`);
      this.tun = undefined;
    }
    await this.removeFirewall();
    if (this.running) this.log.info('router stopped');
    this.running = false;
  }
}

/** operstate 'unknown' (TUN, some PPP and modem drivers) counts as up: only an explicit no-carrier is down. */
function carrierUp(device: string): boolean {
  try {
    const state = readFileSync(`/sys/class/net/${device}/operstate`, 'utf8').trim();
    return state !== 'down' && state !== 'lowerlayerdown' && state !== 'notpresent';
  } catch {
    // No such device (yet): binding tells the rest.
    return true;
  }
}

/** The config says enabled '0': not a failure, there is just nothing to run (exit 0, procd does not respawn). */
export class DisabledError extends Error {
  override name = 'DisabledError';
}

function sameLink(a: LinkConfig, b: LinkConfig): boolean {
  return a.interface === b.interface && a.device === b.device && a.source === b.source && a.backup === b.backup;
}

/** The router's tunnel addresses; a bare address gets the pool's usual prefix so the server is on-link. */
export function tunnelAddresses(config: RouterConfig): Cidr[] {
  if (!config.address) throw new Error(`${config.file}: option address (the router's tunnel address) is missing`);
  const out = [withDefaultPrefix(config.address, 'address')];
  if (config.address6) out.push(withDefaultPrefix(config.address6, 'address6'));
  return out;
}

function withDefaultPrefix(text: string, what: string): Cidr {
  const c = parseCidr(text, what);
  if (!text.includes('/')) c.prefix = c.family === 4 ? 24 : 64;
  return c;
}

function cidrText(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}
