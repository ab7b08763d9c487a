/** The Linux MPTCP reference (what OpenMPTCProuter builds on): kernel MPTCP with one subflow per WAN. */
import { execFileSync } from 'node:child_process';
import type { Lab } from './lab.js';
import { sh } from './netns.js';

export function mptcpAvailable(): boolean {
  try {
    execFileSync('mptcpize', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Subflow endpoints on every WAN but the first (the first subflow binds there itself); per-source policy routing
 * then carries each subflow over its own WAN. The VPS accepts as many subflows as there are WANs.
 */
export async function setupMptcp(lab: Lab): Promise<void> {
  const n = String(Math.min(8, lab.info.links.length + 1));
  const rt = lab.info.router.ns;
  await sh('ip', ['-n', rt, 'mptcp', 'endpoint', 'flush']);
  await sh('ip', ['-n', rt, 'mptcp', 'limits', 'set', 'subflow', n, 'add_addr_accepted', n]);
  for (const l of lab.info.links.slice(1)) {
    await sh('ip', ['-n', rt, 'mptcp', 'endpoint', 'add', l.source, 'dev', l.device, 'subflow']);
  }
  await sh('ip', ['-n', lab.info.vps.ns, 'mptcp', 'limits', 'set', 'subflow', n, 'add_addr_accepted', n]);
}
