/**
 * What the format readers (pcap.ts, pcapng.ts) share: the push interface that
 * open.ts drives, and the wording of the "cut mid-record" warning.
 */
import type { Frame, Precision } from './frame.ts';

/**
 * A streaming reader of one capture format. It is fed the file's bytes chunk
 * by chunk, in order, and keeps only the part of a record not yet complete,
 * so memory stays flat whatever the file's size.
 */
export interface FormatParser {
  /**
   * Parses the next chunk and appends every record it completes to `out`.
   * Throws CaptureError when the file cannot be read on; the records before
   * the fault are already in `out` when it throws.
   */
  push(chunk: Buffer, out: Frame[]): void;
  /**
   * The input has ended. Records a file cut mid-record in the CaptureInfo
   * (truncated + warning); throws CaptureError when not even the file header
   * was complete.
   */
  end(): void;
}

/**
 * Largest caplen synfin accepts: libpcap's MAXIMUM_SNAPLEN (262144), the
 * snaplen tcpdump writes by default. A larger value is a corrupt length, and
 * believing it would make a reader wait for (and buffer) gigabytes.
 */
export const MAX_CAPLEN = 262_144;

/**
 * The tail of the truncation warning: which records were analysed. Says so
 * plainly when the cut came before any whole record.
 */
export function analysedUpTo(records: number): string {
  return records > 0 ? `analysed up to record ${records}` : 'no whole record before it';
}

/**
 * The precision that shows every digit of a timestamp with `digits` decimal
 * places: the coarsest of s/ms/us/ns whose unit is no larger than the tick
 * (0 -> s, 1..3 -> ms, 4..6 -> us, 7 and more -> ns, where more than 9 digits
 * are cut to nanoseconds, the finest a Frame holds).
 */
export function precisionForDigits(digits: number): Precision {
  if (digits <= 0) return 's';
  if (digits <= 3) return 'ms';
  if (digits <= 6) return 'us';
  return 'ns';
}
