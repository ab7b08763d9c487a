import { encodeBytes } from './bytes.js';

/**
 * libuci's id for an anonymous section: `cfg` + `n_section` as at least 2 hex digits + the low 16 bits of a djb2
 * hash. The id is made when the section is allocated, before it has options, so only the type is hashed. C `char`
 * is signed on x86 (where the reference outputs were recorded), so bytes >= 0x80 count as negative.
 */
export function anonymousSectionName(nSection: number, type: string): string {
  let h = 5381;
  for (const b of encodeBytes(type)) {
    h = (h * 33 + (b >= 128 ? b - 256 : b)) >>> 0;
  }
  h &= 0x7fffffff;
  return `cfg${nSection.toString(16).padStart(2, '0')}${(h % 65536).toString(16).padStart(4, '0')}`;
}
