import { isIP } from 'node:net';
import { run, tryRun } from './exec.js';

/**
 * Keeps the kernel's routes through one device equal to `wanted`, touching only routes we added before (`previous`):
 * routes other software put on the same device are left alone. Returns the routes now in place.
 */
export async function syncDeviceRoutes(device: string, wanted: string[], previous: string[]): Promise<string[]> {
  const keep = new Set(wanted);
  for (const prefix of previous) {
    if (!keep.has(prefix)) await tryRun('ip', [familyFlag(prefix), 'route', 'del', prefix, 'dev', device]);
  }
  for (const prefix of wanted) {
    await run('ip', [familyFlag(prefix), 'route', 'replace', prefix, 'dev', device]);
  }
  return [...wanted];
}

/** Teardown: routes through a device we are about to close vanish with it, but be explicit for the log's sake. */
export async function removeDeviceRoutes(device: string, routes: string[]): Promise<void> {
  for (const prefix of routes) await tryRun('ip', [familyFlag(prefix), 'route', 'del', prefix, 'dev', device]);
}

function familyFlag(prefix: string): string {
  return isIP(prefix.split('/')[0] ?? '') === 6 ? '-6' : '-4';
}
