/**
 * The router daemon's view of policy routing (openwrt/policy-routing.ts): the three calls it makes, so tests and
 * hosts without policy routing pass something else, and the config/link mapping the planner takes.
 */
import type { LinkConfig, RouterConfig } from '../config/types.js';
import type { PolicyConfigInput, PolicyLink, PolicyOptions } from '../openwrt/policy-plan.js';
import { type LinkNow, policyLinksFrom } from '../openwrt/policy-routing.js';

export interface PolicyRouterPort {
  sync(config: PolicyConfigInput, links: PolicyLink[], opts: PolicyOptions): Promise<unknown>;
  setTunnelUp(up: boolean): Promise<void>;
  stop(): Promise<void>;
}

export function policyConfigOf(config: RouterConfig): PolicyConfigInput {
  return { rules: config.rules, policies: config.policies, mode: config.mode, fallback: config.fallback };
}

/** Drops unknown fields so the planner sees "no gateway" rather than `gateway: undefined`. */
export function policyLinksOf(
  links: LinkConfig[],
  now: (name: string) => { device?: string; source?: string; gateway?: string; up: boolean } | undefined,
): PolicyLink[] {
  return policyLinksFrom(links, (name) => {
    const n = now(name);
    if (!n) return undefined;
    const out: LinkNow = { up: n.up };
    if (n.device !== undefined) out.device = n.device;
    if (n.source !== undefined) out.source = n.source;
    if (n.gateway !== undefined) out.gateway = n.gateway;
    return out;
  });
}

export type PolicyRoutingMode = 'auto' | 'on' | 'off';

/** `--policy-routing auto` (the default): on where OpenWrt is (its release file), off elsewhere (lab, Debian). */
export function policyRoutingWanted(mode: PolicyRoutingMode, isOpenWrt: boolean): boolean {
  return mode === 'on' || (mode === 'auto' && isOpenWrt);
}
