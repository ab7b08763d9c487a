import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lab } from '../../../src/wanbond/cli/lab.js';
import { DEMO_SCENARIO } from '../../../src/wanbond/lab/demo.js';
import { parseScenario } from '../../../src/wanbond/lab/scenario.js';
import { parseTrace, summarizeTrace } from '../../../src/wanbond/lab/trace-gen.js';

async function runLab(args: string[]) {
  let out = '';
  let err = '';
  const code = await lab.run(args, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => '',
  });
  return { code, out, err };
}

describe('wanbond lab (CLI)', () => {
  it('prints a generated trace, the same for the same seed', async () => {
    const a = await runLab(['trace', '--carrier', 'B', '--direction', 'up', '--seed', '3', '--duration', '5']);
    const b = await runLab(['trace', '--carrier', 'B', '--direction', 'up', '--seed', '3', '--duration', '5']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(summarizeTrace(parseTrace(a.out)).meanMbit).toBeCloseTo(7, 0);
  });

  it('reports scenario errors with file:line before touching the system', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-lab-cli-'));
    const file = join(dir, 'bad.ini');
    writeFileSync(file, '[link wan1]\nrate = 10\ndelay = soon\n');
    const r = await runLab(['up', '--scenario', file, '--prefix', 'wbclitest']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:3: delay wants milliseconds like 15 or 15ms, got 'soon'`);
    const missing = await runLab(['up', '--scenario', join(dir, 'nope.ini')]);
    expect(missing.err).toMatch(/cannot read scenario .*nope\.ini/);
  });

  it('explains usage errors', async () => {
    expect((await runLab([])).code).toBe(1);
    const unknown = await runLab(['explode']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("unknown lab command 'explode'");
    expect((await runLab(['up'])).err).toContain('lab up needs --scenario FILE');
    expect((await runLab(['down', '--prefix', 'WB!'])).err).toContain("prefix 'WB!'");
    expect((await runLab(['trace', '--carrier', 'Z'])).err).toContain('--carrier must be one of A, B, C');
    expect((await runLab(['--help'])).out).toContain('wanbond lab COMMAND');
  });

  it('ships a valid demo scenario with three cellular links', () => {
    const s = parseScenario(DEMO_SCENARIO, '<demo>');
    expect(s.links.map((l) => l.cellular?.carrier)).toEqual(['A', 'B', 'C']);
  });
});
