import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseRouterConfig, parseServerConfig } from '../../src/wanbond/config/index.js';
import { generatePrivateKey, publicKeyOf } from '../../src/wanbond/engine/keys.js';
import { budget, timeoutFor } from './budget.js';
import { edit, mutate } from './mutate.js';

const routerKey = generatePrivateKey();
const serverKey = generatePrivateKey();
const KEY_FILE = '/etc/wanbond/key';

const ROUTER = `config wanbond 'main'
\toption enabled '1'
\toption server 'vps.example.net'
\toption port '5555'
\toption private_key '${routerKey}'
\toption server_key '${publicKeyOf(serverKey)}'
\toption mode 'bond'
\toption address '10.255.0.2/24'
\toption address6 'fd00:255::2/64'
\toption mtu '1400'

config link 'wan1'
\toption interface 'wan'
\toption backup '0'

config link 'wan2'
\toption device 'eth1'
\toption source '192.0.2.10'
\toption enabled '1'

config link
\toption interface 'wwan'
\toption backup '1'

config policy 'stream'
\toption mode 'redundant'
\tlist use_link 'wan1'
\tlist use_link 'wan2'

config rule 'rtmp'
\toption proto 'tcp'
\toption dest_port '1935'
\toption dest_ip '203.0.113.0/24'
\toption use_policy 'stream'
`;

const SERVER = `config server 'main'
\toption listen '::'
\toption port '5555'
\toption key_file '${KEY_FILE}'
\toption address '10.255.0.1/24'
\toption address6 'fd00:255::1/64'
\toption masquerade '1'
\toption wan_device 'eth0'

config client 'home'
\toption public_key '${publicKeyOf(routerKey)}'
\toption address '10.255.0.2'
\tlist route '192.168.1.0/24'
\tlist forward 'tcp:8080:192.168.1.10:80'

config client 'office'
\toption public_key '${publicKeyOf(generatePrivateKey())}'
\toption address '10.255.0.3'
\tlist route '192.168.2.0/24'
`;

/** What fs.readFileSync does: the key for the one path that exists, ENOENT for the rest. */
function readFile(path: string): string {
  if (path === KEY_FILE) return `${serverKey}\n`;
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
}

function lines(b: Uint8Array): number {
  let n = 1;
  for (const c of b) if (c === 10) n++;
  return n;
}

/** A config or a ConfigError naming the file (and a line inside it when it has one); nothing else escapes. */
function loadChecked(
  parse: (text: Uint8Array, file: string, o: { readFile: typeof readFile }) => unknown,
  bytes: Uint8Array,
  file: string,
): 'ok' | 'error' {
  try {
    parse(bytes, file, { readFile });
    return 'ok';
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.file).toBe(file);
    if (e.line !== undefined) {
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.line).toBeLessThanOrEqual(lines(bytes));
      expect(e.message).toContain(`${file}:${e.line}`);
    }
    // A config error must never echo a private key (it ends up in syslog).
    expect(e.message).not.toContain(routerKey);
    expect(e.message).not.toContain(serverKey);
    return 'error';
  }
}

describe('config loader under mutated files', () => {
  it('loads the unmutated seeds', () => {
    expect(loadChecked(parseRouterConfig, Buffer.from(ROUTER), '/etc/config/wanbond')).toBe('ok');
    expect(loadChecked(parseServerConfig, Buffer.from(SERVER), '/etc/wanbond/server')).toBe('ok');
  });

  for (const [name, parse, seed, file] of [
    ['router', parseRouterConfig, ROUTER, '/etc/config/wanbond'],
    ['server', parseServerConfig, SERVER, '/etc/wanbond/server'],
  ] as const) {
    it(
      `${name}: gives a config or a ConfigError with file:line, never another exception`,
      () => {
        const outcomes = { ok: 0, error: 0 };
        fc.assert(
          fc.property(fc.array(edit, { minLength: 1, maxLength: 5 }), (edits) => {
            outcomes[loadChecked(parse, mutate(Buffer.from(seed), edits), file)]++;
          }),
          budget(1500),
        );
        // The mutations must exercise both outcomes, or the property proves little.
        expect(outcomes.ok).toBeGreaterThan(0);
        expect(outcomes.error).toBeGreaterThan(0);
      },
      timeoutFor(6000),
    );
  }

  it(
    'gives a ConfigError for random bytes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          loadChecked(parseRouterConfig, bytes, '/etc/config/wanbond');
          loadChecked(parseServerConfig, bytes, '/etc/wanbond/server');
        }),
        budget(1000),
      );
    },
    timeoutFor(4000),
  );
});
