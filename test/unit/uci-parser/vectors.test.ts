import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeBytes, runUciCli } from 'uci-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { shellWords } from './shell-words.js';

/**
 * Every case directory of the shared UCI vectors (recorded from the real `uci`) is replayed through our `uci`
 * re-implementation: show / -X show / export output, exit codes and stderr, and for cases with a script the whole
 * transcript, the delta file before the first commit and the committed file. New directories are picked up as is.
 */
const VECTORS = process.env.UCI_VECTORS ?? path.resolve(__dirname, '../../../../shared/vectors/uci');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-uci-vectors-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

const cases = fs
  .readdirSync(VECTORS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

let counter = 0;
function freshDirs(input: Buffer): { conf: string; save: string } {
  const base = path.join(tmpRoot, String(counter++));
  const conf = path.join(base, 'config');
  const save = path.join(base, 'save');
  fs.mkdirSync(conf, { recursive: true });
  fs.mkdirSync(save, { recursive: true });
  fs.writeFileSync(path.join(conf, 'test'), input);
  return { conf, save };
}

function run(args: string[], conf: string, save: string): { out: Buffer; err: Buffer; rc: number } {
  let out = '';
  let err = '';
  const rc = runUciCli(
    ['uci', '-c', conf, '-t', save, ...args],
    { stdout: (t) => (out += t), stderr: (t) => (err += t) },
    { savedir: save, conf2dir: null },
  );
  return { out: Buffer.from(encodeBytes(out)), err: Buffer.from(encodeBytes(err)), rc };
}

function readOr(file: string, fallback: string): Buffer {
  return fs.existsSync(file) ? fs.readFileSync(file) : Buffer.from(fallback);
}

it('finds the vector directories', () => {
  expect(cases.length).toBeGreaterThanOrEqual(27);
});

describe.each(cases)('uci vector %s', (name) => {
  const dir = path.join(VECTORS, name);
  const input = fs.readFileSync(path.join(dir, 'input'));
  const modes: [string, string[]][] = [
    ['show', ['show', 'test']],
    ['show-X', ['-X', 'show', 'test']],
    ['export', ['export', 'test']],
  ];
  for (const [mode, args] of modes) {
    if (!fs.existsSync(path.join(dir, `${mode}.out`))) continue;
    it(`${mode}`, () => {
      const { conf, save } = freshDirs(input);
      const r = run(args, conf, save);
      expect(r.out.toString('latin1')).toBe(fs.readFileSync(path.join(dir, `${mode}.out`)).toString('latin1'));
      expect(r.err.toString('latin1')).toBe(readOr(path.join(dir, `${mode}.err`), '').toString('latin1'));
      expect(r.rc).toBe(Number(fs.readFileSync(path.join(dir, `${mode}.rc`), 'utf8').trim()));
    });
  }

  if (fs.existsSync(path.join(dir, 'script'))) {
    it('script transcript, delta and committed file', () => {
      const { conf, save } = freshDirs(input);
      const lines = fs
        .readFileSync(path.join(dir, 'script'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
      let transcript = '';
      let delta: Buffer | undefined;
      for (const line of lines) {
        const words = shellWords(line);
        expect(words[0]).toBe('uci');
        if (words[1]?.toLowerCase() === 'commit' && delta === undefined) delta = readOr(path.join(save, 'test'), '');
        const r = run(words.slice(1), conf, save);
        transcript += `$ ${line}\n${r.out.toString('latin1')}`;
        for (const errLine of r.err.toString('latin1').split('\n').slice(0, -1)) transcript += `stderr: ${errLine}\n`;
        transcript += `[rc=${r.rc}]\n`;
      }
      delta ??= readOr(path.join(save, 'test'), '');
      expect(transcript).toBe(fs.readFileSync(path.join(dir, 'script.out')).toString('latin1'));
      if (fs.existsSync(path.join(dir, 'delta')))
        expect(delta.toString('latin1')).toBe(fs.readFileSync(path.join(dir, 'delta')).toString('latin1'));
      if (fs.existsSync(path.join(dir, 'committed')))
        expect(fs.readFileSync(path.join(conf, 'test')).toString('latin1')).toBe(
          fs.readFileSync(path.join(dir, 'committed')).toString('latin1'),
        );
    });
  }
});
