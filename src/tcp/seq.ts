/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). Nothing else in
 * synfin compares raw sequence numbers: a connection that crosses 2^32 must
 * read exactly like one that does not.
 */

const MOD = 0x1_0000_0000;
const HALF = 0x8000_0000;

/** `a + n` modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (((a + n) % MOD) + MOD) % MOD;
}

/** Signed distance from `b` to `a` (positive when `a` is after `b`), in (-2^31, 2^31]. */
export function seqDiff(a: number, b: number): number {
  const d = (a - b + MOD) % MOD;
  return d > HALF ? d - MOD : d;
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
