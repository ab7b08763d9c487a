import { describe, expect, it } from 'vitest';
import { addressForFamily, resolveServer } from '../../../src/wanbond/io/resolve.js';

describe('server name resolution', () => {
  it('passes literal addresses through without a lookup', async () => {
    expect(await resolveServer('198.51.100.7')).toEqual({
      host: '198.51.100.7',
      addresses: [{ address: '198.51.100.7', family: 4 }],
    });
    const v6 = await resolveServer('2001:db8::1');
    expect(addressForFamily(v6, 6)).toBe('2001:db8::1');
    expect(addressForFamily(v6, 4)).toBeUndefined();
  });

  it('looks names up (hosts file) and gives each link an address of its own family', async () => {
    const local = await resolveServer('localhost');
    expect(local.addresses.length).toBeGreaterThan(0);
    expect(addressForFamily(local, undefined)).toBe(local.addresses[0]?.address);
    if (local.addresses.some((a) => a.family === 4)) expect(addressForFamily(local, 4)).toMatch(/^127\./);
  });
});
