/**
 * Reed-Solomon error correction over GF(2^8) as QR codes use it (ISO/IEC 18004 §7.5.2): field polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11d), generator polynomial with roots α^0 .. α^(n-1).
 */

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  // Doubled table: a product's log sum (< 510) indexes it without a modulo.
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

/** Coefficients of prod (x - α^i), i < degree, highest power first, leading 1 left out. */
export function rsGenerator(degree: number): Uint8Array {
  // poly[0] is the coefficient of x^(degree-1) once done; starts as the polynomial "1".
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array<number>(poly.length + 1).fill(0);
    for (let j = 0; j < poly.length; j++) {
      next[j]! ^= poly[j]!;
      next[j + 1]! ^= gfMul(poly[j]!, EXP[i]!);
    }
    poly = next;
  }
  return Uint8Array.from(poly.slice(1));
}

/** The `degree` error correction codewords for one block of data codewords (polynomial remainder). */
export function rsRemainder(data: Uint8Array, degree: number): Uint8Array {
  const gen = rsGenerator(degree);
  const rem = new Uint8Array(degree);
  for (const byte of data) {
    const factor = byte ^ rem[0]!;
    rem.copyWithin(0, 1);
    rem[degree - 1] = 0;
    for (let i = 0; i < degree; i++) rem[i]! ^= gfMul(gen[i]!, factor);
  }
  return rem;
}
