import { describe, expect, it } from 'vitest';
import type { RouterConfig } from '../../../src/wanbond/config/types.js';
import { policyConfigOf, policyLinksOf, policyRoutingWanted } from '../../../src/wanbond/io/router-policy.js';

describe('router policy-routing glue', () => {
  it('--policy-routing auto follows /etc/openwrt_release; on and off override it', () => {
    expect(policyRoutingWanted('auto', true)).toBe(true);
    expect(policyRoutingWanted('auto', false)).toBe(false);
    expect(policyRoutingWanted('on', false)).toBe(true);
    expect(policyRoutingWanted('off', true)).toBe(false);
  });

  it('maps every configured link in order, unknown and disabled ones down, no undefined fields', () => {
    const links = policyLinksOf(
      [
        { name: 'wan1', interface: 'wan1', enabled: true, backup: false },
        { name: 'wan2', device: 'eth2', source: '192.0.2.2', enabled: true, backup: false },
        { name: 'wan3', enabled: false, backup: false },
        { name: 'wan4', enabled: true, backup: true },
      ],
      (name) =>
        name === 'wan1'
          ? { device: 'eth1', source: '198.51.100.7', gateway: '198.51.100.1', up: true }
          : name === 'wan2'
            ? { device: undefined, source: undefined, gateway: undefined, up: false }
            : undefined,
    );
    expect(links).toEqual([
      { name: 'wan1', up: true, device: 'eth1', source: '198.51.100.7', gateway: '198.51.100.1' },
      { name: 'wan2', up: false, device: 'eth2', source: '192.0.2.2' },
      { name: 'wan3', up: false },
      { name: 'wan4', up: false },
    ]);
  });

  it('passes rules, policies, mode and fallback to the planner', () => {
    const config = {
      rules: [{ name: 'r', usePolicy: 'p' }],
      policies: [{ name: 'p', mode: 'redundant', useLinks: ['wan1'] }],
      mode: 'bond',
      fallback: 'block',
    } as unknown as RouterConfig;
    expect(policyConfigOf(config)).toEqual({
      rules: config.rules,
      policies: config.policies,
      mode: 'bond',
      fallback: 'block',
    });
  });
});
