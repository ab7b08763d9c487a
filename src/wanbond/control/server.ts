/**
 * Starts the control API for a daemon: the unix socket always (unless disabled), and the ubus object `wanbond`
 * when ubus is there. In 'auto' mode a ubus socket that exists but does not answer yet (ubusd starting) is
 * retried in the background; once connected, ubus-js itself reconnects and re-registers after ubusd restarts.
 */
import { existsSync } from 'node:fs';
import { defaultSocketPath, UbusClient, type UbusObject } from 'ubus-js';
import { type ControlOptions, controlMethods } from './methods.js';
import type { ControlProvider, LinkEvent } from './types.js';
import { addControlObject, LINK_EVENT, publishLinkEvent, UBUS_OBJECT_NAME } from './ubus-object.js';
import { DEFAULT_CONTROL_SOCKET, serveUnixControl, type UnixControlServer } from './unix-socket.js';

export interface ControlLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface ControlServerOptions extends ControlOptions {
  provider: ControlProvider;
  /** JSON unix socket path; false disables it. Default /var/run/wanbond.sock. */
  unixSocket?: string | false;
  /** 'auto' (default): serve on ubus when its socket exists; 'required': fail without it; 'off'. */
  ubus?: 'auto' | 'required' | 'off';
  /** ubus socket path (`--ubus-socket`); default /var/run/ubus/ubus.sock, then /var/run/ubus.sock. */
  ubusSocket?: string;
  objectName?: string;
  log?: ControlLogger;
  /** How often 'auto' mode retries a ubus socket that exists but does not answer (ms). */
  ubusRetryMs?: number;
}

export class ControlServer {
  unix: UnixControlServer | undefined;
  ubus: UbusClient | undefined;
  object: UbusObject | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly opts: ControlServerOptions) {}

  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    const s = new ControlServer(opts);
    try {
      await s.open();
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  private get secrets(): () => string[] {
    return () => this.opts.provider.secrets?.() ?? [];
  }

  private onError = (err: unknown, method: string) => {
    this.opts.log?.error(`control method ${method} failed: ${err instanceof Error ? err.message : String(err)}`);
  };

  private async open(): Promise<void> {
    const methods = controlMethods(this.opts.provider, this.opts);
    if (this.opts.unixSocket !== false) {
      const path = this.opts.unixSocket ?? DEFAULT_CONTROL_SOCKET;
      this.unix = await serveUnixControl(path, methods, { secrets: this.secrets, onError: this.onError });
      this.opts.log?.info(`control socket ${path}`);
    }
    const mode = this.opts.ubus ?? 'auto';
    if (mode === 'off') return;
    const path = this.opts.ubusSocket ?? defaultSocketPath();
    const attempt = async (): Promise<void> => {
      const client = await UbusClient.connect({ socket: path });
      try {
        this.object = await addControlObject(client, methods, {
          name: this.opts.objectName ?? UBUS_OBJECT_NAME,
          secrets: this.secrets,
          onError: this.onError,
        });
      } catch (err) {
        client.close();
        throw err;
      }
      client.on('handlerError', (err, method) => this.onError(err, String(method)));
      client.on('disconnect', () => this.opts.log?.warn('ubus connection lost; reconnecting'));
      client.on('reconnect', () =>
        this.opts.log?.info(`ubus reconnected; object ${this.object?.name} registered again`),
      );
      this.ubus = client;
      this.opts.log?.info(`ubus object ${this.object.name} registered on ${path}`);
    };
    if (mode === 'required') return attempt();
    if (!existsSync(path) && this.opts.ubusSocket === undefined) return;
    try {
      await attempt();
    } catch (err) {
      this.opts.log?.warn(`ubus not available yet (${err instanceof Error ? err.message : String(err)}); retrying`);
      this.scheduleRetry(attempt);
    }
  }

  private scheduleRetry(attempt: () => Promise<void>): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      attempt().catch(() => this.scheduleRetry(attempt));
    }, this.opts.ubusRetryMs ?? 5000);
  }

  /** Publishes a link state change: ubus notification + event `wanbond.link`, and to unix-socket watchers. */
  async linkEvent(ev: LinkEvent): Promise<void> {
    this.unix?.broadcast(LINK_EVENT, { ...ev });
    if (this.ubus?.connected) {
      await publishLinkEvent(this.ubus, this.object, ev).catch((err) =>
        this.opts.log?.warn(`cannot publish ${LINK_EVENT}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.object && this.ubus?.connected) await this.object.remove().catch(() => {});
    this.ubus?.close();
    await this.unix?.close();
  }
}
