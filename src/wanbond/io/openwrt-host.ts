/** Facts about the host the router daemon runs on that change its defaults. */
import { existsSync } from 'node:fs';
import { run } from './exec.js';

export const OPENWRT_RELEASE = '/etc/openwrt_release';

export function isOpenWrt(releaseFile = OPENWRT_RELEASE): boolean {
  return existsSync(releaseFile);
}

/** OpenWrt's `reload_config`: netifd and fw4 pick up committed network/firewall changes (MacVLAN helper). */
export async function reloadConfigIfPresent(): Promise<void> {
  for (const path of ['/sbin/reload_config', '/usr/sbin/reload_config']) {
    if (existsSync(path)) {
      await run(path, []);
      return;
    }
  }
}
