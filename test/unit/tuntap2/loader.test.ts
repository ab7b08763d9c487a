import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDON_DIR_ENV, addonCandidates, loadAddon } from '../../../src/tuntap2/src/index.js';
import { BUILT_ADDON, buildAddon } from './build-addon.js';

describe('tuntap2 addon loader', () => {
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'wbtuntap2-'));
  });
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('searches $WANBOND_ADDON_DIR, then the code directory, then <package>/build', () => {
    expect(addonCandidates({ [ADDON_DIR_ENV]: '/opt/x' }, '/usr/lib/wanbond')).toEqual([
      '/opt/x/tuntap2.node',
      '/usr/lib/wanbond/tuntap2.node',
      '/usr/lib/build/tuntap2.node',
    ]);
    expect(addonCandidates({}, '/a/src')).toEqual(['/a/src/tuntap2.node', '/a/build/tuntap2.node']);
    expect(addonCandidates({ [ADDON_DIR_ENV]: '' }, '/a/src')).toEqual([
      '/a/src/tuntap2.node',
      '/a/build/tuntap2.node',
    ]);
  });

  it('by default ends at this package build directory', () => {
    const c = addonCandidates({});
    expect(c.at(-1)).toBe(BUILT_ADDON);
  });

  it('names every path it tried when the addon is missing', () => {
    const paths = [join(tmp, 'a/tuntap2.node'), join(tmp, 'b/tuntap2.node')];
    let message = '';
    try {
      loadAddon({ candidates: paths });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('tuntap2 addon not found; tried:');
    for (const p of paths) expect(message).toContain(`  ${p}\n`);
    expect(message).toContain('make -C src/tuntap2');
    expect(message).toContain(ADDON_DIR_ENV);
  });

  it('says which file failed to load when it is not a shared object', () => {
    const bogus = join(tmp, 'tuntap2.node');
    writeFileSync(bogus, 'not an ELF file');
    expect(() => loadAddon({ candidates: [bogus] })).toThrow(
      new RegExp(`tuntap2 addon at ${bogus} failed to load \\(built for another libc, CPU or Node\\?\\): .+`),
    );
  });

  it('refuses a module that lacks the addon functions', () => {
    const js = join(tmp, 'fake.cjs');
    writeFileSync(js, 'module.exports = { open() {} };');
    expect(() => loadAddon({ candidates: [js] })).toThrow(`${js} is not the tuntap2 addon (missing start, stop,`);
  });

  it('loads the built addon, skipping candidates that do not exist', () => {
    const path = buildAddon();
    const addon = loadAddon({ candidates: [join(tmp, 'none/tuntap2.node'), path] });
    expect(typeof addon.open).toBe('function');
    expect(typeof addon.writeBatch).toBe('function');
    expect(loadAddon({ candidates: [path] })).toBe(addon);
  });
});
