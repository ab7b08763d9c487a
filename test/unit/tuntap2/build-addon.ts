import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../src/tuntap2');
export const BUILT_ADDON = join(PACKAGE_DIR, 'build', 'tuntap2.node');

/** Fast and idempotent: make only recompiles when the C file changed. */
export function buildAddon(): string {
  execFileSync('make', ['-C', PACKAGE_DIR, '--no-print-directory'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return BUILT_ADDON;
}
