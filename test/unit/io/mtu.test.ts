import { describe, expect, it } from 'vitest';
import { DATA_OVERHEAD } from '../../../src/wanbond/engine/constants.js';
import { MIN_TUNNEL_MTU, mssFor, tunnelMtu } from '../../../src/wanbond/io/mtu.js';

describe('tunnel MTU', () => {
  it('leaves room for IPv6+UDP outer headers and the engine overhead on the smallest path', () => {
    expect(tunnelMtu([], 32)).toBe(1420);
    expect(tunnelMtu([1500, 1492, 1500], 32)).toBe(1412);
    expect(tunnelMtu([1500], DATA_OVERHEAD)).toBe(1500 - 48 - DATA_OVERHEAD);
  });

  it('an outer packet of a full inner packet never exceeds the smallest path MTU', () => {
    for (const mtus of [[1500], [1500, 1480], [9000, 1500], [1400]]) {
      const inner = tunnelMtu(mtus, DATA_OVERHEAD);
      expect(inner + DATA_OVERHEAD + 48).toBeLessThanOrEqual(Math.min(...mtus));
    }
  });

  it('never goes below what IPv6 requires', () => {
    expect(tunnelMtu([1300], 32)).toBe(MIN_TUNNEL_MTU);
  });

  it('clamps MSS to the inner MTU minus IP and TCP headers', () => {
    expect(mssFor(1420, 4)).toBe(1380);
    expect(mssFor(1420, 6)).toBe(1360);
  });
});
