/**
 * Error correction layout per version, from ISO/IEC 18004:2015 Table 9, for the two levels we encode with.
 * Index = version - 1. The total codeword count is not tabled: it follows from the module layout (see qr.ts).
 */

export type EcLevel = 'L' | 'M';

/** Error correction codewords in each block. */
export const EC_CODEWORDS_PER_BLOCK: Record<EcLevel, readonly number[]> = {
  L: [
    7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  ],
  M: [
    10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  ],
};

/** Number of error correction blocks the codewords are split into. */
export const EC_BLOCKS: Record<EcLevel, readonly number[]> = {
  L: [
    1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19,
    20, 21, 22, 24, 25,
  ],
  M: [
    1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33,
    35, 37, 38, 40, 43, 45, 47, 49,
  ],
};

/** The two format bits of each level (§7.9.1): L = 01, M = 00. */
export const EC_FORMAT_BITS: Record<EcLevel, number> = { L: 1, M: 0 };

export const MIN_VERSION = 1;
export const MAX_VERSION = 40;
