import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TunDevice, TunError } from '../../../src/tuntap2/src/index.js';
import { isRoot, shSync, uniquePrefix } from '../../../src/wanbond/lab/netns.js';
import { buildAddon } from '../../unit/tuntap2/build-addon.js';

// Real devices in the test process's namespace, each named wb<tag>... and closed (so gone) at the end.
describe.skipIf(!isRoot())('tuntap2 device life cycle (needs root)', () => {
  const prefix = uniquePrefix();
  const open: TunDevice[] = [];
  let addonPath = '';
  beforeAll(() => {
    addonPath = buildAddon();
    process.env.WANBOND_ADDON_DIR = addonPath.replace(/\/tuntap2\.node$/, '');
  });
  afterAll(() => {
    for (const t of open) t.close();
    const left = shSync('ip', ['-o', 'link', 'show'])
      .split('\n')
      .filter((l) => l.includes(prefix));
    expect(left).toEqual([]);
  });
  const track = (t: TunDevice) => {
    open.push(t);
    return t;
  };

  it('returns the kernel-chosen name for a %d pattern and a real fd', () => {
    const tun = track(TunDevice.open({ name: `${prefix}n%d`, batchSize: 8, bufferSize: 1600 }));
    expect(tun.name).toMatch(new RegExp(`^${prefix}n\\d+$`));
    expect(tun.fd).toBeGreaterThan(2);
    expect(tun.batchSize).toBe(8);
    expect(tun.bufferSize).toBe(1600);
    const link = shSync('ip', ['-d', 'link', 'show', tun.name]);
    expect(link).toContain('tun type tun pi off');
    tun.close();
    expect(tun.closed).toBe(true);
    expect(() => shSync('ip', ['link', 'show', tun.name])).toThrow();
  });

  it('refuses a second open of a single-queue device with EBUSY', () => {
    const name = `${prefix}b`;
    track(TunDevice.open({ name }));
    let err: unknown;
    try {
      TunDevice.open({ name });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TunError);
    expect(err).toMatchObject({ code: 'EBUSY', errno: 16 });
    expect((err as Error).message).toBe('TUN open failed: EBUSY \u2014 the device is already open by another process');
  });

  it('opens several queues of a multi-queue device', () => {
    const name = `${prefix}m`;
    const q1 = track(TunDevice.open({ name, multiQueue: true }));
    const q2 = track(TunDevice.open({ name, multiQueue: true }));
    expect(q2.name).toBe(q1.name);
    expect(q2.fd).not.toBe(q1.fd);
    expect(shSync('ip', ['-d', 'link', 'show', name])).toContain('multi_queue');
  });

  it('turns a write on a down interface into TunError EIO with a hint', () => {
    const tun = track(TunDevice.open({ name: `${prefix}d` }));
    const packet = Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    expect(() => tun.write(packet)).toThrow(
      expect.objectContaining({
        name: 'TunError',
        code: 'EIO',
        errno: 5,
        message: 'TUN write failed: EIO \u2014 the interface is down (ip link set <name> up)',
      }),
    );
    expect(() => tun.writeBatch([packet], 2)).toThrow('count must be an integer in 0..1');
    expect(tun.writeBatch([packet], 0)).toBe(0);
    expect(() => tun.write('x' as unknown as Uint8Array)).toThrow('a packet must be a Uint8Array (or Buffer)');
  });

  it('explains EPERM when not privileged', () => {
    const script = `try { require(${JSON.stringify(addonPath)}).open('${prefix}p', false, 64, 2048); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, errno: e.errno })); }`;
    const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(r.status).toBe(0);
    // /dev/net/tun is 0666 on most systems (then TUNSETIFF says EPERM) and 0600 on some (then open says EACCES).
    const out = JSON.parse(r.stdout) as { message: string; code: string; errno: number };
    expect(['EPERM', 'EACCES']).toContain(out.code);
    expect(out.errno).toBe(out.code === 'EPERM' ? 1 : 13);
    expect(out.message).toBe(`TUN open failed: ${out.code} \u2014 are you root / is kmod-tun loaded?`);
  });
});
