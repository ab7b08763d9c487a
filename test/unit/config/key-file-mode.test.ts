import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRouterConfig, loadServerConfig } from '../../../src/wanbond/config/index.js';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'wbkeymode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serverKey = generatePrivateKey();
const routerKey = generatePrivateKey();

function serverFiles(keyMode: number): string {
  const keyFile = join(dir, `server-${keyMode.toString(8)}.key`);
  writeFileSync(keyFile, `${serverKey}\n`);
  chmodSync(keyFile, keyMode);
  const conf = join(dir, `server-${keyMode.toString(8)}`);
  writeFileSync(
    conf,
    `config server 'main'\n\toption key_file '${keyFile}'\n\toption address '10.255.0.1/24'\n\n` +
      `config client 'home'\n\toption public_key '${publicKeyOf(routerKey)}'\n\toption address '10.255.0.2'\n`,
  );
  return conf;
}

function routerFile(mode: number): string {
  const conf = join(dir, `router-${mode.toString(8)}`);
  writeFileSync(
    conf,
    `config wanbond 'main'\n\toption server '192.0.2.1'\n\toption private_key '${routerKey}'\n` +
      `\toption server_key '${publicKeyOf(serverKey)}'\n\toption address '10.255.0.2/24'\n\n` +
      `config link 'wan'\n\toption device 'eth1'\n\toption source '192.0.2.10'\n`,
  );
  chmodSync(conf, mode);
  return conf;
}

describe('private keys in files others can read', () => {
  it('warns (file:line, mode) when a key_file is group/world readable, without the key', async () => {
    const { warnings } = await loadServerConfig(serverFiles(0o644));
    const w = warnings.find((x) => x.includes('private key'));
    expect(w).toMatch(/key_file: '.*server-644\.key' holds a private key .*mode 0644.*chmod 600/);
    expect(w).toMatch(/server-644:2$/);
    expect(warnings.join('\n')).not.toContain(serverKey);
  });

  it('says nothing for a 0600 key_file', async () => {
    const { warnings } = await loadServerConfig(serverFiles(0o600));
    expect(warnings.filter((x) => x.includes('private key'))).toEqual([]);
  });

  it('warns when the config file itself holds private_key and others can read it', async () => {
    const loose = await loadRouterConfig(routerFile(0o644));
    expect(loose.warnings.some((x) => /private_key: .* holds a private key .*mode 0644/.test(x))).toBe(true);
    expect(loose.warnings.join('\n')).not.toContain(routerKey);
    const tight = await loadRouterConfig(routerFile(0o600));
    expect(tight.warnings.filter((x) => x.includes('private key'))).toEqual([]);
  });
});
