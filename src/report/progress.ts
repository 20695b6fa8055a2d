/**
 * A progress line on standard error while a large capture is read: bytes read
 * of the total, packets per second, flows open. Only on a terminal (a log file
 * or CI output must not fill with carriage returns), never with --quiet, and
 * only once reading has taken a moment, so a small capture never flickers.
 */

import { open, stat } from 'node:fs/promises';
import type { AnalyzeProgress } from '../analyze.ts';
import { bytesText, grouped } from './text.ts';

/** The bar appears only once reading has taken this long (ms). */
export const SHOW_AFTER_MS = 250;
/** At most this many redraws a second. */
export const REDRAWS_PER_S = 10;

/** Where the bar is drawn: a writable with a terminal's attributes. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): boolean;
}

/** One redraw's facts. */
export interface ProgressState extends AnalyzeProgress {
  /** Total bytes to read (decompressed), when known. */
  readonly total: number | undefined;
  readonly elapsedMs: number;
}

/**
 * The bytes the readers will see: each file's size, or for gzip the
 * uncompressed size its trailer records (ISIZE, RFC 1952 §2.3.1: modulo 4 GiB,
 * so exact below that). Undefined when any input is standard input or
 * unreadable: the bar then shows bytes read without a fraction.
 */
export async function inputSize(paths: readonly string[]): Promise<number | undefined> {
  let total = 0;
  for (const p of paths) {
    if (p === '-') return undefined;
    try {
      const st = await stat(p);
      if (!st.isFile()) return undefined;
      total += await decompressedSize(p, st.size);
    } catch {
      return undefined;
    }
  }
  return total;
}

async function decompressedSize(path: string, size: number): Promise<number> {
  if (size < 18) return size;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    if (head.readUInt16BE(0) !== 0x1f8b) return size;
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, size - 4);
    const isize = tail.readUInt32LE(0);
    // ISIZE wraps at 4 GiB; a wrapped value smaller than the compressed file is certainly wrong.
    return isize >= size ? isize : size;
  } finally {
    await fh.close();
  }
}

/** The progress line, fitted to `width` columns. */
export function formatProgress(s: ProgressState, width = 80): string {
  const rate = s.elapsedMs > 0 ? Math.round((s.frames * 1000) / s.elapsedMs) : 0;
  const facts = `${s.total === undefined ? bytesText(s.bytes) : `${bytesText(Math.min(s.bytes, s.total))} of ${bytesText(s.total)}`}  ${grouped(rate)} packets/s  ${grouped(s.flowsOpen)} flows open`;
  if (s.total === undefined || s.total === 0) return `reading ${facts}`.slice(0, width - 1);
  const frac = Math.min(1, s.bytes / s.total);
  const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
  const barWidth = Math.max(10, Math.min(40, width - 1 - facts.length - pct.length - 6));
  const filled = Math.round(frac * barWidth);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
  return `${bar} ${pct}  ${facts}`.slice(0, width - 1);
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  readonly stream: ProgressStream;
  readonly total: number | undefined;
  readonly quiet?: boolean;
  /** Clock in milliseconds (tests pass a fake). */
  readonly now?: () => number;
}

/** A running progress display: feed it the analysis's progress, call done() before printing output. */
export interface Progress {
  /** Pass as AnalyzeOptions.onProgress. */
  readonly update: (p: AnalyzeProgress) => void;
  /** Erases the line (if one was drawn). */
  readonly done: () => void;
  /** Whether it draws at all. */
  readonly active: boolean;
}

/** Creates the progress display: inert unless the stream is a terminal and not --quiet. */
export function createProgress(options: ProgressOptions): Progress {
  const active = options.quiet !== true && options.stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const started = now();
  let last = -Infinity;
  let drawn = false;
  const update = (p: AnalyzeProgress): void => {
    if (!active) return;
    const t = now();
    if (t - started < SHOW_AFTER_MS || t - last < 1000 / REDRAWS_PER_S) return;
    last = t;
    drawn = true;
    // \r and erase-line redraw in place; nothing else on the line survives.
    options.stream.write(`\r\x1b[2K${formatProgress({ ...p, total: options.total, elapsedMs: t - started }, options.stream.columns ?? 80)}`);
  };
  const done = (): void => {
    if (drawn) options.stream.write('\r\x1b[2K');
    drawn = false;
  };
  return { update, done, active };
}
