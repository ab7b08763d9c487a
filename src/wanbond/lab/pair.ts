/**
 * The smallest emulated link: two namespaces A and B, a TUN in each, 10.99.0.1 <-> 10.99.0.2 through one emulator.
 * Used by the emulator's own tests and the accuracy bench, where the full lab would only add noise.
 */
import { type EmulatorOptions, LinkEmulator } from './emulator.js';
import { addNamespace, deleteNamespaceSync, sh } from './netns.js';

export const PAIR_A = '10.99.0.1';
export const PAIR_B = '10.99.0.2';

export interface EmulatorPair {
  nsA: string;
  nsB: string;
  emu: LinkEmulator;
  dispose(): Promise<void>;
}

export async function createEmulatorPair(
  prefix: string,
  commands: string[],
  extra: Partial<EmulatorOptions> = {},
): Promise<EmulatorPair> {
  const nsA = `${prefix}-a`;
  const nsB = `${prefix}-b`;
  const tun = `${prefix}-t`;
  const names = [nsA, nsB];
  try {
    for (const [ns, local, peer] of [
      [nsA, PAIR_A, PAIR_B],
      [nsB, PAIR_B, PAIR_A],
    ] as const) {
      await addNamespace(ns);
      await sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
      await sh('ip', ['-n', ns, '-batch', '-'], {
        input: `tuntap add dev ${tun} mode tun\naddr add ${local} peer ${peer} dev ${tun}\nlink set ${tun} up\n`,
      });
    }
    const emu = await LinkEmulator.start({ a: `${nsA}:${tun}`, b: `${nsB}:${tun}`, commands, ...extra });
    return {
      nsA,
      nsB,
      emu,
      async dispose() {
        await emu.stop();
        for (const n of names) deleteNamespaceSync(n);
      },
    };
  } catch (err) {
    for (const n of names) deleteNamespaceSync(n);
    throw err;
  }
}
