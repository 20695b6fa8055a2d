/**
 * `--format csv`, `--format zeek` and the text table without holding every flow: each flow's
 * row is made as the flow ends and held in an id-ordered spool on disk
 * (id-spool.ts) until the capture has been read. The text table's column
 * widths grow as rows come, and its rows are padded as they are written out,
 * so the output is byte for byte what formatText and formatCsv print for the
 * whole result (test/cli/table-spool.test.ts).
 */

import type { AnalysisResult } from '../analyze.ts';
import type { Painter } from '../report/color.ts';
import { CSV_HEADER, formatCsvRow } from '../report/csv.ts';
import {
  alignRow, hasInferredState, renderCell, SeverityTally, TEXT_RIGHT_ALIGNED, textHeader, textRow, textSummary, widen,
  type FlowFilter, type RenderedCell,
} from '../report/text.ts';
import { formatZeekRow, zeekLogHead, zeekLogTail } from '../report/zeek.ts';
import { isoToSeconds, ZeekLineMerger, zeekRowsOf, zeekUidSeed } from '../report/zeek-flows.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { createIdSpool, type SpoolWrite } from './id-spool.ts';

/** Rows held until the document can be written. */
export interface TableSpool {
  /** Every flow of the capture, as it ends (the filter decides which are listed). */
  add(flow: FlowRecord): void;
  /** Writes the document (the result's own `flows` are ignored) and releases the spool. */
  finish(result: Omit<AnalysisResult, 'flows'>, write: SpoolWrite): Promise<void>;
  /** Releases the spool without writing (after an error). */
  close(): void;
}

/** Lines gathered before each write. */
const BLOCK = 1024 * 1024;

/** The CSV document, a row per listed flow. */
export function createCsvSpool(listed: (f: FlowRecord) => boolean): TableSpool {
  const spool = createIdSpool();
  return {
    add(flow: FlowRecord): void {
      if (listed(flow)) spool.add(flow.id, formatCsvRow(flow));
    },
    async finish(_result, write): Promise<void> {
      try {
        await write(`${CSV_HEADER}\n`);
        await spool.copyOut('\n', write);
        if (spool.size > 0) await write('\n');
      } finally {
        spool.close();
      }
    },
    close: () => spool.close(),
  };
}

/** The flows table and its summary (formatText's document). */
export function createTextSpool(filter: FlowFilter, listed: (f: FlowRecord) => boolean, painter: Painter): TableSpool {
  const spool = createIdSpool();
  const header = textHeader(painter).map(renderCell);
  const widths: number[] = [];
  widen(widths, header);
  const severities = new SeverityTally();
  let flows = 0;
  let inferred = 0;
  return {
    add(flow: FlowRecord): void {
      flows++;
      severities.add(flow);
      if (!listed(flow)) return;
      if (hasInferredState(flow)) inferred++;
      const row = textRow(flow, painter).map(renderCell);
      widen(widths, row);
      // A cell shown as its text is held once.
      spool.add(flow.id, JSON.stringify(row.map((c) => (c.shown === c.text ? [c.text] : [c.text, c.shown]))));
    },
    async finish(result, write): Promise<void> {
      try {
        let block = `${alignRow(header, widths, TEXT_RIGHT_ALIGNED)}\n`;
        await spool.forEach(async (text) => {
          const row = (JSON.parse(text) as string[][]).map(([t, shown]): RenderedCell => ({ text: t!, shown: shown ?? t! }));
          block += `${alignRow(row, widths, TEXT_RIGHT_ALIGNED)}\n`;
          if (block.length >= BLOCK) {
            await write(block);
            block = '';
          }
        });
        const summary = textSummary(result.summary, { shown: spool.size, flows, severities: severities.text(), filter, inferred });
        await write(`${block}${summary.join('\n')}\n`);
      } finally {
        spool.close();
      }
    },
    close: () => spool.close(),
  };
}

/**
 * The conn.log (formatZeek's document): every Zeek row of the listed flows,
 * sorted by ts; uids derive from the capture files' names.
 */
export function createZeekSpool(listed: (f: FlowRecord) => boolean, files: readonly string[]): TableSpool {
  const spool = createIdSpool();
  const seed = zeekUidSeed(files.map((file) => ({ file })));
  let open = Infinity;
  let close = -Infinity;
  return {
    add(flow: FlowRecord): void {
      if (!listed(flow) || flow.zeek.length === 0) return;
      open = Math.min(open, isoToSeconds(flow.start));
      close = Math.max(close, isoToSeconds(flow.end));
      spool.add(flow.id, zeekRowsOf(flow).map((row) => formatZeekRow(row, seed)).join('\n'));
    },
    async finish(_result, write): Promise<void> {
      try {
        if (spool.size === 0) return;
        let block = zeekLogHead(open);
        const merger = new ZeekLineMerger();
        const out = (line: string): void => {
          block += `${line}\n`;
        };
        await spool.forEach(async (text) => {
          merger.add(text.split('\n'), out);
          if (block.length >= BLOCK) {
            await write(block);
            block = '';
          }
        });
        merger.flush(Infinity, out);
        await write(`${block}${zeekLogTail(close)}`);
      } finally {
        spool.close();
      }
    },
    close: () => spool.close(),
  };
}
