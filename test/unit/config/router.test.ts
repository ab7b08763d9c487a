import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadRouterConfig, parseRouterConfig } from '../../../src/wanbond/config/index.js';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';

const FILE = '/etc/config/wanbond';
const priv = generatePrivateKey();
const serverKey = publicKeyOf(generatePrivateKey());

function base(extra = ''): string {
  return `config wanbond 'main'
	option enabled '1'
	option server 'vps.example.net'
	option private_key '${priv}'
	option server_key '${serverKey}'
${extra}
config link 'wan1'
	option interface 'wan'

config link 'wan2'
	option device 'eth2'
	option source '192.0.2.10'
	option backup '1'

config policy 'stream'
	option mode 'redundant'
	list use_link 'wan1'
	list use_link 'wan2'

config rule 'rtmp'
	option proto 'tcp'
	option dest_port '1935'
	option use_policy 'stream'
`;
}

function failure(text: string): ConfigError {
  try {
    parseRouterConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('router config', () => {
  it('reads a full config with defaults', () => {
    const { config, warnings } = parseRouterConfig(base(), FILE);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      file: FILE,
      enabled: true,
      server: 'vps.example.net',
      port: 5555,
      privateKey: priv,
      serverKey,
      mode: 'bond',
      tunName: 'wb0',
      fallback: 'direct',
    });
    expect(config.mtu).toBeUndefined();
    expect(config.links).toEqual([
      { name: 'wan1', interface: 'wan', enabled: true, backup: false },
      { name: 'wan2', device: 'eth2', source: '192.0.2.10', enabled: true, backup: true },
    ]);
    expect(config.policies).toEqual([{ name: 'stream', mode: 'redundant', useLinks: ['wan1', 'wan2'] }]);
    expect(config.rules).toEqual([{ name: 'rtmp', proto: 'tcp', destPort: '1935', usePolicy: 'stream' }]);
  });

  it('reads the optional main options', () => {
    const { config } = parseRouterConfig(
      base(
        "\toption port '6000'\n\toption mode 'failover'\n\toption address '10.255.0.2/24'\n\toption address6 'fd00:ffff::2/64'\n\toption tun 'wbx'\n\toption mtu '1380'\n\toption fallback 'block'\n",
      ),
      FILE,
    );
    expect(config).toMatchObject({
      port: 6000,
      mode: 'failover',
      address: '10.255.0.2/24',
      address6: 'fd00:ffff::2/64',
      tunName: 'wbx',
      mtu: 1380,
      fallback: 'block',
    });
  });

  it('accepts every UCI boolean spelling', () => {
    for (const [word, value] of [
      ['yes', true],
      ['on', true],
      ['true', true],
      ['enabled', true],
      ['no', false],
      ['off', false],
      ['false', false],
      ['disabled', false],
    ] as const) {
      const { config } = parseRouterConfig(base().replace("option backup '1'", `option backup '${word}'`), FILE);
      expect(config.links[1]!.backup).toBe(value);
    }
  });

  it('names file, line, section and option in errors', () => {
    const text = base().replace("option backup '1'", "option backup 'maybe'");
    const err = failure(text);
    const line = text.split('\n').findIndex((l) => l.includes('maybe')) + 1;
    expect(err.message).toBe(
      `wanbond.wan2.backup: expected a boolean (0/1), got 'maybe' at /etc/config/wanbond:${line}`,
    );
    expect(err).toMatchObject({ file: FILE, line, section: 'wan2', option: 'backup' });
  });

  const mistakes: [string, string, RegExp][] = [
    ['bad port', "\toption port '70000'\n", /^wanbond\.main\.port: expected a port 1\.\.65535, got '70000' at .*:6$/],
    ['non-numeric port', "\toption port 'http'\n", /main\.port: expected a port/],
    ['bad mode', "\toption mode 'fast'\n", /main\.mode: expected one of bond, redundant, failover, direct, got 'fast'/],
    ['bad fallback', "\toption fallback 'drop'\n", /main\.fallback: expected one of direct, block/],
    ['bad mtu', "\toption mtu '100'\n", /main\.mtu: expected an MTU 576\.\.9000, got '100'/],
    ['bad tun name', "\toption tun 'a-very-long-tun-name'\n", /main\.tun: expected an interface name/],
    [
      'address without prefix',
      "\toption address '10.255.0.2'\n",
      /main\.address: expected the tunnel address with its prefix/,
    ],
    ['address6 not IPv6', "\toption address6 '10.0.0.1/24'\n", /main\.address6: expected an IPv6 address/],
    [
      'both key forms',
      "\toption key_file '/etc/wanbond/key'\n",
      /main\.key_file: set private_key or key_file, not both/,
    ],
    [
      'list where an option is expected',
      "\tlist mode 'bond'\n",
      /main\.mode: expected a single value \(option\), got a list/,
    ],
  ];
  for (const [what, extra, re] of mistakes) {
    it(`rejects ${what}`, () => {
      expect(failure(base(extra)).message).toMatch(re);
    });
  }

  it('rejects a bad server name, a bad server key and a bad private key without echoing it', () => {
    expect(failure(base().replace('vps.example.net', 'vps example')).message).toMatch(
      /main\.server: expected a host name or IP address, got 'vps example'/,
    );
    expect(failure(base().replace(serverKey, 'abc')).message).toMatch(
      /main\.server_key: expected a base64 X25519 key.*got 'abc'/,
    );
    const err = failure(base().replace(priv, 'secret-but-wrong'));
    expect(err.message).toMatch(/main\.private_key: expected a base64 X25519 key/);
    expect(err.message).not.toContain('secret-but-wrong');
  });

  it('requires server, keys when enabled, but not when disabled', () => {
    expect(failure(base().replace(/\toption server .*\n/, '')).message).toMatch(
      /main\.server: missing, e\.g\. option server/,
    );
    expect(failure(base().replace(/\toption server_key .*\n/, '')).message).toMatch(/main\.server_key: missing/);
    expect(failure(base().replace(/\toption private_key .*\n/, '')).message).toMatch(/main\.private_key: missing/);
    const { config } = parseRouterConfig("config wanbond 'main'\n\toption enabled '0'\n", FILE);
    expect(config).toMatchObject({ enabled: false, server: '', privateKey: '', serverKey: '' });
  });

  it('rejects a missing main section and bad UCI syntax with the line', () => {
    expect(failure("config link 'wan'\n\toption interface 'wan'\n").message).toMatch(
      /^wanbond: no 'config wanbond' section/,
    );
    const err = failure("config wanbond 'main'\n\toption enabled '1\n");
    expect(err.message).toMatch(/^wanbond: UCI syntax error \(EOF with unterminated '\) at \/etc\/config\/wanbond:2$/);
    expect(failure("config wanbond 'main'\n\toption bad-name 1\n").message).toMatch(
      /invalid character in name field\) at .*:2$/,
    );
  });

  it('validates links', () => {
    expect(failure(base().replace("\toption interface 'wan'\n", '')).message).toMatch(
      /wanbond\.wan1: a link needs option interface/,
    );
    expect(failure(base().replace("option source '192.0.2.10'", "option source 'eth0'")).message).toMatch(
      /wan2\.source: expected the link's local IP address, got 'eth0'/,
    );
    expect(failure(base().replace("option device 'eth2'", "option interface 'wanb'")).message).toMatch(
      /wan2\.source: source needs option device/,
    );
    expect(failure(base().replace("option interface 'wan'", "option interface 'wan-1'")).message).toMatch(
      /wan1\.interface: expected a netifd interface name/,
    );
  });

  it('checks references: use_link and use_policy must exist', () => {
    expect(failure(base().replace("list use_link 'wan2'", "list use_link 'wan3'")).message).toMatch(
      /wanbond\.stream\.use_link: no link named 'wan3' \(links: wan1, wan2\)/,
    );
    expect(failure(base().replace("option use_policy 'stream'", "option use_policy 'video'")).message).toMatch(
      /wanbond\.rtmp\.use_policy: no policy named 'video' \(policies: stream\)/,
    );
    expect(failure(base().replace(/\toption use_policy .*\n/, '')).message).toMatch(/rtmp\.use_policy: missing/);
    expect(failure(base().replace("option mode 'redundant'", "option mode 'balance'")).message).toMatch(
      /stream\.mode: expected one of/,
    );
  });

  it('validates rule matches', () => {
    const rule = (body: string) => `${base()}\nconfig rule 'r2'\n${body}\toption use_policy 'stream'\n`;
    expect(
      parseRouterConfig(
        rule("\toption src_ip '10.0.0.0/8'\n\toption dest_ip '192.0.2.1'\n\toption family 'ipv4'\n"),
        FILE,
      ).config.rules[1],
    ).toEqual({
      name: 'r2',
      srcIp: '10.0.0.0/8',
      destIp: '192.0.2.1',
      family: 'ipv4',
      usePolicy: 'stream',
    });
    expect(
      parseRouterConfig(rule("\toption proto 'udp'\n\toption dest_port '80,443,1000:2000'\n"), FILE).config.rules[1]!
        .destPort,
    ).toBe('80,443,1000:2000');
    expect(failure(rule("\toption src_ip '10.0.0.0/33'\n")).message).toMatch(
      /r2\.src_ip: expected an IP address or subnet/,
    );
    expect(failure(rule("\toption dest_ip '2001:db8::/32'\n\toption family 'ipv4'\n")).message).toMatch(
      /r2\.dest_ip: '2001:db8::\/32' does not match family 'ipv4'/,
    );
    expect(failure(rule("\toption src_ip '10.0.0.1'\n\toption dest_ip '2001:db8::1'\n")).message).toMatch(
      /different IP families/,
    );
    expect(failure(rule("\toption proto 'sctpx'\n")).message).toMatch(
      /r2\.proto: expected tcp, udp, icmp, all or a protocol number/,
    );
    expect(failure(rule("\toption dest_port '443'\n")).message).toMatch(
      /r2\.dest_port: ports need option proto 'tcp' or 'udp'/,
    );
    expect(failure(rule("\toption proto 'tcp'\n\toption src_port '99999'\n")).message).toMatch(
      /r2\.src_port: expected ports like/,
    );
    expect(failure(rule("\toption family 'ip4'\n")).message).toMatch(/r2\.family: expected one of ipv4, ipv6, any/);
  });

  it('warns about unknown options and sections but keeps going', () => {
    const text = `${base("\toption sever 'typo'\n")}\nconfig member 'm1'\n\toption interface 'wan'\n`;
    const { warnings } = parseRouterConfig(text, FILE);
    expect(warnings).toEqual([
      'wanbond.main.sever: unknown option, ignored at /etc/config/wanbond:6',
      "wanbond.m1: unknown section type 'member', ignored at /etc/config/wanbond:26",
    ]);
  });

  it('names anonymous sections like uci show does', () => {
    const text = `${base()}\nconfig link\n\toption interface 'lan'\n\toption backup 'x'\n`;
    expect(failure(text).message).toMatch(/^wanbond\.@link\[2\]\.backup: expected a boolean/);
  });

  it('reads key_file through the reader, and loadRouterConfig reads it from disk', async () => {
    const text = base().replace(`option private_key '${priv}'`, "option key_file '/keys/router.key'");
    expect(failure(text).message).toMatch(/main\.key_file: key_file given but this caller cannot read files/);
    const read = (p: string) => {
      expect(p).toBe('/keys/router.key');
      return `${priv}\n`;
    };
    expect(parseRouterConfig(text, FILE, { readFile: read }).config.privateKey).toBe(priv);
    expect(() =>
      parseRouterConfig(text, FILE, {
        readFile: () => {
          throw new Error('ENOENT');
        },
      }),
    ).toThrow(/main\.key_file: cannot read '\/keys\/router\.key': ENOENT/);
    expect(() => parseRouterConfig(text, FILE, { readFile: () => 'nope' })).toThrow(
      /does not hold a base64 X25519 private key/,
    );

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-config-'));
    try {
      fs.writeFileSync(path.join(dir, 'router.key'), `${priv}\n`);
      fs.writeFileSync(path.join(dir, 'wanbond'), text.replace('/keys/router.key', path.join(dir, 'router.key')));
      const { config } = await loadRouterConfig(path.join(dir, 'wanbond'));
      expect(config.privateKey).toBe(priv);
      expect(config.file).toBe(path.join(dir, 'wanbond'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the shipped default /etc/config/wanbond parses and is disabled', () => {
    const file = path.resolve(__dirname, '../../../openwrt/wanbond/files/wanbond.config');
    const { config, warnings } = parseRouterConfig(fs.readFileSync(file), file);
    expect(config.enabled).toBe(false);
    expect(config.links.map((l) => l.interface)).toEqual(['wan']);
    expect(warnings).toEqual([]);
  });
});
