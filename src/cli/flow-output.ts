/**
 * Where a format's writer (report/flow-format.ts) puts the flows while a
 * capture is read. A format whose document has a head (json's summary, the
 * table's widths) or an order (by flow id, where flows end in their own) is
 * complete only at the end: each flow's text waits in an id-ordered spool on
 * disk (src/spool/id-spool.ts), not as a record in memory, and the document is written
 * from it. A format without a document (ndjson) is written as each flow
 * ends, so a live capture shows each connection as it closes.
 */

import type { AnalysisResult } from '../analyze.ts';
import { jsonText, type FlowDocument, type FlowWriter } from '../report/flow-format.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { createBatchedOut } from './batched-out.ts';
import { createIdSpool, type SpoolWrite } from '../spool/id-spool.ts';

/** Texts held by flow id until the document can be written. */
export interface FormatSpool {
  /** Every flow of the capture, as it ends (the writer decides which are listed). */
  add(flow: FlowRecord): void;
  /** A flow's text as the format prints it, made without the writer (FlowFormat.fromJson): copied before it returns. */
  addText(id: number, text: string | Buffer): void;
  /**
   * Writes the document (the result's own `flows` are ignored) and releases
   * the spool; when `write` returns a promise (a pipe whose reader is
   * behind), the next block waits for it, so the document never gathers in
   * memory.
   */
  finish(result: Omit<AnalysisResult, 'flows'>, write: SpoolWrite): Promise<void>;
  /** Releases the spool without writing (after an error). */
  close(): void;
}

/** Characters gathered before each write. */
const BLOCK = 1024 * 1024;

/** A writer without a document, held by id all the same: its texts alone. */
const TEXTS: FlowDocument = { head: '', separator: '', tail: () => '' };

/** A spool in a stash on disk (in memory where no temporary file can be made) of `writer`'s texts. */
export function createFormatSpool(writer: FlowWriter): FormatSpool {
  const spool = createIdSpool();
  return {
    add(flow: FlowRecord): void {
      const text = writer.flow(flow);
      if (text !== undefined) spool.add(flow.id, text);
    },
    addText: (id, text) => spool.add(id, text),

    async finish(result, write): Promise<void> {
      try {
        const doc = writer.document?.(result, spool.size) ?? TEXTS;
        if (doc.each === undefined) {
          // The texts as held: copied from the stash without being decoded.
          if (doc.head !== '') await write(doc.head);
          await spool.copyOut(doc.separator, write);
          const tail = doc.tail();
          if (tail !== '') await write(tail);
          return;
        }
        let block = doc.head;
        let first = true;
        await spool.forEach(async (text) => {
          block += first ? doc.each!(text) : `${doc.separator}${doc.each!(text)}`;
          first = false;
          if (block.length >= BLOCK) {
            await write(block);
            block = '';
          }
        });
        block += doc.tail();
        if (block !== '') await write(block);
      } finally {
        spool.close();
      }
    },

    close: () => spool.close(),
  };
}

/** `synfin flows`' output: a FormatSpool, or each flow's text to standard output as the flow ends. */
export interface FlowOutput extends FormatSpool {
  /** True when each flow's text is written as the flow ends (the writer has no document). */
  readonly streamed: boolean;
  /**
   * Streamed: writes what has gathered and, while standard output is behind,
   * a promise that settles once it has drained (AnalyzeOptions.waitForOutput).
   */
  backlog(): Promise<void> | undefined;
  /** Streamed: writes what has gathered (call it after the analysis, error or not). */
  flush(): void;
}

/** The output of `writer` for one run of `synfin flows`. */
export function createFlowOutput(writer: FlowWriter): FlowOutput {
  if (writer.document !== undefined) {
    return { ...createFormatSpool(writer), streamed: false, backlog: () => undefined, flush: () => {} };
  }
  const out = createBatchedOut();
  return {
    streamed: true,
    add(flow: FlowRecord): void {
      const text = writer.flow(flow);
      if (text !== undefined) out.write(text);
    },
    addText: (_id, text) => out.write(jsonText(text)),
    finish: async () => {},
    close: () => {},
    backlog: () => out.backlog(),
    flush: () => out.flush(),
  };
}
