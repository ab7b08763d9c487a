import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAddon, PACKAGE_DIR } from './build-addon.js';

// The shipped layout: one CommonJS bundle (built the way scripts/build.mjs does) with tuntap2.node beside it,
// run from a directory that has nothing else: the loader must find the addon next to the bundle.
describe('tuntap2 loader inside a one-file bundle', () => {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wbbundle-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { addonCandidates, loadAddon } from ${JSON.stringify(join(PACKAGE_DIR, 'src/index.ts'))};
       const addon = loadAddon();
       console.log(JSON.stringify({ candidates: addonCandidates(), functions: Object.keys(addon).sort() }));`,
    );
    await build({
      entryPoints: [entry],
      outfile: join(dir, 'app', 'wanbond.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      banner: { js: 'const __importMetaUrl = require("url").pathToFileURL(__filename).href;' },
      define: { 'import.meta.url': '__importMetaUrl' },
      logLevel: 'silent',
    });
    writeFileSync(join(dir, 'app', 'package.json'), '{ "type": "commonjs" }\n');
    copyFileSync(buildAddon(), join(dir, 'app', 'tuntap2.node'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (env: NodeJS.ProcessEnv) =>
    JSON.parse(
      execFileSync(process.execPath, [join(dir, 'app', 'wanbond.js')], { cwd: tmpdir(), env, encoding: 'utf8' }),
    );

  it('finds tuntap2.node next to the bundle', () => {
    const { WANBOND_ADDON_DIR: _, ...env } = process.env;
    const out = run(env);
    expect(out.candidates[0]).toBe(join(dir, 'app', 'tuntap2.node'));
    expect(out.functions).toEqual(['close', 'open', 'setRef', 'start', 'stats', 'stop', 'write', 'writeBatch']);
  });

  it('tries $WANBOND_ADDON_DIR first', () => {
    const out = run({ ...process.env, WANBOND_ADDON_DIR: '/opt/elsewhere' });
    expect(out.candidates.slice(0, 2)).toEqual(['/opt/elsewhere/tuntap2.node', join(dir, 'app', 'tuntap2.node')]);
  });
});
