/**
 * The policy-routing controller the router daemon owns: one object that plans and applies on start, re-applies on
 * reload and link events, flips the tunnel table when the session goes up or down, and removes everything on stop.
 * Calls are serialized (a link event arriving during a reload waits for it), so the kernel never sees two applies
 * interleaved.
 */
import type { LinkConfig } from '../config/types.js';
import { run } from '../io/exec.js';
import { applyPlan, type CommandRunner, removePlan, setTunnelState } from './policy-apply.js';
import {
  type PolicyConfigInput,
  type PolicyLink,
  type PolicyOptions,
  type PolicyPlan,
  planPolicyRouting,
} from './policy-plan.js';

export interface PolicyLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** The IPv4 gateway of a device's default route in the main table (links on hosts without netifd). */
export async function discoverGateway(device: string, runner: CommandRunner = run): Promise<string | undefined> {
  let list: unknown;
  try {
    list = JSON.parse((await runner('ip', ['-j', '-4', 'route', 'show', 'default', 'dev', device])) || '[]');
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  for (const r of list as Array<Record<string, unknown>>) if (typeof r.gateway === 'string') return r.gateway;
  return undefined;
}

/** Where a link is now, as the daemon tracks it (netifd placement, or config device/source). */
export interface LinkNow {
  device?: string;
  source?: string;
  gateway?: string;
  up?: boolean;
}

/**
 * PolicyLinks for planPolicyRouting: every configured link in config order (so table and mark numbers stay put
 * when a link goes down), disabled or unknown ones marked down.
 */
export function policyLinksFrom(links: LinkConfig[], now: (name: string) => LinkNow | undefined): PolicyLink[] {
  return links.map((l) => {
    const state = l.enabled ? now(l.name) : undefined;
    if (!state) return { name: l.name, up: false };
    const out: PolicyLink = { name: l.name, up: state.up !== false };
    const device = state.device ?? l.device;
    const source = state.source ?? l.source;
    if (device !== undefined) out.device = device;
    if (source !== undefined) out.source = source;
    if (state.gateway !== undefined) out.gateway = state.gateway;
    return out;
  });
}

export class PolicyRouter {
  private current: PolicyPlan | undefined;
  private tunnelUp = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly warned = new Set<string>();
  private readonly runner: CommandRunner;

  constructor(private readonly opts: { runner?: CommandRunner; log?: PolicyLog } = {}) {
    this.runner = opts.runner ?? run;
  }

  get plan(): PolicyPlan | undefined {
    return this.current;
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Plans and applies. `links`: every link of the config in order, with its current device/source/gateway (a
   * link without a gateway gets the one of its device's default route in the main table, if any). The tunnel
   * state is kept from the last setTunnelUp unless opts.tunnelUp says otherwise; it starts down. Throws (leaving
   * the previous plan in place) when the config cannot be planned.
   */
  sync(config: PolicyConfigInput, links: PolicyLink[], opts: PolicyOptions): Promise<PolicyPlan> {
    return this.serial(async () => {
      const filled: PolicyLink[] = [];
      for (const l of links) {
        if (l.gateway === undefined && l.device !== undefined && l.up !== false) {
          const gateway = await discoverGateway(l.device, this.runner);
          filled.push(gateway !== undefined ? { ...l, gateway } : l);
        } else filled.push(l);
      }
      if (opts.tunnelUp !== undefined) this.tunnelUp = opts.tunnelUp;
      const plan = planPolicyRouting(config, filled, { ...opts, tunnelUp: this.tunnelUp });
      for (const w of plan.warnings) {
        if (!this.warned.has(w)) this.opts.log?.warn(`policy routing: ${w}`);
      }
      this.warned.clear();
      for (const w of plan.warnings) this.warned.add(w);
      await applyPlan(plan, this.runner);
      if (!this.current) this.opts.log?.info(`policy routing applied (${plan.rules.length} rules)`);
      this.current = plan;
      return plan;
    });
  }

  /** The session went up or down: switch the tunnel table (no-op when unchanged or nothing is applied). */
  setTunnelUp(up: boolean): Promise<void> {
    return this.serial(async () => {
      if (this.tunnelUp === up && this.current?.tunnelUp === up) return;
      this.tunnelUp = up;
      if (!this.current) return;
      this.current = await setTunnelState(this.current, up, this.runner);
      this.opts.log?.info(
        up
          ? 'tunnel up: LAN traffic enters the tunnel'
          : `tunnel down: fallback ${this.current.fallback}${this.current.fallback === 'block' ? ' (LAN traffic dropped)' : ' (LAN traffic leaves through the WANs)'}`,
      );
    });
  }

  /** Removes all of it (also what a crashed earlier run left). Idempotent. */
  stop(): Promise<void> {
    return this.serial(async () => {
      await removePlan(this.current, this.runner);
      this.current = undefined;
    });
  }
}
