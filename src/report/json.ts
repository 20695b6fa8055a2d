/**
 * `--format json` and `--format ndjson`: the regression-test contract. Key
 * order is fixed by how the records are built and maps are sorted, so the
 * same capture gives the same bytes on any machine and run.
 */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { escapeJsonControl } from './escape.ts';

/** The whole analysis as pretty JSON (2-space indent, trailing newline). */
export function formatJson(result: AnalysisResult): string {
  const { schema, captures, summary, flows } = result;
  return `${escapeJsonControl(JSON.stringify({ schema, captures, summary, flows }, null, 2))}\n`;
}

/** One flow as one line of ndjson. */
export function formatNdjsonFlow(flow: FlowRecord): string {
  return `${escapeJsonControl(JSON.stringify(flow))}\n`;
}

/**
 * formatJson's text around the flows, for a writer that holds the flows as
 * text and prints them after the summary (the summary comes first in the
 * document but is complete only at the end). formatJson(result) is exactly
 * `empty` when there are no flows, else `open` + the flows'
 * formatJsonFlowEntry texts joined by `separator` + `close`.
 */
export interface JsonFrame {
  readonly empty: string;
  readonly open: string;
  readonly separator: string;
  readonly close: string;
}

/** The frame around the flows of a result whose `flows` are printed separately. */
export function formatJsonFrame(result: Omit<AnalysisResult, 'flows'>): JsonFrame {
  const { schema, captures, summary } = result;
  const empty = `${escapeJsonControl(JSON.stringify({ schema, captures, summary, flows: [] }, null, 2))}\n`;
  // JSON.stringify ends an empty last member with `[]` and the closing brace.
  const head = empty.slice(0, empty.length - '[]\n}\n'.length);
  return { empty, open: `${head}[\n`, separator: ',\n', close: '\n  ]\n}\n' };
}

/** What JSON.stringify puts before and after a value nested two arrays deep, at 2-space indent. */
const NESTED_OPEN = '[\n  [\n'.length;
const NESTED_CLOSE = '\n  ]\n]'.length;

/**
 * One flow as formatJson prints it inside `"flows": [...]`: pretty, every line
 * indented two levels. Stringified nested two arrays deep, JSON.stringify
 * indents it so itself; cutting off the two arrays' brackets is cheaper than
 * indenting the text after (a copy of 270 MB on a capture of 140 k flows).
 */
export function formatJsonFlowEntry(flow: FlowRecord): string {
  const nested = JSON.stringify([[flow]], null, 2);
  return escapeJsonControl(nested.slice(NESTED_OPEN, nested.length - NESTED_CLOSE));
}
