// Lints the LuCI views with Biome. LuCI class files are scripts with `'require x';` directives and a top-level
// `return`, which no JS linter parses as a module: each file is wrapped, on its first line so line numbers stay
// true, in a function taking the required modules the way LuCI's loader passes them, and linted with LuCI's globals
// declared and undeclared or unused names as errors.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const htdocs = join(root, 'luci-app-wanbond/htdocs');

// What luci.js puts in the global scope of every view, plus the browser's own.
const LUCI_GLOBALS = ['L', '_', 'N_', 'E', 'cbi_update_table', 'requestAnimationFrame', 'console', 'window'];

/** LuCI's loader passes each `'require a.b [as c]';` module as a parameter named c, or a_b. */
function requiredNames(source) {
  const names = [];
  for (const m of source.matchAll(/^\s*'require\s+(\S+?)(?:\s+as\s+(\S+?))?';/gm)) {
    names.push(m[2] ?? m[1].replace(/[^a-zA-Z0-9_]/g, '_'));
  }
  return names;
}

function walk(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return walk(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

const work = mkdtempSync(join(tmpdir(), 'wanbond-lint-luci-'));
try {
  writeFileSync(
    join(work, 'biome.json'),
    JSON.stringify({
      root: true,
      formatter: { enabled: false },
      javascript: { globals: LUCI_GLOBALS },
      linter: {
        enabled: true,
        rules: {
          preset: 'recommended',
          correctness: { noUndeclaredVariables: 'error', noUnusedVariables: 'error' },
          // LuCI's own style (function expressions, `arguments`, var-free ES5-ish classes) is not a bug.
          complexity: { noArguments: 'off', useArrowFunction: 'off' },
          style: { useTemplate: 'off' },
        },
      },
    }),
  );
  const files = walk(htdocs);
  for (const file of files) {
    const out = join(work, relative(htdocs, file));
    mkdirSync(dirname(out), { recursive: true });
    const source = readFileSync(file, 'utf8');
    writeFileSync(out, `(function (${requiredNames(source).join(', ')}) {${source}\n})();\n`);
  }
  const biome = join(root, 'node_modules/.bin/biome');
  const result = spawnSync(biome, ['lint', '--diagnostic-level=error', '--config-path', work, work], {
    cwd: work,
    encoding: 'utf8',
  });
  const text = `${result.stdout}${result.stderr}`.replaceAll(work, 'luci-app-wanbond/htdocs');
  if (result.status !== 0) {
    process.stderr.write(text);
    process.exit(1);
  }
  process.stdout.write(`lint-luci: ${files.length} LuCI files clean\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
