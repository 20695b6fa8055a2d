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
/** readSmall reads the file this much at a time (a small record is at most 2 + 65,535 bytes). */
const SMALL_WINDOW = 128 * 1024;

/** Bytes gathered in memory before each write to the file. */
const BLOCK = 1024 * 1024;

/** A stash whose file is made on first use. */
export function createStash(): Stash {
  let file: { fd: number; leftover: string | undefined } | null | undefined; // undefined: not tried; null: none possible
  const kept: Buffer[] = []; // in memory, when there is no file: ref.offset indexes this
  let block = Buffer.allocUnsafe(BLOCK);
  let used = 0;
  /** Bytes already in the file (block holds the ones after). */
  let flushed = 0;
  let closed = false;
  // Made on first use: most stashes (every analysis has one) never see a small record.
  /** Scratch for putSmall. */
  let small: Buffer | undefined;
  /** Bytes of the file from windowStart, read ahead for readSmall. */
  let window: Buffer | undefined;
  let windowStart = 0;
  let windowLength = 0;
  /** Reads the window from `offset`: as much as the file holds, up to its size (a small record always fits). */
  const fillWindow = (fd: number, offset: number): Buffer => {
    window ??= Buffer.allocUnsafe(SMALL_WINDOW);
    windowLength = Math.min(SMALL_WINDOW, flushed - offset);
    readFile(fd, window, 0, windowLength, offset);
    windowStart = offset;
    return window;
  };

  const flush = (): void => {
    if (file === undefined || file === null || used === 0) return;
    for (let done = 0; done < used;) done += writeSync(file.fd, block, done, used - done, flushed + done);
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
      if (length > block.length) block = Buffer.allocUnsafe(length);
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
      // Records are read back mostly in the order they were written (the
      // end of a flood finalises its flows in first-seen order), so one read
      // of a window serves the next many.
      let read = window !== undefined && offset >= windowStart && offset + 2 <= windowStart + windowLength
        ? window : fillWindow(file.fd, offset);
      let at = offset - windowStart;
      const length = read.readUInt16LE(at);
      if (at + 2 + length > windowLength) {
        read = fillWindow(file.fd, offset);
        at = 0;
      }
      return read.toString('latin1', at + 2, at + 2 + length);
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
