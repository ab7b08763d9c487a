import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig, parseServerConfig } from '../../../src/wanbond/config/index.js';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';

const FILE = '/etc/wanbond/server';
const priv = generatePrivateKey();
const home = publicKeyOf(generatePrivateKey());
const office = publicKeyOf(generatePrivateKey());

function base(mainExtra = '', clients = ''): string {
  return `config server 'main'
	option private_key '${priv}'
	option address '10.255.0.1/24'
${mainExtra}
config client 'home'
	option public_key '${home}'
	option address '10.255.0.2'
	list route '192.168.1.0/24'
	list forward 'tcp:8080:192.168.1.10:80'
	list forward 'udp:51820:10.255.0.2:51820'

config client 'office'
	option public_key '${office}'
	option address '10.255.0.3'
${clients}`;
}

function failure(text: string): ConfigError {
  try {
    parseServerConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('server config', () => {
  it('reads a config with defaults', () => {
    const { config, warnings } = parseServerConfig(base(), FILE);
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      file: FILE,
      listen: '::',
      port: 5555,
      privateKey: priv,
      address: '10.255.0.1/24',
      masquerade: true,
      tunName: 'wb0',
      clients: [
        {
          name: 'home',
          publicKey: home,
          address: '10.255.0.2',
          routes: ['192.168.1.0/24'],
          forwards: [
            { proto: 'tcp', publicPort: 8080, host: '192.168.1.10', port: 80 },
            { proto: 'udp', publicPort: 51820, host: '10.255.0.2', port: 51820 },
          ],
        },
        { name: 'office', publicKey: office, address: '10.255.0.3', routes: [], forwards: [] },
      ],
    });
  });

  it('reads the optional options', () => {
    const { config } = parseServerConfig(
      base(
        "\toption listen '0.0.0.0'\n\toption port '443'\n\toption address6 'fd00:ffff::1/64'\n\toption masquerade 'no'\n\toption wan_device 'eth0'\n\toption tun 'wbs'\n\toption mtu '1420'\n",
        "\toption address6 'fd00:ffff::3'\n\tlist route 'fd00:1::/48'\n",
      ),
      FILE,
    );
    expect(config).toMatchObject({
      listen: '0.0.0.0',
      port: 443,
      address6: 'fd00:ffff::1/64',
      masquerade: false,
      wanDevice: 'eth0',
      tunName: 'wbs',
      mtu: 1420,
    });
    expect(config.clients[1]).toMatchObject({ address6: 'fd00:ffff::3', routes: ['fd00:1::/48'] });
    expect(config.clients[0]?.rateLimitKbit).toBeUndefined();
  });

  it('reads a per-client rate limit and refuses a bad one with file:line', () => {
    const { config } = parseServerConfig(base('', "\toption rate_limit_kbit '20000'\n"), FILE);
    expect(config.clients[1]?.rateLimitKbit).toBe(20_000);
    const e = failure(base('', "\toption rate_limit_kbit '20M'\n"));
    expect(e.message).toMatch(
      /^server\.office\.rate_limit_kbit: expected a rate in kbit\/s 64\.\.10000000, got '20M' at \/etc\/wanbond\/server:\d+$/,
    );
  });

  const mistakes: [string, string, string, RegExp][] = [
    [
      'bad listen',
      "\toption listen 'any'\n",
      '',
      /^server\.main\.listen: expected a local IP address.*got 'any' at \/etc\/wanbond\/server:4$/,
    ],
    [
      'bad masquerade',
      "\toption masquerade 'maybe'\n",
      '',
      /main\.masquerade: expected a boolean \(0\/1\), got 'maybe'/,
    ],
    ['bad wan_device', "\toption wan_device 'eth 0'\n", '', /main\.wan_device: expected a device name/],
    ['bad address6', "\toption address6 'fd00::1'\n", '', /main\.address6: expected an IPv6 address with prefix/],
    [
      'bad client key',
      '',
      "\nconfig client 'x'\n\toption public_key 'short'\n\toption address '10.255.0.9'\n",
      /server\.x\.public_key: expected a base64 X25519 key.*got 'short'/,
    ],
    [
      'duplicate client key',
      '',
      `\nconfig client 'x'\n\toption public_key '${home}'\n\toption address '10.255.0.9'\n`,
      /server\.x\.public_key: same public key as client home/,
    ],
    [
      'missing client address',
      '',
      `\nconfig client 'x'\n\toption public_key '${publicKeyOf(generatePrivateKey())}'\n`,
      /server\.x\.address: missing, e\.g\. option address '10\.255\.0\.2'/,
    ],
    [
      'client address outside the subnet',
      '',
      "\toption address6 'fd00:ffff::3'\n",
      /office\.address6: the server has no address6/,
    ],
  ];
  for (const [what, mainExtra, clients, re] of mistakes) {
    it(`rejects ${what}`, () => {
      expect(failure(base(mainExtra, clients)).message).toMatch(re);
    });
  }

  it('requires private key and a usable tunnel address', () => {
    expect(failure(base().replace(/\toption private_key .*\n/, '')).message).toMatch(/main\.private_key: missing/);
    expect(failure(base().replace(/\toption address '10.255.0.1\/24'\n/, '')).message).toMatch(
      /main\.address: missing/,
    );
    expect(failure(base().replace("'10.255.0.1/24'", "'10.255.0.1'")).message).toMatch(
      /main\.address: expected the server's tunnel IPv4 address with prefix/,
    );
    expect(failure(base().replace("'10.255.0.1/24'", "'10.255.0.0/24'")).message).toMatch(/main\.address: expected/);
    expect(failure(base().replace("'10.255.0.1/24'", "'fd00::1/64'")).message).toMatch(/main\.address: expected/);
  });

  it('checks client addresses: inside the subnet, host addresses, unique', () => {
    const client = (addr: string) =>
      base(
        '',
        `\nconfig client 'x'\n\toption public_key '${publicKeyOf(generatePrivateKey())}'\n\toption address '${addr}'\n`,
      );
    expect(failure(client('10.254.0.9')).message).toMatch(
      /server\.x\.address: '10\.254\.0\.9' is not a host address of the server's subnet 10\.255\.0\.1\/24/,
    );
    expect(failure(client('10.255.0.255')).message).toMatch(/is not a host address/);
    expect(failure(client('10.255.0.2')).message).toMatch(
      /server\.x\.address: '10\.255\.0\.2' is already used by client home/,
    );
    expect(failure(client('10.255.0.1')).message).toMatch(/is already used by the server/);
    expect(failure(client('10.255.0.9/24')).message).toMatch(/expected the client's tunnel IPv4 address/);
    const six = base("\toption address6 'fd00:ffff::1/64'\n", "\toption address6 'fd00:eeee::3'\n");
    expect(failure(six).message).toMatch(
      /office\.address6: 'fd00:eeee::3' is not inside the server's fd00:ffff::1\/64/,
    );
  });

  it('checks routes: valid, not the tunnel, not overlapping another client', () => {
    expect(failure(base('', "\tlist route '192.168.2.0/33'\n")).message).toMatch(/office\.route: expected a subnet/);
    expect(failure(base('', "\tlist route '0.0.0.0/0'\n")).message).toMatch(
      /office\.route: '0\.0\.0\.0\/0' would send all traffic/,
    );
    expect(failure(base('', "\tlist route '10.255.0.0/16'\n")).message).toMatch(
      /office\.route: '10\.255\.0\.0\/16' overlaps the tunnel subnet/,
    );
    expect(failure(base('', "\tlist route '192.168.1.128/25'\n")).message).toMatch(
      /office\.route: '192\.168\.1\.128\/25' overlaps '192\.168\.1\.0\/24' of client home/,
    );
  });

  it('checks forwards: syntax, ports, reachable host, unique public ports, not the tunnel port', () => {
    const fwd = (f: string, route = "\tlist route '192.168.2.0/24'\n") => base('', `${route}\tlist forward '${f}'\n`);
    expect(parseServerConfig(fwd('tcp:2222:192.168.2.5:22'), FILE).config.clients[1]!.forwards).toEqual([
      { proto: 'tcp', publicPort: 2222, host: '192.168.2.5', port: 22 },
    ]);
    expect(failure(fwd('sctp:1:192.168.2.5:2')).message).toMatch(
      /office\.forward: bad syntax in 'sctp:1:192\.168\.2\.5:2' \(expected 'proto:public_port:host:port'/,
    );
    expect(failure(fwd('tcp:0:192.168.2.5:22')).message).toMatch(/public port out of range/);
    expect(failure(fwd('tcp:2222:192.168.2.5:70000')).message).toMatch(/port out of range/);
    expect(failure(fwd('tcp:2222:host.lan:22')).message).toMatch(/host is not an IP address/);
    expect(failure(fwd('tcp:2222:192.168.9.5:22')).message).toMatch(
      /host is neither the client's tunnel address nor inside one of its routes/,
    );
    expect(failure(fwd('tcp:8080:192.168.2.5:80')).message).toMatch(
      /office\.forward: public port 8080\/tcp is already forwarded by client home/,
    );
    expect(failure(fwd('udp:5555:192.168.2.5:53')).message).toMatch(/public port 5555\/udp is the tunnel's own port/);
    expect(parseServerConfig(fwd('tcp:5555:192.168.2.5:53'), FILE).config.clients[1]!.forwards[0]!.publicPort).toBe(
      5555,
    );
  });

  it('warns about unknown options and sections', () => {
    const { warnings } = parseServerConfig(`${base("\toption prot '1'\n")}\nconfig peer 'p'\n`, FILE);
    expect(warnings).toEqual([
      'server.main.prot: unknown option, ignored at /etc/wanbond/server:4',
      "server.p: unknown section type 'peer', ignored at /etc/wanbond/server:17",
    ]);
  });

  it('the shipped debian/server.conf loads with its key file', async () => {
    const shipped = fs.readFileSync(path.resolve(__dirname, '../../../debian/server.conf'), 'utf8');
    const { config, warnings } = parseServerConfig(shipped, FILE, {
      readFile: (p) => {
        expect(p).toBe('/etc/wanbond/server.key');
        return `${priv}\n`;
      },
    });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({ listen: '::', port: 5555, address: '10.255.0.1/24', masquerade: true, clients: [] });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'server.key'), `${priv}\n`);
      fs.writeFileSync(
        path.join(dir, 'server'),
        shipped.replace('/etc/wanbond/server.key', path.join(dir, 'server.key')),
      );
      expect((await loadServerConfig(path.join(dir, 'server'))).config.privateKey).toBe(priv);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
