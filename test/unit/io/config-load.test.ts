import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRouterConfigFile, loadServerConfigFile } from '../../../src/wanbond/io/config-load.js';

const dir = mkdtempSync(join(tmpdir(), 'wbcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('daemon config loading', () => {
  it('reads the stable router options and links', async () => {
    const path = file(
      'router',
      `config wanbond 'main'
	option server 'vps.example.net' # comment
	option private_key '${KEY}'
	option server_key '${KEY}'
	option address '10.255.0.2/24'

config link 'wan1'
	option device 'eth1'
	option source '192.0.2.10'

config link 'wan2'
	option interface 'wwan'
	option enabled '0'
`,
    );
    const { config } = await loadRouterConfigFile(path);
    expect(config).toMatchObject({ server: 'vps.example.net', port: 5555, mode: 'bond', tunName: 'wb0' });
    expect(config.links).toEqual([
      { name: 'wan1', interface: undefined, device: 'eth1', source: '192.0.2.10', enabled: true, backup: false },
      { name: 'wan2', interface: 'wwan', device: undefined, source: undefined, enabled: false, backup: false },
    ]);
  });

  it('reads server clients with routes and forwards', async () => {
    const path = file(
      'server',
      `config server 'main'
	option private_key '${KEY}'
	option address '10.255.0.1/24'
	option wan_device 'eth0'

config client 'home'
	option public_key '${KEY}'
	option address '10.255.0.2'
	list route '192.168.1.0/24'
	list forward 'tcp:8080:192.168.1.10:80'
`,
    );
    const { config } = await loadServerConfigFile(path);
    expect(config).toMatchObject({ listen: '::', port: 5555, masquerade: true, wanDevice: 'eth0' });
    expect(config.clients[0]).toMatchObject({
      routes: ['192.168.1.0/24'],
      forwards: [{ proto: 'tcp', publicPort: 8080, host: '192.168.1.10', port: 80 }],
    });
  });

  it('names file and line of what is wrong', async () => {
    const path = file('bad', "config wanbond 'main'\n\toption server 'x'\n\toption port 'abc'\n");
    await expect(loadRouterConfigFile(path)).rejects.toThrow(/port.* at .*bad:3$/);
    const garbage = file('garbage', "config server 'main'\n\toption private_key 'x\n");
    await expect(loadServerConfigFile(garbage)).rejects.toThrow(/garbage:2/);
    await expect(loadServerConfigFile(join(dir, 'missing'))).rejects.toThrow(/missing/);
  });
});
