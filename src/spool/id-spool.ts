/**
 * Texts held by flow id until a document can be written: the outputs whose
 * order is the flows' ids (json, csv, the text table) but whose flows end in
 * their own order, or whose head is known only at the end (json's summary,
 * the table's column widths). Each text goes to a stash on disk
 * (flow/stash.ts) as its flow ends; memory keeps only where it lies, 12
 * bytes a flow in typed arrays that the collector never has to walk.
 */

import { createStash } from './stash.ts';

/** Bytes per write to the output. */
const BLOCK = 1024 * 1024;

/** Where a spool writes: a promise means wait for it (a pipe whose reader is behind). */
export type SpoolWrite = (chunk: Buffer | string) => Promise<void> | void;

/** Texts by flow id (see the file's comment). */
export interface IdSpool {
  /** Holds `text` (or its UTF-8 bytes, copied) for flow `id` (each id once). */
  add(id: number, text: string | Buffer): void;
  /** How many texts are held. */
  readonly size: number;
  /**
   * Writes the texts in id order, `separator` between two, in blocks of about
   * a mebibyte, waiting on each write that asks for it.
   */
  copyOut(separator: string, write: SpoolWrite): Promise<void>;
  /** Calls `each` with the texts in id order (read back a mebibyte at a time). */
  forEach(each: (text: string) => Promise<void> | void): Promise<void>;
  /** Frees the stash; the spool cannot be used after. */
  close(): void;
}

/** A spool in a stash on disk (in memory where no temporary file can be made). */
export function createIdSpool(): IdSpool {
  const stash = createStash();
  let offsets = new Float64Array(1024);
  /** A length of -1 marks an id not held (a flow a filter left out). */
  let lengths = new Int32Array(1024).fill(-1);
  let held = 0;
  let maxId = 0;
  const ids = function* (): Generator<number> {
    for (let id = 0; id <= maxId; id++) if (lengths[id]! >= 0) yield id;
  };

  return {
    add(id: number, text: string | Buffer): void {
      const ref = stash.put(text);
      if (id >= lengths.length) {
        const size = Math.max(id + 1, lengths.length * 2);
        const o = new Float64Array(size);
        o.set(offsets);
        const l = new Int32Array(size).fill(-1);
        l.set(lengths);
        offsets = o;
        lengths = l;
      }
      offsets[id] = ref.offset;
      lengths[id] = ref.length;
      held++;
      if (id > maxId) maxId = id;
    },

    get size(): number {
      return held;
    },

    async copyOut(separator: string, write: SpoolWrite): Promise<void> {
      const sep = Buffer.from(separator);
      let out = Buffer.allocUnsafe(BLOCK);
      let at = 0;
      const room = async (n: number): Promise<void> => {
        if (at + n <= out.length) return;
        if (at > 0) await write(out.subarray(0, at));
        // A fresh buffer each time: the stream may still hold the one it was given.
        out = Buffer.allocUnsafe(Math.max(BLOCK, n));
        at = 0;
      };
      let first = true;
      for (const id of ids()) {
        if (!first) {
          await room(sep.length);
          at += sep.copy(out, at);
        }
        first = false;
        const length = lengths[id]!;
        await room(length);
        stash.readAhead({ offset: offsets[id]!, length }, out, at);
        at += length;
      }
      if (at > 0) await write(out.subarray(0, at));
    },

    async forEach(each: (text: string) => Promise<void> | void): Promise<void> {
      let scratch = Buffer.allocUnsafe(64 * 1024);
      for (const id of ids()) {
        const length = lengths[id]!;
        if (length > scratch.length) scratch = Buffer.allocUnsafe(length);
        stash.readAhead({ offset: offsets[id]!, length }, scratch, 0);
        await each(scratch.toString('utf8', 0, length));
      }
    },

    close(): void {
      stash.close();
    },
  };
}
