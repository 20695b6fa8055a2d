/**
 * Bytes set aside on disk until they are wanted again: an append-only,
 * unlinked temporary file (the system frees it when it is closed, or when the
 * process ends however it ends), written a block at a time. The flow table
 * keeps the state of flows that have gone quiet without ending here (an
 * unanswered SYN waits for the capture's end, and many of them would
 * otherwise hold memory for the whole run), and `--format json` keeps its
 * finished flows here until the summary that comes first in the document is
 * known.
 *
 * Where no temporary file can be made, the bytes stay in memory: correct,
 * only not smaller.
 */

import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where put() left some bytes. */
export interface StashRef {
  readonly offset: number;
  readonly length: number;
}

/** Bytes on disk, read back by reference. */
export interface Stash {
  /** Sets the bytes aside (they are copied: the caller may reuse its buffer). */
  put(bytes: Buffer | string): StashRef;
  /** Copies the bytes at `ref` into `into` at `at` (default: a new buffer of their length). */
  read(ref: StashRef, into?: Buffer, at?: number): Buffer;
  /**
   * read(), for callers that read the records back mostly in the order they
   * were put (the JSON spool, by flow id): the file is read through the
   * pages readSmall keeps, 64 KiB at a time, rather than a system call per
   * record. (It was one window of a mebibyte, refilled for every record read
   * out of order: flows are held by id but written as they end, and on the
   * long-connection bench that was 14 % of the run.)
   */
  readAhead(ref: StashRef, into: Buffer, at: number): Buffer;
  /**
   * Sets aside a short latin1 string (under 65,536 characters) and returns a
   * position that is a small integer for the first 16 GB, so a table of a
   * million of them holds numbers V8 does not box: records are 8-byte
   * aligned and carry their own length.
   */
  putSmall(text: string): number;
  /** The string putSmall set aside at `position`. */
  readSmall(position: number): string;
  /** Frees the file; the stash cannot be used after. */
  close(): void;
}

/** putSmall's records start at multiples of this. */
const SMALL_ALIGN = 8;

/**
 * The temporary directory cannot take more of the stash (ENOSPC, EDQUOT, EFBIG):
 * not a fault of the capture, nor of synfin, but of where it may spill to.
 * The message names the directory and says how much was needed.
 */
export class StashFullError extends Error {
  constructor(readonly dir: string, readonly written: number, readonly needed: number, readonly code: string) {
    super(`the temporary directory ${dir}${process.env.TMPDIR === undefined ? '' : ' (TMPDIR)'} is full (${code}): synfin had set aside ${mib(written)} of flows there and needed ${mib(needed)} more; ` +
      'point TMPDIR at a directory with more space');
  }
}

