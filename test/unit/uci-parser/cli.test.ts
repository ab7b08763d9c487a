import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseUci, UciContext } from 'uci-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/wanbond/cli/main.js';

let dir: string;
let conf: string;
let save: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-uci-cli-'));
  conf = path.join(dir, 'config');
  save = path.join(dir, 'save');
  fs.mkdirSync(conf);
  fs.writeFileSync(
    path.join(conf, 'wanbond'),
    "# comment\nconfig wanbond 'main'\n\toption enabled '0'\n\nconfig link 'wan1'\n\toption interface 'wan'\n",
    { mode: 0o640 },
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function uci(...args: string[]): Promise<{ out: string; err: string; rc: number }> {
  let out = '';
  let err = '';
  const rc = await main(['uci', '-c', conf, '-t', save, ...args], {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readStdin: async () => '',
  });
  return { out, err, rc };
}

describe('wanbond uci', () => {
  it('set / add / add_list go to the save dir, show them, commit writes the file like uci commit', async () => {
    expect(await uci('set', 'wanbond.main.enabled=1')).toEqual({ out: '', err: '', rc: 0 });
    expect(await uci('add', 'wanbond', 'link')).toEqual({ out: 'cfg0315b3\n', err: '', rc: 0 });
    expect((await uci('set', 'wanbond.@link[-1].device=eth2')).rc).toBe(0);
    expect((await uci('add_list', 'wanbond.wan1.track_ip=1.1.1.1')).rc).toBe(0);
    expect(fs.readFileSync(path.join(save, 'wanbond'), 'utf8')).toBe(
      "wanbond.main.enabled='1'\n+wanbond.cfg0315b3='link'\nwanbond.cfg0315b3.device='eth2'\n|wanbond.wan1.track_ip='1.1.1.1'\n",
    );
    expect((await uci('get', 'wanbond.main.enabled')).out).toBe('1\n');
    expect((await uci('changes', 'wanbond')).out).toBe(
      "wanbond.main.enabled='1'\nwanbond.cfg0315b3='link'\nwanbond.cfg0315b3.device='eth2'\nwanbond.wan1.track_ip+='1.1.1.1'\n",
    );
    expect((await uci('show', 'wanbond')).out).toBe(
      "wanbond.main=wanbond\nwanbond.main.enabled='1'\nwanbond.wan1=link\nwanbond.wan1.interface='wan'\nwanbond.wan1.track_ip='1.1.1.1'\nwanbond.@link[1]=link\nwanbond.@link[1].device='eth2'\n",
    );
    expect(await uci('commit', 'wanbond')).toEqual({ out: '', err: '', rc: 0 });
    expect(fs.readFileSync(path.join(conf, 'wanbond'), 'utf8')).toBe(
      "\nconfig wanbond 'main'\n\toption enabled '1'\n\nconfig link 'wan1'\n\toption interface 'wan'\n\tlist track_ip '1.1.1.1'\n\nconfig link\n\toption device 'eth2'\n\n",
    );
    expect(fs.statSync(path.join(conf, 'wanbond')).mode & 0o777).toBe(0o640);
    expect(fs.readFileSync(path.join(save, 'wanbond'), 'utf8')).toBe('');
    expect((await uci('-X', 'show', 'wanbond.@link[1]')).out).toBe(
      "wanbond.cfg0315b3=link\nwanbond.cfg0315b3.device='eth2'\n",
    );
  });

  it('delete, rename, del_list, revert', async () => {
    await uci('add_list', 'wanbond.wan1.ip=a');
    await uci('add_list', 'wanbond.wan1.ip=b');
    await uci('del_list', 'wanbond.wan1.ip=a');
    await uci('rename', 'wanbond.wan1=lte');
    await uci('delete', 'wanbond.main.enabled');
    expect((await uci('export', 'wanbond')).out).toBe(
      "package wanbond\n\nconfig wanbond 'main'\n\nconfig link 'lte'\n\toption interface 'wan'\n\tlist ip 'b'\n\n",
    );
    expect((await uci('revert', 'wanbond.main')).rc).toBe(0);
    expect((await uci('get', 'wanbond.main.enabled')).out).toBe('0\n');
    expect((await uci('revert', 'wanbond')).rc).toBe(0);
    expect((await uci('changes', 'wanbond')).out).toBe('');
    expect((await uci('get', 'wanbond.wan1.interface')).out).toBe('wan\n');
  });

  it('gives uci exit codes and messages', async () => {
    expect(await uci('get', 'wanbond.main.nope')).toEqual({ out: '', err: 'uci: Entry not found\n', rc: 1 });
    expect(await uci('add', 'network', 'device')).toEqual({ out: '', err: 'uci: Entry not found\n', rc: 3 });
    expect(await uci('set', 'wanbond.nosuch.x=1')).toEqual({ out: '', err: 'uci: Invalid argument\n', rc: 1 });
    expect(await uci('set', 'wanbond.main.bad-name=1')).toEqual({ out: '', err: 'uci: Parse error\n', rc: 1 });
    const usage = await uci('frobnicate');
    expect(usage.rc).toBe(255);
    expect(usage.err).toMatch(/^Usage: uci \[<options>\] <command> \[<arguments>\]\n/);
    fs.writeFileSync(path.join(conf, 'broken'), "config t 's'\n\toption a 'x\n");
    expect(await uci('show', 'broken')).toEqual({
      out: '',
      err: "uci: Parse error (EOF with unterminated ') at line 2, byte 13\n",
      rc: 1,
    });
  });

  it('-P saves elsewhere and makes commit a no-op, like uci', async () => {
    const other = path.join(dir, 'other');
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: () => {}, readStdin: async () => '' };
    expect(await main(['uci', '-c', conf, '-P', other, 'set', 'wanbond.main.enabled=1'], io)).toBe(0);
    expect(await main(['uci', '-c', conf, '-P', other, 'commit', 'wanbond'], io)).toBe(0);
    expect(fs.readFileSync(path.join(conf, 'wanbond'), 'utf8')).toContain('# comment');
    expect(await main(['uci', '-c', conf, '-P', other, 'get', 'wanbond.main.enabled'], io)).toBe(0);
    expect(out).toBe('1\n');
  });

  it('--help prints its usage', async () => {
    let out = '';
    const rc = await main(['uci', '--help'], {
      stdout: (t) => (out += t),
      stderr: () => {},
      readStdin: async () => '',
    });
    expect(rc).toBe(0);
    expect(out).toMatch(/^usage: wanbond uci/);
  });

  it('the library context sees the CLI changes and the CLI sees the library changes', async () => {
    await uci('set', 'wanbond.main.server=vps.example.net');
    const ctx = new UciContext({ confdir: conf, savedir: save, conf2dir: null });
    const p = ctx.load('wanbond');
    expect(p.section('main')!.options.find((o) => o.name === 'server')!.value).toBe('vps.example.net');
    const committed = ctx.commit(p);
    expect(committed.savedDelta).toEqual([]);
    expect(parseUci(fs.readFileSync(path.join(conf, 'wanbond')), { name: 'wanbond' }).section('main')!.options).toEqual(
      [
        { name: 'enabled', value: '0', line: 3 },
        { name: 'server', value: 'vps.example.net', line: 4 },
      ],
    );
  });
});
