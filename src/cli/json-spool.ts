/**
 * `--format json` without holding every flow in memory. The document is one
 * object sorted by flow id whose summary comes before the flows but is known
 * only at the end, so every flow must wait somewhere until the capture has
 * been read: here, as its finished JSON text in a stash on disk (flow/stash.ts),
 * with only where its text lies kept in memory (12 bytes a flow, where the
 * text is about 2 KB and the record object more). The
 * output is then copied from the stash in id order, byte for byte what
 * formatJson prints.
 */

import type { AnalysisResult } from '../analyze.ts';
import { createStash } from '../flow/stash.ts';
import { formatJsonFlowEntry, formatJsonFrame } from '../report/json.ts';
import type { FlowRecord } from '../tcp/record.ts';

/** Bytes per write to the output. */
const BLOCK = 1024 * 1024;

/** Flows held as JSON text until the document can be written. */
export interface JsonSpool {
  /** Holds one flow. */
  add(flow: FlowRecord): void;
  /**
   * Writes the whole document (the result's own `flows` are ignored), then
   * releases the spool. When `write` returns a promise (the output is a pipe
   * whose reader is behind), the next block waits for it, so the document
   * never gathers in memory.
   */
  finish(result: Omit<AnalysisResult, 'flows'>, write: (chunk: Buffer | string) => Promise<void> | void): Promise<void>;
  /** Releases the spool without writing (after an error). */
  close(): void;
}

/** A spool in a stash on disk (in memory where no temporary file can be made). */
export function createJsonSpool(): JsonSpool {
  const stash = createStash();
  // Where each flow's text lies, indexed by flow id (ids are 1, 2, 3…, so the
  // document's order is the index's): 12 bytes a flow, in typed arrays that
  // the collector never has to walk. A length of -1 marks an id not held
  // (a flow a filter left out).
  let offsets = new Float64Array(1024);
  let lengths = new Int32Array(1024).fill(-1);
  let held = 0;
  let maxId = 0;

  return {
    add(flow: FlowRecord): void {
      const ref = stash.put(formatJsonFlowEntry(flow));
      const id = flow.id;
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

    async finish(result: Omit<AnalysisResult, 'flows'>, write: (chunk: Buffer | string) => Promise<void> | void): Promise<void> {
      try {
        const frame = formatJsonFrame(result);
        if (held === 0) {
          await write(frame.empty);
          return;
        }
        await write(frame.open);
        const separator = Buffer.from(frame.separator);
        let out = Buffer.allocUnsafe(BLOCK);
        let at = 0;
        const room = async (n: number): Promise<void> => {
          if (at + n <= out.length) return;
          if (at > 0) await write(out.subarray(0, at));
          // A fresh buffer each time: the stream may still hold the one it was given.
          out = Buffer.allocUnsafe(Math.max(BLOCK, n));
          at = 0;
        };
        // Flows end in their own order; the document lists them by id.
        let first = true;
        for (let id = 0; id <= maxId; id++) {
          const length = lengths[id]!;
          if (length < 0) continue;
          if (!first) {
            await room(separator.length);
            at += separator.copy(out, at);
          }
          first = false;
          await room(length);
          stash.readAhead({ offset: offsets[id]!, length }, out, at);
          at += length;
        }
        if (at > 0) await write(out.subarray(0, at));
        await write(frame.close);
      } finally {
        stash.close();
      }
    },

    close(): void {
      stash.close();
    },
  };
}
