/** Capture timestamps as text, at the capture's own precision. */

import type { Precision } from './frame.ts';

const DIGITS: Record<Precision, number> = { s: 0, ms: 3, us: 6, ns: 9 };

/**
 * ISO-8601 UTC, e.g. `2026-11-23T04:44:04.754092Z` for microsecond captures.
 * Built from integer seconds and nanoseconds, so no float rounding can move a
 * digit.
 */
export function isoTime(sec: number, nsec: number, precision: Precision): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  const digits = DIGITS[precision];
  if (digits === 0) return `${base}Z`;
  const frac = String(nsec).padStart(9, '0').slice(0, digits);
  return `${base}.${frac}Z`;
}

/** Seconds as a float (for durations and comparisons; never for printing absolute times). */
export function toSeconds(sec: number, nsec: number): number {
  return sec + nsec / 1e9;
}

/**
 * The exact interval between two timestamps, in seconds. Subtracting whole
 * seconds first keeps nanosecond digits that a float of epoch seconds (about
 * 0.2 µs apart near 2026) cannot hold.
 */
export function interval(fromSec: number, fromNsec: number, toSec: number, toNsec: number): number {
  return (toSec - fromSec) + (toNsec - fromNsec) / 1e9;
}

/** Rounds a duration for output: microseconds, or nanoseconds for ns captures. */
export function roundDuration(seconds: number, precision: Precision): number {
  const scale = precision === 'ns' ? 1e9 : 1e6;
  return Math.round(seconds * scale) / scale;
}
