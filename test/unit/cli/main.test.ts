import { describe, expect, it } from 'vitest';
import { commands, main } from '../../../src/wanbond/cli/main.js';
import { publicKeyOf } from '../../../src/wanbond/engine/keys.js';

function capture(stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), readStdin: async () => stdin },
  };
}

describe('wanbond CLI', () => {
  it('lists every subcommand in --help', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const name of [
      'router',
      'server',
      'status',
      'keygen',
      'pubkey',
      'pair',
      'join',
      'speedtest',
      'lab',
      'uci',
      'macvlan',
    ]) {
      expect(c.out.join('')).toContain(`  ${name}`);
    }
  });

  it('gives every subcommand its own --help', async () => {
    for (const cmd of commands) {
      const c = capture();
      expect(await main([cmd.name, '--help'], c.io)).toBe(0);
      expect(c.out.join('')).toMatch(/^usage: wanbond /);
    }
  });

  it('names the command, the reason and the usage for a bad option (exit 1)', async () => {
    for (const name of ['router', 'server', 'status', 'speedtest', 'pair']) {
      const c = capture();
      expect(await main([name, '--no-such-option'], c.io)).toBe(1);
      const text = c.err.join('');
      expect(text).toMatch(new RegExp(`^wanbond ${name}: .*--no-such-option`));
      expect(text).toContain(`usage: wanbond ${name}`);
      expect(c.out).toEqual([]);
    }
  });

  it('rejects an unknown command with exit 1', async () => {
    const c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(1);
    expect(c.err.join('')).toContain("unknown command 'frobnicate'");
  });

  it('keygen and pubkey agree with RFC 7748 test vector', async () => {
    // RFC 7748 section 6.1: Alice's private and public key.
    const priv = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString(
      'base64',
    );
    const pub = Buffer.from('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', 'hex').toString(
      'base64',
    );
    expect(publicKeyOf(priv)).toBe(pub);
    const c = capture(`${priv}\n`);
    expect(await main(['pubkey'], c.io)).toBe(0);
    expect(c.out.join('')).toBe(`${pub}\n`);
    const k = capture();
    expect(await main(['keygen'], k.io)).toBe(0);
    expect(Buffer.from(k.out.join('').trim(), 'base64')).toHaveLength(32);
  });

  it('pubkey refuses garbage with a clear message', async () => {
    const c = capture('not a key');
    expect(await main(['pubkey'], c.io)).toBe(1);
    expect(c.err.join('')).toContain('invalid private key');
  });
});
