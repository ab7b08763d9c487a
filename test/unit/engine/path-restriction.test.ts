/**
 * The pieces of path restriction on their own: masks, the scheduler honouring them, the classifier binding
 * policies' `use_link` names to path masks, and the PIN frame's bytes.
 */
import { describe, expect, it } from 'vitest';
import { compileClassifier } from '../../../src/wanbond/engine/classify.js';
import type { PolicyConfig, RuleConfig } from '../../../src/wanbond/engine/classify-types.js';
import { FRAME_PIN, PIN_BYTES, PIN_NONE, writePin } from '../../../src/wanbond/engine/frames.js';
import { Path } from '../../../src/wanbond/engine/path.js';
import { ALL_PATHS, allows, pathMask, pickPaths, pickResendPath } from '../../../src/wanbond/engine/scheduler.js';
import { packet } from '../classify/packets.js';

function upPaths(n: number): Path[] {
  return Array.from({ length: n }, (_, i) => {
    const p = new Path(i, `wan${i}`, 0);
    p.setState('up', 0);
    p.srtt = 10 + 10 * i;
    return p;
  });
}

describe('path masks', () => {
  it('name path ids 0..31; ALL_PATHS allows any id, even above 31', () => {
    const m = pathMask([0, 3, 31, 40, -1, 2.5]);
    expect([0, 1, 3, 31, 40].map((id) => allows(m, id))).toEqual([true, false, true, true, false]);
    expect(allows(ALL_PATHS, 200)).toBe(true);
    expect(pathMask([])).toBe(0);
    expect(allows(0, 0)).toBe(false);
  });
});

describe('scheduler with a mask', () => {
  const out: Path[] = [];

  it('bond and redundant pick only allowed paths; failover keeps its own sticky path within the mask', () => {
    const paths = upPaths(3);
    const sticky = { failover: undefined as Path | undefined };
    expect(pickPaths(paths, 'bond', 1200, -1, sticky, out, 0, pathMask([2]))).toBe(1);
    expect(out[0]!.id).toBe(2);
    expect(pickPaths(paths, 'redundant', 1200, -1, sticky, out, 0, pathMask([1, 2]))).toBe(2);
    expect(
      out
        .slice(0, 2)
        .map((p) => p.id)
        .sort(),
    ).toEqual([1, 2]);
    // One allowed path: redundant sends one copy.
    expect(pickPaths(paths, 'redundant', 1200, -1, sticky, out, 0, pathMask([1]))).toBe(1);
    // Failover: the lowest-RTT path of the mask (path 0 is lower but not allowed).
    expect(pickPaths(paths, 'failover', 1200, -1, sticky, out, 0, pathMask([1, 2]))).toBe(1);
    expect(out[0]!.id).toBe(1);
    // A sticky path outside a later mask is left for one inside it.
    sticky.failover = paths[0];
    expect(pickPaths(paths, 'failover', 1200, -1, sticky, out, 0, pathMask([2]))).toBe(1);
    expect(out[0]!.id).toBe(2);
    // No allowed path can send: nothing (the session decides whether to fall back).
    expect(pickPaths(paths, 'bond', 1200, -1, sticky, out, 0, 0)).toBe(0);
  });

  it('a re-send stays in its mask, and takes the losing path only when it is the only allowed one', () => {
    const paths = upPaths(3);
    expect(pickResendPath(paths, 1200, 1, 0, pathMask([1, 2]))?.id).toBe(2);
    expect(pickResendPath(paths, 1200, 1, 0, pathMask([1]))?.id).toBe(1);
    expect(pickResendPath(paths, 1200, 1, 0)?.id).toBe(0);
  });
});

describe('classifier bound to path ids (use_link)', () => {
  const policies: PolicyConfig[] = [
    { name: 'stream', mode: 'redundant', useLinks: ['wan1', 'wan2'] },
    { name: 'metered', mode: 'bond', useLinks: ['gone'] },
    { name: 'everywhere', mode: 'failover', useLinks: ['wan0', 'wan1', 'wan2'] },
    { name: 'bulk', mode: 'bond', useLinks: [] },
  ];
  const rules: RuleConfig[] = [
    { name: 'rtmp', proto: 'tcp', destPort: '1935', usePolicy: 'stream' },
    { name: 'sim', destIp: '203.0.113.0/24', usePolicy: 'metered' },
    { name: 'voip', proto: 'udp', destPort: '5060', usePolicy: 'everywhere' },
    { name: 'nas', srcIp: '192.168.1.50', usePolicy: 'bulk' },
  ];
  const c = compileClassifier({ rules, policies, mode: 'bond' });
  const route = c.route(
    new Map([
      ['wan0', 0],
      ['wan1', 1],
      ['wan2', 2],
    ]),
  );
  const at = (o: Parameters<typeof packet>[0]) => route(packet(o));

  it('gives a policy with use_link its mode and the mask of its links, the same frozen object every time', () => {
    const a = at({ src: '192.168.1.10', dst: '198.51.100.7', proto: 6, sport: 40000, dport: 1935 });
    expect(a).toEqual({ mode: 'redundant', paths: pathMask([1, 2]) });
    expect(Object.isFrozen(a)).toBe(true);
    expect(at({ src: '192.168.1.11', dst: '198.51.100.9', proto: 6, sport: 40001, dport: 1935 })).toBe(a);
  });

  it('bare modes where nothing is restricted: no use_link, every link listed, no rule matched', () => {
    expect(at({ src: '192.168.1.50', dst: '198.51.100.7', proto: 6, sport: 1, dport: 80 })).toBe('bond');
    expect(at({ src: '192.168.1.10', dst: '198.51.100.7', proto: 17, sport: 1, dport: 5060 })).toBe('failover');
    expect(at({ src: '192.168.1.10', dst: '198.51.100.7', proto: 6, sport: 1, dport: 80 })).toBe('bond');
  });

  it('links the config does not have (any more) leave an empty mask: the engine falls back to any path', () => {
    expect(at({ src: '192.168.1.10', dst: '203.0.113.5', proto: 6, sport: 1, dport: 443 })).toEqual({
      mode: 'bond',
      paths: 0,
    });
  });
});

describe('PIN frame', () => {
  it('type, generation, path id (0xff: none), lifetime ms u16 LE', () => {
    const buf = Buffer.alloc(8);
    expect(writePin(buf, 1, 258, 3, 3000)).toBe(1 + PIN_BYTES);
    expect([...buf.subarray(1, 6)]).toEqual([FRAME_PIN, 2, 3, 3000 & 0xff, 3000 >> 8]);
    writePin(buf, 0, 7, PIN_NONE, 999_999);
    expect([...buf.subarray(0, 5)]).toEqual([0x05, 7, 0xff, 0xff, 0xff]);
  });
});
