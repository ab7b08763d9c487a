/**
 * `tunnel.public_address` of the router's status reply: the VPS address the bonded traffic leaves from, which the
 * router knows as the server address its links dial. LuCI's Status tab shows it next to the tunnel address.
 */
import { describe, expect, it } from 'vitest';
import type { LinkConfig } from '../../../src/wanbond/config/types.js';
import { buildStatus } from '../../../src/wanbond/control/index.js';
import { routerProvider } from '../../../src/wanbond/control/router-provider.js';
import type { SessionStats } from '../../../src/wanbond/engine/api.js';

const links: LinkConfig[] = [{ name: 'wan1', interface: 'wan1', enabled: true, backup: false }];
const stats = (): SessionStats => ({
  state: 'established',
  establishedAt: 1000,
  paths: [],
  reorderDepth: 0,
  resentPackets: 0,
  duplicatePackets: 0,
  txBytes: 0,
  rxBytes: 0,
});
const base = { stats: stats(), links, server: 'vps.example.net', port: 5555, now: 5000, wallNow: 1_800_000_000_000 };

describe('tunnel.public_address', () => {
  it('is the server address the links dial, IPv4 first whatever order the resolver gave', () => {
    expect(buildStatus({ ...base, serverAddresses: ['203.0.113.5'] }).tunnel.public_address).toBe('203.0.113.5');
    expect(buildStatus({ ...base, serverAddresses: ['2001:db8::5', '203.0.113.5'] }).tunnel.public_address).toBe(
      '203.0.113.5',
    );
    expect(buildStatus({ ...base, serverAddresses: ['2001:db8::5'] }).tunnel.public_address).toBe('2001:db8::5');
  });

  it('is left out while the server name has not resolved (no guess)', () => {
    expect(buildStatus({ ...base, serverAddresses: [] }).tunnel).not.toHaveProperty('public_address');
    expect(buildStatus(base).tunnel).not.toHaveProperty('public_address');
  });

  it('reaches the control reply from what the router daemon reports', async () => {
    const provider = routerProvider({
      status: () => ({ ...base, serverAddresses: ['198.51.100.7'], tunnel: { addresses: ['10.255.0.2/24'] } }),
      reload: async () => ({ ok: true }),
      policyConfigs: () => [],
      secrets: () => [],
      publicKey: () => undefined,
    });
    const reply = await provider.status();
    expect(reply.tunnel).toMatchObject({ public_address: '198.51.100.7', address: '10.255.0.2/24' });
  });
});
