import { describe, expect, it } from 'vitest';
import { checkPrefix, isLabNamespace, linkAddressing } from '../../../src/wanbond/lab/addressing.js';

describe('lab names and addresses', () => {
  it('matches only its own namespaces, never a longer prefix', () => {
    expect(isLabNamespace('wb', 'wb-rt')).toBe(true);
    expect(isLabNamespace('wb', 'wb-m3')).toBe(true);
    expect(isLabNamespace('wb', 'wb3fa2c1-rt')).toBe(false);
    expect(isLabNamespace('wb', 'wbfoo')).toBe(false);
    expect(isLabNamespace('wb', 'wb-other')).toBe(false);
  });

  it('gives each WAN its own modem subnet, table and names within 15 bytes', () => {
    const a = linkAddressing('wb3fa2c1x', 3);
    expect(a).toMatchObject({ source: '192.168.13.2', gateway: '192.168.13.1', table: 103, modemNs: 'wb3fa2c1x-m3' });
    for (const name of [a.device, a.modemTun, a.coreTun]) expect(name.length).toBeLessThanOrEqual(15);
  });

  it('rejects prefixes that would not fit or not match safely', () => {
    expect(() => checkPrefix('wb-x')).toThrow(/prefix 'wb-x'/);
    expect(() => checkPrefix('wb12345678')).toThrow(/1-9 lowercase/);
    expect(checkPrefix('wb')).toBe('wb');
  });
});