function mib(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
/** readSmall and readAhead read the file a page at a time. */
const SMALL_PAGE = 64 * 1024;
/**
 * Pages of the file kept for readSmall and readAhead, least recently used dropped first
 * (4 MiB). Records are read back in an order close to, but not the same as,
 * the one they were written in: connections that closed within a few seconds
 * of each other are finalised in the order they opened. One read-ahead window
 * was refilled for most records of a capture of short connections (128 KiB
 * read per 300-byte record, 2.6 s of a 17 s run); a few seconds of records
 * fit in these pages.
 */
const SMALL_PAGES = 64;

/** readAhead reads a record longer than this directly, not through the pages it would push out. */
const READ_AHEAD_LARGEST = 4 * SMALL_PAGE;

/** Bytes gathered in memory before each write to the file. */
const BLOCK = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** A stash whose file is made on first use. */
export function createStash(): Stash {
  let file: { fd: number; leftover: string | undefined } | null | undefined; // undefined: not tried; null: none possible
  const kept: Buffer[] = []; // in memory, when there is no file: ref.offset indexes this
  /** Made on first put: every analysis makes a stash, and a small capture never puts anything. */
  let block = EMPTY;
  let used = 0;
  /** Bytes already in the file (block holds the ones after). */
  let flushed = 0;
  let closed = false;
  // Made on first use: most stashes (every analysis has one) never see a small record.
  /** Scratch for putSmall. */
  let small: Buffer | undefined;
  /** Pages of the file read for readSmall and readAhead, by page number, in order of last use (SMALL_PAGES). */
  const pages = new Map<number, Buffer>();
  /** The page holding file offset page * SMALL_PAGE (the last one may be short: the file's end). */
  const pageAt = (fd: number, page: number): Buffer => {
    let b = pages.get(page);
    if (b !== undefined) {
      pages.delete(page);
    } else {
      const start = page * SMALL_PAGE;
      const length = Math.min(SMALL_PAGE, flushed - start);
      if (pages.size >= SMALL_PAGES) {
        const oldest = pages.keys().next().value!;
        b = pages.get(oldest)!;
        pages.delete(oldest);
      }
      b = b !== undefined && b.length === SMALL_PAGE ? b : Buffer.allocUnsafe(SMALL_PAGE);
      readFile(fd, b, 0, length, start);
    }
    pages.set(page, b);
    return b;
  };

  const flush = (): void => {
    if (file === undefined || file === null || used === 0) return;
    try {
      for (let done = 0; done < used;) done += writeSync(file.fd, block, done, used - done, flushed + done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') throw new StashFullError(tmpdir(), flushed, used, code);
      throw err;
    }
    // The page the file ended in may have been read short: it grows now.
    pages.delete(Math.floor(flushed / SMALL_PAGE));
    flushed += used;
    used = 0;
  };

  return {
    put(bytes: Buffer | string): StashRef {
      if (closed) throw new Error('stash is closed');
      file ??= openStashFile();
      if (file === null) {
        kept.push(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes));
        return { offset: kept.length - 1, length: kept[kept.length - 1]!.length };
      }
      const length = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
      if (used + length > block.length) flush();
      if (length > block.length) block = Buffer.allocUnsafe(Math.max(BLOCK, length));
      if (typeof bytes === 'string') block.write(bytes, used);
      else bytes.copy(block, used);
      const ref = { offset: flushed + used, length };
      used += length;
      return ref;
    },

    read(ref: StashRef, into: Buffer = Buffer.allocUnsafe(ref.length), at = 0): Buffer {
      if (closed) throw new Error('stash is closed');
      if (file === null || file === undefined) {
        kept[ref.offset]!.copy(into, at);
        return into;
      }
      if (ref.offset >= flushed) {
        // Still in the block being filled.
        block.copy(into, at, ref.offset - flushed, ref.offset - flushed + ref.length);
        return into;
      }
      readFile(file.fd, into, at, ref.length, ref.offset);
      return into;
    },

    readAhead(ref: StashRef, into: Buffer, at: number): Buffer {
      if (file === null || file === undefined || ref.offset + ref.length > flushed || ref.length > READ_AHEAD_LARGEST) return this.read(ref, into, at);
      // Through readSmall's pages: a record read out of order costs a page, not a window.
      let offset = ref.offset;
      let to = at;
      for (let left = ref.length; left > 0;) {
        const page = Math.floor(offset / SMALL_PAGE);
        const from = offset - page * SMALL_PAGE;
        const n = Math.min(left, SMALL_PAGE - from);
        pageAt(file.fd, page).copy(into, to, from, from + n);
        offset += n;
        to += n;
        left -= n;
      }
      return into;
    },

    putSmall(text: string): number {
      if (text.length >= 65_536) throw new RangeError(`stash: a small record is under 65536 characters, got ${text.length}`);
      const padded = Math.ceil((2 + text.length) / SMALL_ALIGN) * SMALL_ALIGN;
      small ??= Buffer.allocUnsafe(2 + 65_536 + SMALL_ALIGN);
      small.fill(0, 0, padded);
      small.writeUInt16LE(text.length, 0);
      small.write(text, 2, 'latin1');
      file ??= openStashFile();
      // Keep the file's records aligned (put() writes any length).
      if (file !== null && (flushed + used) % SMALL_ALIGN !== 0) this.put(Buffer.alloc(SMALL_ALIGN - ((flushed + used) % SMALL_ALIGN)));
      const ref = this.put(small.subarray(0, padded));
      return file === null ? ref.offset : ref.offset / SMALL_ALIGN;
    },

    readSmall(position: number): string {
      if (file === null || file === undefined) {
        const record = kept[position]!;
        return record.toString('latin1', 2, 2 + record.readUInt16LE(0));
      }
      const offset = position * SMALL_ALIGN;
      if (offset >= flushed) {
        const at = offset - flushed;
        return block.toString('latin1', at + 2, at + 2 + block.readUInt16LE(at));
      }
      const page = Math.floor(offset / SMALL_PAGE);
      const at = offset - page * SMALL_PAGE;
      const b = pageAt(file.fd, page);
      // A record is 8-byte aligned, so its 2-byte length never straddles pages; its text may.
      const length = b.readUInt16LE(at);
      if (at + 2 + length <= SMALL_PAGE) return b.toString('latin1', at + 2, at + 2 + length);
      const whole = Buffer.allocUnsafe(length);
      readFile(file.fd, whole, 0, length, offset + 2);
      return whole.toString('latin1');
    },

    close(): void {
      if (closed) return;
      closed = true;
      if (file !== undefined && file !== null) {
        closeSync(file.fd);
        if (file.leftover !== undefined) removeFile(file.leftover);
      }
      kept.length = 0;
    },
  };
}

/** Reads `length` bytes of the file at `offset` into `into` at `at`; the file must hold them. */
function readFile(fd: number, into: Buffer, at: number, length: number, offset: number): void {
  for (let done = 0; done < length;) {
    const n = readSync(fd, into, at + done, length - done, offset + done);
    if (n === 0) throw new Error(`temporary stash file ended early at byte ${offset + done}`);
    done += n;
  }
}

/**
 * An open temporary file, unlinked at once where the system allows it;
 * otherwise `leftover` names it, to remove at close. Null when none can be made.
 */
function openStashFile(): { fd: number; leftover: string | undefined } | null {
  let path: string;
  let fd: number;
  try {
    path = join(mkdtempSync(join(tmpdir(), 'synfin-')), 'stash');
    fd = openSync(path, 'w+', 0o600);
  } catch {
    return null;
  }
  try {
    unlinkSync(path);
    rmdirSync(dirname(path));
    return { fd, leftover: undefined };
  } catch {
    return { fd, leftover: path };
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
    rmdirSync(dirname(path));
  } catch {
    // Nothing more to do: it is in the system's temporary directory.
  }
}
