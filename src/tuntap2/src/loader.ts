import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_FUNCTIONS, type NativeAddon } from './native.js';

export const ADDON_FILE = 'tuntap2.node';
export const ADDON_DIR_ENV = 'WANBOND_ADDON_DIR';

/**
 * Where the addon may be, in order: the directory named by $WANBOND_ADDON_DIR (packaging puts it anywhere), the
 * directory of the running code (in the one-file bundle import.meta.url is the bundle, and the addon ships next to
 * it), then <package>/build (running from source and tests).
 */
export function addonCandidates(
  env: Readonly<Record<string, string | undefined>> = process.env,
  moduleDir: string = dirname(fileURLToPath(import.meta.url)),
): string[] {
  const out: string[] = [];
  const fromEnv = env[ADDON_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') out.push(join(fromEnv, ADDON_FILE));
  out.push(join(moduleDir, ADDON_FILE));
  out.push(join(moduleDir, '..', 'build', ADDON_FILE));
  return [...new Set(out)];
}

export interface LoadOptions {
  /** paths to try instead of addonCandidates() */
  candidates?: readonly string[];
}

const cache = new Map<string, NativeAddon>();

function checkShape(mod: unknown, path: string): NativeAddon {
  const missing = NATIVE_FUNCTIONS.filter(
    (fn) => typeof mod !== 'object' || mod === null || typeof (mod as Record<string, unknown>)[fn] !== 'function',
  );
  if (missing.length > 0) {
    throw new Error(`${path} is not the tuntap2 addon (missing ${missing.join(', ')})`);
  }
  return mod as NativeAddon;
}

/** Loads the first addon found; a missing addon or one built for another libc/arch is a clear error. */
export function loadAddon(opts: LoadOptions = {}): NativeAddon {
  const candidates = opts.candidates ?? addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new Error(
      `tuntap2 addon not found; tried:\n${candidates.map((p) => `  ${p}`).join('\n')}\n` +
        `build it with 'make -C src/tuntap2', or set ${ADDON_DIR_ENV} to the directory holding ${ADDON_FILE}`,
    );
  }
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(path);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`tuntap2 addon at ${path} failed to load (built for another libc, CPU or Node?): ${why}`);
  }
  const addon = checkShape(mod, path);
  cache.set(path, addon);
  return addon;
}
