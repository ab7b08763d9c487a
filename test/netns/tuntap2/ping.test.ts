import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TunDevice as Tun, TunDevice, TunError } from '../../../src/tuntap2/src/index.js';
import { inNs, isRoot, NamespaceSet, sh } from '../../../src/wanbond/lab/netns.js';
import { buildAddon } from '../../unit/tuntap2/build-addon.js';
import { echoReply, isIcmpEcho, parseEcho } from './ipv4.js';

// The TUN is created in this process's namespace and then moved into the test's namespace with `ip link set
// netns`: the fd keeps working wherever the interface lives, so the wrapper under test runs in-process.
describe.skipIf(!isRoot())('tuntap2 in a namespace: ping through a TUN (needs root)', () => {
  const set = new NamespaceSet();
  let ns = '';
  beforeAll(async () => {
    process.env.WANBOND_ADDON_DIR = buildAddon().replace(/\/tuntap2\.node$/, '');
    ns = await set.add('t');
  });
  afterAll(() => {
    set.dispose();
  });

  async function tunInNs(suffix: string, addr: string): Promise<Tun> {
    const tun = TunDevice.open({ name: `${set.prefix}${suffix}` });
    try {
      await sh('ip', ['link', 'set', tun.name, 'netns', ns]);
      await inNs(ns, 'ip', ['addr', 'add', addr, 'dev', tun.name]);
      await inNs(ns, 'ip', ['link', 'set', tun.name, 'up']);
    } catch (err) {
      tun.close();
      throw err;
    }
    return tun;
  }

  it('reads the echo request with correct bytes and answers it so ping succeeds', async () => {
    const tun = await tunInNs('a', '10.77.0.1/24');
    const requests: Uint8Array[] = [];
    try {
      tun.onPackets((packets) => {
        for (const p of packets) {
          if (!isIcmpEcho(p)) continue; // IPv6 router solicitations and the like
          requests.push(Uint8Array.from(p)); // the view dies when this callback returns
          expect(tun.write(echoReply(p, 77))).toBe(true);
        }
      });
      const out = await inNs(ns, 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', '10.77.0.2']);
      expect(out).toContain('3 packets transmitted, 3 received');
      expect(out).toMatch(/64 bytes from 10\.77\.0\.2: icmp_seq=1 ttl=77/);
    } finally {
      tun.close();
    }
    expect(requests).toHaveLength(3);
    const parsed = requests.map(parseEcho);
    parsed.forEach((r, i) => {
      expect(r).toMatchObject({
        src: '10.77.0.1',
        dst: '10.77.0.2',
        ihl: 20,
        totalLength: 84,
        protocol: 1,
        ipChecksumOk: true,
        type: 8,
        code: 0,
        seq: i + 1,
        icmpChecksumOk: true,
        payloadLength: 56,
      });
      expect(r.ttl).toBe(64);
      expect(r.id).toBe(parsed[0]!.id);
    });
    expect(tun.stats()).toMatchObject({ txPackets: 3, rxTruncated: 0 });
    expect(tun.stats().rxPackets).toBeGreaterThanOrEqual(3);
  });

  it('answers a burst through onBatch + writeBatch, and close() removes the interface', async () => {
    const tun = await tunInNs('b', '10.77.1.1/24');
    let seen = 0;
    try {
      tun.onBatch((count, raw) => {
        const replies: Uint8Array[] = [];
        for (let i = 0; i < count; i++) {
          const p = raw.bytes.subarray(i * raw.stride, i * raw.stride + raw.lengths[i]!);
          if (isIcmpEcho(p)) replies.push(echoReply(p, 78));
        }
        seen += replies.length;
        expect(tun.writeBatch(replies)).toBe(replies.length);
      });
      // -f floods (root only): many requests back to back, so batches hold more than one packet at times.
      const out = await inNs(ns, 'ping', ['-n', '-f', '-c', '200', '-W', '2', '10.77.1.2']);
      expect(out).toContain('200 packets transmitted, 200 received');
    } finally {
      tun.close();
      tun.close(); // idempotent
    }
    expect(seen).toBe(200);
    expect(() => tun.write(new Uint8Array(20))).toThrow(/TUN device is closed: EBADF/);
    await expect(inNs(ns, 'ip', ['link', 'show', `${set.prefix}b`])).rejects.toThrow(/does not exist/);
  });

  it('stops a batch at a packet the kernel refuses and says how many went out', async () => {
    const tun = await tunInNs('c', '10.77.2.1/24');
    try {
      const good = echoReply(
        Uint8Array.from([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 77, 2, 1, 10, 77, 2, 2, 8, 0, 0, 0, 0, 1, 0, 1]),
        64,
      );
      const bad = Uint8Array.from([0x10, 1, 2, 3]);
      expect(tun.writeBatch([good, good])).toBe(2);
      expect(() => tun.writeBatch([good, bad, good])).toThrow(
        expect.objectContaining({ name: 'TunError', code: 'EINVAL', written: 1 }),
      );
      expect(tun.stats().txPackets).toBe(3);
    } finally {
      tun.close();
    }
  });

  it('reports a deleted interface once through onError and stops reading', async () => {
    const tun = await tunInNs('d', '10.77.3.1/24');
    try {
      const failed = new Promise<TunError>((resolve) => tun.onError(resolve));
      tun.onPackets(() => {});
      await inNs(ns, 'ip', ['link', 'del', tun.name]);
      const err = await failed;
      expect(err).toBeInstanceOf(TunError);
      expect(err.message).toMatch(/^TUN read failed: EBADFD? \u2014 the interface was deleted or its queue detached$/);
    } finally {
      tun.close();
    }
  });
});
