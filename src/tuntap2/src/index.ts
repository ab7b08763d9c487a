export { type RawBatch, TunDevice, type TunStats } from './device.js';
export { TunError } from './errors.js';
export { ADDON_DIR_ENV, ADDON_FILE, addonCandidates, type LoadOptions, loadAddon } from './loader.js';
export type { NativeAddon, NativeErrnoError, NativeStats, NativeTun } from './native.js';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_BUFFER_SIZE,
  MAX_BATCH_SIZE,
  MAX_BUFFER_SIZE,
  MAX_NAME_BYTES,
  MIN_BUFFER_SIZE,
  resolveOpenOptions,
  type TunOpenOptions,
  validateName,
} from './options.js';
