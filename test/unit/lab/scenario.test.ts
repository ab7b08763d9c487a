import { describe, expect, it } from 'vitest';
import { directionCommands, parseScenario, ScenarioError } from '../../../src/wanbond/lab/scenario.js';

const STATIC = `# three links
[lab]
name = S-static
seed = 3
duration = 20s

[link wan1]
rate = 20
delay = 15ms

[link wan2]
up_rate = 10
down_rate = 30
delay = 30
loss = 1%
queue = 100kB

[link wan3]
cellular = B
delay = 50
ge = 5 50
schedule = 10s cut, 15s restore, 20s rate up 5
`;

function errorOf(text: string): string {
  try {
    parseScenario(text, 'x.ini');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files', () => {
  it('parses links, per-direction keys, units and schedules', () => {
    const s = parseScenario(STATIC, 's.ini');
    expect(s.name).toBe('S-static');
    expect(s.seed).toBe(3);
    expect(s.durationS).toBe(20);
    expect(s.congestion).toBeUndefined();
    expect(parseScenario('[lab]\ncongestion = reno\n[link a]\nrate = 1\n').congestion).toBe('reno');
    expect(s.links.map((l) => l.name)).toEqual(['wan1', 'wan2', 'wan3']);
    expect(s.links[0]!.up).toMatchObject({ rateMbit: 20, delayMs: 15, queueMs: 200 });
    expect(s.links[1]!.up.rateMbit).toBe(10);
    expect(s.links[1]!.down.rateMbit).toBe(30);
    expect(s.links[1]!.down).toMatchObject({ lossPct: 1, queueBytes: 100_000, queueMs: undefined });
    expect(s.links[2]!.cellular).toEqual({ carrier: 'B', seed: 303 });
    expect(s.links[2]!.up.ge).toEqual({ p: 5, r: 50, h: 100, k: 0 });
    expect(s.links[2]!.schedule).toEqual([
      { atMs: 10_000, command: 'cut' },
      { atMs: 15_000, command: 'restore' },
      { atMs: 20_000, command: 'rate up 5' },
    ]);
  });

  it('turns a direction into emulator commands', () => {
    const s = parseScenario(STATIC, 's.ini');
    expect(directionCommands('down', s.links[1]!.down)).toEqual([
      'rate down 30',
      'delay down 30',
      'loss down 1',
      'queue-bytes down 100000',
      'queue-ms down 0',
    ]);
    expect(directionCommands('up', s.links[2]!.up, '/tmp/t')[0]).toBe('trace up /tmp/t');
  });

  it('resolves trace files relative to the scenario file', () => {
    const s = parseScenario('[link a]\ntrace = traces/x.up\n', '/etc/lab/s.ini');
    expect(s.links[0]!.up.trace).toBe('/etc/lab/traces/x.up');
  });

  it('reports errors with file and line', () => {
    expect(errorOf('[link wan1]\nrate = fast\n')).toBe(
      "x.ini:2: rate wants Mbit/s like 20, 0.5 or 500kbit, got 'fast'",
    );
    expect(errorOf('[link wan1]\nrate = 5\nspeed = 3\n')).toMatch(/^x\.ini:3: unknown key 'speed' in \[link wan1\]/);
    expect(errorOf('[lab]\nname = x\n')).toBe('x.ini:1: a scenario needs at least one [link NAME] section');
    expect(errorOf('[link a]\nrate = 1\n[link a]\nrate = 2\n')).toBe("x.ini:3: link 'a' twice");
    expect(errorOf('[modem a]\n')).toMatch(/^x\.ini:1: unknown section \[modem\]/);
    expect(errorOf('rate = 1\n')).toBe('x.ini:1: a key before the first [section]');
    expect(errorOf('[link a]\nrate = 1\nrate = 2\n')).toBe("x.ini:3: 'rate' given twice in [link a]");
    expect(errorOf('[link a]\nrate = 1\nloss = 150\n')).toBe('x.ini:3: loss 150 is above 100%');
    expect(errorOf('[link a]\nrate = 1\nqueue = 3 pallets\n')).toMatch(/^x\.ini:3: queue wants a size/);
    expect(errorOf('[link a]\nrate = 1\nschedule = 10s explode\n')).toMatch(/^x\.ini:3: schedule command 'explode'/);
    expect(errorOf('[link a]\ndelay = 5\n')).toMatch(/^x\.ini:1: link 'a' needs a rate, a trace or cellular/);
    expect(errorOf('[link a]\ncellular = Z\n')).toMatch(/^x\.ini:2: unknown carrier 'Z'/);
    expect(errorOf('[link WAN-1]\nrate = 1\n')).toMatch(/^x\.ini:1: link name 'WAN-1' must be/);
    expect(errorOf('[link a]\nrate = 1\n[lab]\ncut_link = b\n')).toBe(
      "x.ini: cut_link 'b' is not a link of this scenario",
    );
    expect(errorOf('[link a\n')).toMatch(/^x\.ini:1: bad section header/);
    expect(errorOf('[lab]\ncongestion = new reno\n[link a]\nrate = 1\n')).toMatch(/^x\.ini:2: congestion wants/);
  });

  it('caps the number of links', () => {
    const text = Array.from({ length: 10 }, (_, i) => `[link l${i}]\nrate = 1\n`).join('');
    expect(errorOf(text)).toBe('x.ini:19: at most 9 links');
  });
});
