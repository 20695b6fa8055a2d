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

/**
 * Fitting the table to a terminal (`columns`), as `ss` and `docker ps` do, in
 * these steps until it fits: drop FRAMES, BYTES C/S, PKTS C/S and DURATION
 * (explain and the JSON have them); cut ANOMALIES, then VERDICT, short with
 * `…` (to 12 and 20 code points); drop the `→`; cut both further (to 9); then
 * drop ANOMALIES, then VERDICT. ID, the endpoints and STATES always stay
 * whole (a terminal narrower than those wraps them).
 */
const FIT_STEPS: readonly (readonly ['drop', number] | readonly ['cap', number, number])[] = [
  ['drop', 6], ['drop', 5], ['drop', 4], ['drop', 7],
  ['cap', 10, 12], ['cap', 8, 20], ['drop', 2], ['cap', 10, 9], ['cap', 8, 9],
  ['drop', 10], ['drop', 8],
];

/** Which columns stay and how wide each may be, for a table of `widths` on `columns` columns. */
export function fitColumns(widths: readonly number[], columns: number): { keep: number[]; caps: Map<number, number> } {
  const keep = widths.map((_, i) => i);
  const caps = new Map<number, number>();
  const total = (): number => keep.reduce((n, i) => n + Math.min(widths[i]!, caps.get(i) ?? Infinity), 0) + 2 * (keep.length - 1);
  for (const step of FIT_STEPS) {
    const over = total() - columns;
    if (over <= 0) break;
    if (step[0] === 'drop') {
      keep.splice(keep.indexOf(step[1]), 1);
      caps.delete(step[1]);
    } else {
      const [, column, min] = step;
      const now = Math.min(widths[column]!, caps.get(column) ?? Infinity);
      if (now > min) caps.set(column, Math.max(min, now - over));
    }
  }
  return { keep, caps };
}

/** A cell cut to `cap` code points with `…` (plain: its colour would be cut with it). */
function capCell(cell: RenderedCell, cap: number | undefined): RenderedCell {
  const points = [...cell.text];
  if (cap === undefined || points.length <= cap) return cell;
  const text = `${points.slice(0, cap - 1).join('')}…`;
  return { text, shown: text };
}

/** The flows table and its summary (formatText's document). */
export function createTextSpool(filter: FlowFilter, listed: (f: FlowRecord) => boolean, painter: Painter, columns?: number): TableSpool {
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
        // On a terminal, the columns that fit it (fitColumns); a file or a pipe gets every column whole.
        const { keep, caps } = columns === undefined ? { keep: widths.map((_, i) => i), caps: new Map<number, number>() } : fitColumns(widths, columns);
        const keptWidths = keep.map((i) => Math.min(widths[i]!, caps.get(i) ?? Infinity));
        const right = new Set(keep.flatMap((c, k) => (TEXT_RIGHT_ALIGNED.has(c) ? [k] : [])));
        const fit = (row: readonly RenderedCell[]): RenderedCell[] => keep.map((i) => capCell(row[i]!, caps.get(i)));
        let block = `${alignRow(fit(header), keptWidths, right)}\n`;
        await spool.forEach(async (text) => {
          const row = (JSON.parse(text) as string[][]).map(([t, shown]): RenderedCell => ({ text: t!, shown: shown ?? t! }));
          block += `${alignRow(fit(row), keptWidths, right)}\n`;
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
