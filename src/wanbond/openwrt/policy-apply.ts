/**
 * Makes the kernel match a PolicyPlan, and takes it all away again. Everything is idempotent: apply twice and the
 * second does nothing; remove when nothing is there and it succeeds. Apply adds first and deletes afterwards, so a
 * reload never leaves a moment where LAN traffic takes the main table instead of the tunnel. Removal works from
 * the owned ranges (priorities 900-939, tables 7700-7763, table inet wanbond_policy), not from the plan alone, so
 * it also cleans up after a crashed daemon.
 */
import { run, tryRun } from '../io/exec.js';
import { POLICY_NFT_TABLE, PRIO_RANGE, TABLE_RANGE, TUN_TABLE } from './policy-constants.js';
import {
  type IpRoute,
  type IpRule,
  parseJsonRoute,
  parseJsonRule,
  routeArgs,
  routeKey,
  ruleArgs,
  ruleKey,
} from './policy-ip.js';
import { type PolicyPlan, tunnelRoutes } from './policy-plan.js';

/** Runs a system command and returns stdout, throwing with stderr on failure (io/exec.ts `run` by default). */
export type CommandRunner = (cmd: string, args: string[], input?: string) => Promise<string>;

const defaultRunner: CommandRunner = run;

async function attempt(runner: CommandRunner, cmd: string, args: string[], input?: string): Promise<Error | undefined> {
  if (runner === defaultRunner) {
    const r = await tryRun(cmd, args, input);
    return r instanceof Error ? r : undefined;
  }
  try {
    await runner(cmd, args, input);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

const inRange = (n: number, [lo, hi]: readonly [number, number]) => n >= lo && n <= hi;

function parseJsonArray(text: string): Record<string, unknown>[] {
  const t = text.trim();
  if (t === '') return [];
  const v = JSON.parse(t) as unknown;
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

/** Our rules (priorities 900-939) currently in the kernel. */
export async function currentRules(runner: CommandRunner = defaultRunner): Promise<IpRule[]> {
  const out: IpRule[] = [];
  for (const family of [4, 6] as const) {
    const list = parseJsonArray(await runner('ip', ['-j', `-${family}`, 'rule', 'show']));
    for (const j of list) {
      const r = parseJsonRule(family, j);
      if (r && inRange(r.priority, PRIO_RANGE)) out.push(r);
    }
  }
  return out;
}

/** Routes currently in our tables (7700-7763). */
export async function currentRoutes(runner: CommandRunner = defaultRunner): Promise<IpRoute[]> {
  const out: IpRoute[] = [];
  for (const family of [4, 6] as const) {
    const list = parseJsonArray(await runner('ip', ['-j', `-${family}`, 'route', 'show', 'table', 'all']));
    for (const j of list) {
      const table = Number(j.table);
      if (!Number.isInteger(table) || !inRange(table, TABLE_RANGE)) continue;
      const r = parseJsonRoute(family, table, j);
      if (r) out.push(r);
    }
  }
  return out;
}

async function syncRoutes(desired: IpRoute[], scope: (r: IpRoute) => boolean, runner: CommandRunner): Promise<void> {
  for (const r of desired) await runner('ip', routeArgs('replace', r));
  const want = new Set(desired.map(routeKey));
  for (const r of (await currentRoutes(runner)).filter(scope)) {
    if (!want.has(routeKey(r))) await attempt(runner, 'ip', routeArgs('del', r));
  }
}

/** Brings the kernel to the plan: routes, rules, nft table; then removes what an earlier plan had and this lacks. */
export async function applyPlan(plan: PolicyPlan, runner: CommandRunner = defaultRunner): Promise<void> {
  for (const r of plan.routes) await runner('ip', routeArgs('replace', r));
  const have = new Set((await currentRules(runner)).map(ruleKey));
  for (const r of plan.rules) {
    if (!have.has(ruleKey(r))) await runner('ip', ruleArgs('add', r));
  }
  await runner('nft', ['-f', '-'], plan.nft);
  const want = new Set(plan.rules.map(ruleKey));
  for (const r of await currentRules(runner)) {
    if (!want.has(ruleKey(r))) await deleteRule(r, runner);
  }
  await syncRoutes(plan.routes, () => true, runner);
}

async function deleteRule(r: IpRule, runner: CommandRunner): Promise<void> {
  // A rule we did not write ourselves may not round-trip through our selector: then delete by priority alone.
  if ((await attempt(runner, 'ip', ruleArgs('del', r))) !== undefined) {
    await attempt(runner, 'ip', [`-${r.family}`, 'rule', 'del', 'pref', String(r.priority)]);
  }
}

/**
 * The switch the daemon calls when the session goes up or down: only the tunnel table's default route changes
 * (into the TUN / `throw` to the main table for fallback `direct` / blackhole for `block`). Returns the plan with
 * the new state, to pass to the next call.
 */
export async function setTunnelState(
  plan: PolicyPlan,
  up: boolean,
  runner: CommandRunner = defaultRunner,
): Promise<PolicyPlan> {
  const tun = tunnelRoutes(plan.tunDevice, plan.serverAddresses, plan.fallback, up, plan.families);
  const routes = [...plan.routes.filter((r) => r.table !== TUN_TABLE), ...tun];
  await syncRoutes(tun, (r) => r.table === TUN_TABLE, runner);
  return { ...plan, routes, tunnelUp: up };
}

/** Removes every rule, route and nft table we own. Idempotent; goes on past individual failures. */
export async function removePlan(_plan?: PolicyPlan, runner: CommandRunner = defaultRunner): Promise<void> {
  for (const r of await currentRules(runner)) await deleteRule(r, runner);
  for (const r of await currentRoutes(runner)) await attempt(runner, 'ip', routeArgs('del', r));
  if ((await attempt(runner, 'nft', ['list', 'table', 'inet', POLICY_NFT_TABLE])) === undefined) {
    await attempt(runner, 'nft', ['delete', 'table', 'inet', POLICY_NFT_TABLE]);
  }
}
