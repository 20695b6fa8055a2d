/** Capture timestamps as text, at the capture's own precision. */

import type { Precision } from './frame.ts';

const DIGITS: Record<Precision, number> = { s: 0, ms: 3, us: 6, ns: 9 };

/**
 * The finest of several captures' precisions, the one output times are
 * written with (microseconds when none says): an analysis's inputs, or the
 * `captures` of a saved document (synfin merge).
 */
export function finestPrecision(precisions: Iterable<Precision | null | undefined>): Precision {
  let best: Precision | undefined;
  for (const p of precisions) if (p !== null && p !== undefined && (best === undefined || DIGITS[p] > DIGITS[best])) best = p;
  return best ?? 'us';
}

/**
 * ISO-8601 UTC, e.g. `2026-11-23T04:44:04.754092Z` for microsecond captures.
 * Built from integer seconds and nanoseconds, so no float rounding can move a
 * digit.
 */
export function isoTime(sec: number, nsec: number, precision: Precision): string {
  const base = civilTime(sec);
  const digits = DIGITS[precision];
  if (digits === 0) return `${base}Z`;
  const frac = String(nsec).padStart(9, '0').slice(0, digits);
  return `${base}.${frac}Z`;
}

/**
 * The nanoseconds isoTime writes of `nsec` at `precision` (it cuts the digits
 * beyond the precision, it does not round them).
 */
export function writtenNsec(nsec: number, precision: Precision): number {
  const unit = 10 ** (9 - DIGITS[precision]);
  return nsec - (nsec % unit);
}

/** Seconds since the epoch whose isoTime has a four-digit year (0000-9999), the form a time is read back from. */
export function hasFourDigitYear(sec: number): boolean {
  return sec >= FIRST_SECOND_OF_YEAR_0 && sec < FIRST_SECOND_OF_YEAR_10000;
}

const FIRST_SECOND_OF_YEAR_0 = -62_167_219_200;
const FIRST_SECOND_OF_YEAR_10000 = 253_402_300_800;

/**
 * `YYYY-MM-DDTHH:MM:SS` for any whole number of seconds since the epoch. A
 * damaged or hostile pcapng can claim a 64-bit timestamp far beyond what
 * Date holds (year 275760), so the calendar is computed here (Hinnant's
 * civil_from_days); years outside 0000-9999 use ISO 8601's expanded form
 * (`+058872-…`), as Date.toISOString does.
 */
function civilTime(sec: number): string {
  const days = Math.floor(sec / 86400);
  const rem = sec - days * 86400;
  // Records are written in bursts from one day: the date is worked out once for it.
  if (days !== lastDays) {
    lastDays = days;
    lastDate = civilDate(days);
  }
  return `${lastDate}T${two(Math.floor(rem / 3600))}:${two(Math.floor(rem / 60) % 60)}:${two(rem % 60)}`;
}

/** The day civilTime last wrote, and its `YYYY-MM-DD`. */
let lastDays = NaN;
let lastDate = '';

/** `YYYY-MM-DD` of a day counted from the epoch (Hinnant's civil_from_days). */
function civilDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const year = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : `${y < 0 ? '-' : '+'}${String(Math.abs(y)).padStart(6, '0')}`;
  return `${year}-${two(m)}-${two(d)}`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
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
