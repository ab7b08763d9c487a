import { TunDevice } from 'tuntap2';
import type { TunOpener } from './tun-port.js';

/** The real TUN opener (tuntap2 addon). Kept apart so code that only needs the TunPort shape never loads it. */
export const openTunDevice: TunOpener = (name) => TunDevice.open({ name });
