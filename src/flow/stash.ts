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
  /** Frees the file; the stash cannot be used after. */
  close(): void;
}

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
      for (let done = 0; done < ref.length;) {
        const n = readSync(file.fd, into, at + done, ref.length - done, ref.offset + done);
        if (n === 0) throw new Error(`temporary stash file ended early at byte ${ref.offset + done}`);
        done += n;
      }
      return into;
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
