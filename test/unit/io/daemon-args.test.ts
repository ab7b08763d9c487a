import { describe, expect, it } from 'vitest';
import { parseDaemonArgs } from '../../../src/wanbond/io/daemon-args.js';

describe('daemon arguments', () => {
  it('takes -c FILE, --config=FILE, --debug and declared extras', () => {
    const a = parseDaemonArgs(['-c', '/etc/config/wanbond', '--ubus-socket', '/var/run/ubus.sock'], ['--ubus-socket']);
    expect(a).toEqual({
      config: '/etc/config/wanbond',
      debug: false,
      values: new Map([['--ubus-socket', '/var/run/ubus.sock']]),
    });
    expect(parseDaemonArgs(['--config=/x', '-d'])).toMatchObject({ config: '/x', debug: true });
  });

  it('says what is wrong', () => {
    expect(parseDaemonArgs([])).toBe('missing -c FILE');
    expect(parseDaemonArgs(['-c'])).toBe('-c needs a FILE');
    expect(parseDaemonArgs(['-c', 'f', '--ubus-socket', 'x'])).toBe("unknown argument '--ubus-socket'");
    expect(parseDaemonArgs(['-c', 'f', '--ubus-socket'], ['--ubus-socket'])).toBe('--ubus-socket needs a value');
  });
});
