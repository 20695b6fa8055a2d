/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). Nothing else in
 * synfin compares raw sequence numbers: a connection that crosses 2^32 must
 * read exactly like one that does not.
 */

const HALF = 0x8000_0000;

/** `a + n` modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  // ToUint32 is exactly "modulo 2^32" for any integer a double holds, and
  // needs no floating-point remainder (this runs several times per segment).
  return (a + n) >>> 0;
}

/** Signed distance from `b` to `a` (positive when `a` is after `b`), in (-2^31, 2^31]. */
export function seqDiff(a: number, b: number): number {
  // ToInt32 takes a - b modulo 2^32 into [-2^31, 2^31); the one distance it
  // reads the other way, exactly half a space, is +2^31 in this module's range.
  const d = (a - b) | 0;
  return d === -HALF ? HALF : d;
}

/** `a < b` in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/** `a <= b` in sequence space. */
export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

/** `a > b` in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** `a >= b` in sequence space. */
export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return seqGe(a, b) ? a : b;
}

/** `lo <= x < hi` in sequence space (RFC 9293's window test). */
export function seqInWindow(x: number, lo: number, size: number): boolean {
  const d = seqDiff(x, lo);
  return d >= 0 && d < size;
}
