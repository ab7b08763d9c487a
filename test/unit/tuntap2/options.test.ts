import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_BUFFER_SIZE,
  resolveOpenOptions,
  TunDevice,
  validateName,
} from '../../../src/tuntap2/src/index.js';

describe('tuntap2 open options', () => {
  it('fills in defaults', () => {
    expect(resolveOpenOptions()).toEqual({
      name: '',
      multiQueue: false,
      batchSize: DEFAULT_BATCH_SIZE,
      bufferSize: DEFAULT_BUFFER_SIZE,
    });
    expect(resolveOpenOptions({ name: 'wb0', multiQueue: true, batchSize: 1, bufferSize: 65536 })).toEqual({
      name: 'wb0',
      multiQueue: true,
      batchSize: 1,
      bufferSize: 65536,
    });
  });

  it('accepts names the kernel and ip accept, including one %d', () => {
    for (const name of ['wb0', 'tun%d', 'wb-lan.1_x', 'a', '123456789012345', 'wb%dx']) {
      expect(validateName(name)).toBe(name);
    }
    expect(validateName(undefined)).toBe('');
    expect(validateName('')).toBe('');
  });

  it('rejects names over 15 bytes, counting UTF-8 bytes', () => {
    expect(() => validateName('1234567890123456')).toThrow(/is 16 bytes long; Linux allows at most 15/);
    expect(() => validateName('wbéééééééé')).toThrow(RangeError);
  });

  it('rejects characters that break the kernel or ip', () => {
    for (const bad of ['wb/0', 'wb 0', 'wb:0', '.', '..', 'wb%d%d', 'wb%s', 'wb\n', 'wbé']) {
      expect(() => validateName(bad), bad).toThrow(/not valid|bytes long/);
    }
    expect(() => validateName(5)).toThrow(/TUN name must be a string, got number/);
  });

  it('checks batchSize and bufferSize as integers in range', () => {
    expect(() => resolveOpenOptions({ batchSize: 0 })).toThrow('batchSize must be in 1..1024, got 0');
    expect(() => resolveOpenOptions({ batchSize: 1025 })).toThrow(RangeError);
    expect(() => resolveOpenOptions({ batchSize: 1.5 })).toThrow('batchSize must be an integer, got 1.5');
    expect(() => resolveOpenOptions({ batchSize: '64' })).toThrow('batchSize must be an integer, got string');
    expect(() => resolveOpenOptions({ bufferSize: 67 })).toThrow('bufferSize must be in 68..65536, got 67');
    expect(() => resolveOpenOptions({ bufferSize: 65537 })).toThrow(RangeError);
    expect(() => resolveOpenOptions({ bufferSize: Number.NaN })).toThrow(TypeError);
  });

  it('rejects unknown keys, a non-boolean multiQueue and a non-object', () => {
    expect(() => resolveOpenOptions({ batchsize: 8 })).toThrow("unknown TunDevice.open() option 'batchsize'");
    expect(() => resolveOpenOptions({ multiQueue: 1 })).toThrow('multiQueue must be a boolean, got number');
    expect(() => resolveOpenOptions(null)).toThrow('options must be an object');
    expect(() => resolveOpenOptions([])).toThrow('options must be an object');
  });

  it('TunDevice.open validates before touching the kernel', () => {
    expect(() => TunDevice.open({ name: 'x'.repeat(16) })).toThrow(RangeError);
    expect(() => TunDevice.open({ batchSize: -1 })).toThrow(RangeError);
  });

  it('property: every short name from the safe alphabet passes unchanged, every longer one fails', () => {
    const safe = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.'.split(''));
    fc.assert(
      fc.property(fc.array(safe, { minLength: 1, maxLength: 30 }), (chars) => {
        const name = chars.join('');
        if (name === '.' || name === '..') {
          expect(() => validateName(name)).toThrow();
        } else if (name.length <= 15) {
          expect(validateName(name)).toBe(name);
        } else {
          expect(() => validateName(name)).toThrow(/at most 15/);
        }
      }),
    );
  });
});
