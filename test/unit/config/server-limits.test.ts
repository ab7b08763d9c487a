import { describe, expect, it } from 'vitest';
import { ConfigError, parseServerConfig } from '../../../src/wanbond/config/index.js';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { engineLimits } from '../../../src/wanbond/server/registry.js';

const FILE = '/etc/wanbond/server';

function text(mainExtra: string, clients = 3): string {
  const sections = Array.from(
    { length: clients },
    (_, i) =>
      `config client 'r${i}'\n\toption public_key '${publicKeyOf(generatePrivateKey())}'\n\toption address '10.255.0.${i + 2}'\n`,
  );
  return `config server 'main'\n\toption private_key '${generatePrivateKey()}'\n\toption address '10.255.0.1/24'\n${mainExtra}\n${sections.join('\n')}`;
}

describe('server config: max_clients and max_buffer_mb', () => {
  it('are optional: the engine defaults apply', () => {
    const { config, warnings } = parseServerConfig(text(''), FILE);
    expect(config.maxClients).toBeUndefined();
    expect(config.maxBufferMb).toBeUndefined();
    expect(engineLimits(config)).toEqual({});
    expect(warnings).toEqual([]);
  });

  it('are read and handed to the engine in its units', () => {
    const { config } = parseServerConfig(text("\toption max_clients '10'\n\toption max_buffer_mb '64'\n"), FILE);
    expect(config.maxClients).toBe(10);
    expect(config.maxBufferMb).toBe(64);
    expect(engineLimits(config)).toEqual({ maxClients: 10, bufferBudgetBytes: 64 * 2 ** 20 });
  });

  it('loads a config with more clients than max_clients, with a warning naming file:line', () => {
    const { config, warnings } = parseServerConfig(text("\toption max_clients '2'\n"), FILE);
    expect(config.clients).toHaveLength(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/max_clients: 3 clients configured, at most 2 .* at \/etc\/wanbond\/server:4$/);
  });

  it('rejects values out of range with file:line', () => {
    for (const [option, value] of [
      ['max_clients', '0'],
      ['max_clients', 'many'],
      ['max_buffer_mb', '8'],
      ['max_buffer_mb', '-1'],
    ] as const) {
      let err: unknown;
      try {
        parseServerConfig(text(`\toption ${option} '${value}'\n`), FILE);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(String((err as Error).message)).toMatch(new RegExp(`${option}.*${FILE}:4|${FILE}:4.*${option}`));
    }
  });
});
