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
import { formatJsonFlowEntry, formatJsonFrame } from '../report/json.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { createIdSpool, type SpoolWrite } from './id-spool.ts';
import type { TableSpool } from './table-spool.ts';

/**
 * Flows held as JSON text until the document can be written. finish() writes
 * the whole document (the result's own `flows` are ignored), then releases
 * the spool; when `write` returns a promise (the output is a pipe whose
 * reader is behind), the next block waits for it, so the document never
 * gathers in memory.
 */
export type JsonSpool = TableSpool;

/** A spool in a stash on disk (in memory where no temporary file can be made) of the flows `listed` keeps. */
export function createJsonSpool(listed: (f: FlowRecord) => boolean = () => true): JsonSpool {
  const spool = createIdSpool();
  return {
    add(flow: FlowRecord): void {
      if (listed(flow)) spool.add(flow.id, formatJsonFlowEntry(flow));
    },

    async finish(result: Omit<AnalysisResult, 'flows'>, write: SpoolWrite): Promise<void> {
      try {
        const frame = formatJsonFrame(result);
        if (spool.size === 0) {
          await write(frame.empty);
          return;
        }
        await write(frame.open);
        // Flows end in their own order; the document lists them by id.
        await spool.copyOut(frame.separator, write);
        await write(frame.close);
      } finally {
        spool.close();
      }
    },

    close(): void {
      spool.close();
    },
  };
}
