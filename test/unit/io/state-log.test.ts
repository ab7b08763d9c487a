import { describe, expect, it } from 'vitest';
import type { PathStats, SessionStats } from '../../../src/wanbond/engine/api.js';
import { StateLog } from '../../../src/wanbond/io/state-log.js';

function path(pathId: number, state: PathStats['state'], over: Partial<PathStats> = {}): PathStats {
  return {
    pathId,
    name: `wan${pathId}`,
    state,
    rttMs: 12.34,
    loss: 0,
    capacityUpKbit: undefined,
    capacityDownKbit: undefined,
    txBytes: 0,
    rxBytes: 0,
    txPackets: 0,
    rxPackets: 0,
    share: 0,
    lastChange: 0,
    ...over,
  };
}

function session(state: SessionStats['state'], paths: PathStats[]): SessionStats {
  return {
    state,
    establishedAt: undefined,
    paths,
    reorderDepth: 0,
    resentPackets: 0,
    duplicatePackets: 0,
    txBytes: 0,
    rxBytes: 0,
  };
}

function capture() {
  const lines: string[] = [];
  const push = (l: string) => lines.push(l);
  return { lines, log: { debug: push, info: push, warn: push, error: push } };
}

describe('state log', () => {
  it('logs each change once, and nothing for the initial down/idle state', () => {
    const c = capture();
    const s = new StateLog(c.log);
    s.session(session('idle', [path(0, 'down'), path(1, 'down')]));
    expect(c.lines).toEqual([]);
    s.session(session('established', [path(0, 'up'), path(1, 'down')]));
    s.session(session('established', [path(0, 'up'), path(1, 'down')]));
    s.session(session('established', [path(0, 'suspect'), path(1, 'up', { rttMs: undefined })]));
    expect(c.lines).toEqual([
      'session established',
      'path 0 wan0 up, rtt 12.3 ms',
      'path 0 wan0 suspect, rtt 12.3 ms',
      'path 1 wan1 up',
    ]);
  });

  it('names clients and their paths on the server, forgetting removed clients', () => {
    const c = capture();
    const s = new StateLog(c.log);
    const client = (state: SessionStats['state']) => ({
      name: 'home',
      publicKey: 'k',
      tunnelAddress: '10.255.0.2',
      session: session(state, [path(0, 'up', { address: '198.51.100.7:4000', rttMs: undefined })]),
    });
    s.server({ clients: [client('established')] });
    s.server({ clients: [] });
    s.server({ clients: [client('established')] });
    expect(c.lines).toEqual([
      'client home established',
      'client home path 0 wan0 (198.51.100.7:4000) up',
      'client home established',
      'client home path 0 wan0 (198.51.100.7:4000) up',
    ]);
  });
});
