import { beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon, type NativeTun } from '../../../src/tuntap2/src/index.js';
import { buildAddon } from './build-addon.js';

// The C side checks its own arguments too: a wrong value from JS must be an exception, never a crash.
describe('tuntap2 native argument checks', () => {
  let addon: NativeAddon;
  beforeAll(() => {
    addon = loadAddon({ candidates: [buildAddon()] });
  });

  const notAHandle = [{}, null, undefined, 5, { name: 'wb0', fd: 3 }] as unknown as NativeTun[];

  it('refuses objects it did not make', () => {
    for (const h of notAHandle) {
      expect(() => addon.write(h, new Uint8Array(20))).toThrow('expected a TUN handle returned by open()');
      expect(() => addon.writeBatch(h, [])).toThrow(TypeError);
      expect(() => addon.close(h)).toThrow(TypeError);
      expect(() => addon.stats(h)).toThrow(TypeError);
      expect(() => addon.stop(h)).toThrow(TypeError);
      expect(() =>
        addon.start(
          h,
          () => {},
          () => {},
        ),
      ).toThrow(TypeError);
    }
  });

  it('checks open() arguments before any system call', () => {
    const a = addon as unknown as { open: (...args: unknown[]) => unknown };
    expect(() => a.open()).toThrow('open(name, multiQueue, batchSize, bufferSize)');
    expect(() => a.open(1, false, 64, 2048)).toThrow('name must be a string');
    expect(() => a.open('x'.repeat(16), false, 64, 2048)).toThrow('name must be at most 15 bytes');
    expect(() => a.open('wb0', 'yes', 64, 2048)).toThrow('multiQueue must be a boolean');
    expect(() => a.open('wb0', false, 0, 2048)).toThrow('batchSize must be an integer in 1..1024');
    expect(() => a.open('wb0', false, 64, 1e9)).toThrow('bufferSize must be an integer in 68..65536');
    expect(() => a.open('wb0', false, 2.5, 2048)).toThrow(RangeError);
  });
});
