import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const INIT = join(root, 'openwrt/wanbond/files/wanbond.init');
const STUBS = join(__dirname, 'fixtures/rc-stubs.sh');

// What rc.common does with USE_PROCD=1 once it has sourced the script: `start` wraps start_service and
// service_triggers in one `service set`; `reload` calls reload_service when the script has one.
const DRIVER = `
. "$STUBS"
start_service() { return 0; }
service_triggers() { return 0; }
. "$INIT"
start() {
	procd_open_service wanbond /etc/init.d/wanbond
	start_service "$@"
	procd_open_trigger
	service_triggers
	procd_close_trigger
	procd_close_service
}
reload() { if type reload_service >/dev/null 2>&1; then reload_service "$@"; else start; fi; }
"$ACTION"
`;

interface Call {
  fn: string;
  args: string[];
}

const work = mkdtempSync(join(tmpdir(), 'wanbond-init-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let runNo = 0;
function run(action: 'start' | 'reload', config: string, running = false): Call[] {
  const dir = join(work, `run${runNo++}`);
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'wanbond'), config);
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  execFileSync('sh', ['-c', DRIVER], {
    env: {
      PATH: process.env.PATH,
      STUBS,
      INIT,
      ACTION: action,
      WB_UCI_DIR: dir,
      WB_CALLS: calls,
      WB_RUNNING: running ? '1' : '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return readFileSync(calls, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [fn, ...args] = line.split('\t');
      return { fn: fn!, args };
    });
}

/** The instances procd would get, as procd.sh builds them: name and parameters between open and close. */
function instances(calls: Call[]): { name: string; params: Map<string, string[]> }[] {
  const out: { name: string; params: Map<string, string[]> }[] = [];
  let current: { name: string; params: Map<string, string[]> } | null = null;
  for (const c of calls) {
    if (c.fn === 'procd_open_instance') current = { name: c.args[0] ?? 'instance1', params: new Map() };
    else if (c.fn === 'procd_set_param' && current) current.params.set(c.args[0]!, c.args.slice(1));
    else if (c.fn === 'procd_close_instance' && current) {
      out.push(current);
      current = null;
    }
  }
  return out;
}

const between = (calls: Call[], open: string, close: string) => {
  const a = calls.findIndex((c) => c.fn === open);
  const b = calls.findIndex((c) => c.fn === close);
  return calls.slice(a + 1, b);
};

const CONFIG = `
config wanbond 'main'
	option enabled '1'
	option server 'vps.example.net'

config link 'wan1'
	option interface 'wan1'

config link 'wan2'
	option interface 'modem2'
	option backup '1'

config link 'wan3'
	option interface 'wan3'
	option enabled '0'

config link 'lab'
	option device 'veth0'
	option source '192.0.2.10'

config policy 'stream'
	option mode 'redundant'
`;

describe('openwrt/wanbond/files/wanbond.init under stubbed rc.common/procd', () => {
  it('is a procd script for rc.common that parses as POSIX sh', () => {
    const text = readFileSync(INIT, 'utf8');
    expect(text.split('\n')[0]).toBe('#!/bin/sh /etc/rc.common');
    expect(text).toMatch(/^USE_PROCD=1$/m);
    expect(text).toMatch(/^START=95$/m);
    expect(text).toMatch(/^STOP=10$/m);
    execFileSync('sh', ['-n', INIT]);
  });

  it('starts one respawning foreground instance logging to logd', () => {
    const calls = run('start', CONFIG);
    const inst = instances(calls);
    expect(inst).toHaveLength(1);
    expect(inst[0]!.name).toBe('router');
    const p = inst[0]!.params;
    expect(p.get('command')).toEqual(['/usr/bin/wanbond', 'router', '-c', '/etc/config/wanbond']);
    // respawn without values: procd's defaults or system.@service[0].respawn_*
    expect(p.get('respawn')).toEqual([]);
    expect(p.get('stdout')).toEqual(['1']);
    expect(p.get('stderr')).toEqual(['1']);
    expect(p.get('term_timeout')).toEqual(['5']);
    // service set: instances first, then the triggers, inside one open/close service
    expect(calls[0]).toEqual({ fn: 'procd_open_service', args: ['wanbond', '/etc/init.d/wanbond'] });
    expect(calls.at(-1)!.fn).toBe('procd_close_service');
  });

  it('reloads on wanbond config changes and on the enabled links’ netifd interfaces only', () => {
    const triggers = between(run('start', CONFIG), 'procd_open_trigger', 'procd_close_trigger');
    expect(triggers).toEqual([
      { fn: 'procd_add_reload_trigger', args: ['wanbond'] },
      { fn: 'procd_add_reload_interface_trigger', args: ['wan1'] },
      { fn: 'procd_add_reload_interface_trigger', args: ['modem2'] },
    ]);
  });

  it('does nothing but keep its config trigger when wanbond.main.enabled is 0', () => {
    for (const off of ['0', 'off', 'no', 'false']) {
      const calls = run('start', CONFIG.replace("option enabled '1'", `option enabled '${off}'`));
      expect(instances(calls)).toEqual([]);
      expect(between(calls, 'procd_open_trigger', 'procd_close_trigger')).toEqual([
        { fn: 'procd_add_reload_trigger', args: ['wanbond'] },
      ]);
    }
  });

  it('treats a missing enabled option as on, and runs with no links at all', () => {
    const calls = run('start', "config wanbond 'main'\n\toption server 'x'\n");
    expect(instances(calls)).toHaveLength(1);
    expect(between(calls, 'procd_open_trigger', 'procd_close_trigger')).toEqual([
      { fn: 'procd_add_reload_trigger', args: ['wanbond'] },
    ]);
  });

  it('reload re-submits the service and sends SIGHUP to a running daemon', () => {
    const calls = run('reload', CONFIG, true);
    expect(instances(calls)).toHaveLength(1);
    const signal = calls.filter((c) => c.fn === 'procd_send_signal');
    expect(signal).toEqual([{ fn: 'procd_send_signal', args: ['wanbond', 'router', 'HUP'] }]);
    // the signal goes after the new service description, so procd already knows of added links
    expect(calls.findIndex((c) => c.fn === 'procd_send_signal')).toBeGreaterThan(
      calls.findIndex((c) => c.fn === 'procd_close_service'),
    );
  });

  it('reload sends no signal when the daemon was not running, or was just disabled', () => {
    expect(run('reload', CONFIG, false).filter((c) => c.fn === 'procd_send_signal')).toEqual([]);
    const disabled = run('reload', CONFIG.replace("option enabled '1'", "option enabled '0'"), true);
    expect(disabled.filter((c) => c.fn === 'procd_send_signal')).toEqual([]);
    expect(instances(disabled)).toEqual([]);
  });
});
