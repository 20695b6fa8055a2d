/**
 * `--format json` and `--format ndjson`: the regression-test contract. Key
 * order is fixed by how the records are built and maps are sorted, so the
 * same capture gives the same bytes on any machine and run.
 */

import type { AnalysisResult } from '../analyze.ts';
import { recordText, type FlowRecord } from '../tcp/record.ts';
import { escapeJsonControl } from './escape.ts';
import { formatWith, type FlowFormat } from './flow-format.ts';
import { matchesFilter } from './text.ts';

/**
 * One document: `schema`, `captures`, `summary` and the listed flows, pretty
 * (2-space indent, trailing newline), as JSON.stringify prints the object.
 * The summary comes first but is complete only at the end, so the CLI holds
 * the flows' texts until then (src/cli/flow-output.ts).
 */
export const jsonFormat: FlowFormat = {
  writer: ({ filter = {} }) => ({
    flow: (f) => (matchesFilter(f, filter) ? formatJsonFlowEntry(f) : undefined),
    document(result, count) {
      const { schema, captures, summary } = result;
      const empty = `${escapeJsonControl(JSON.stringify({ schema, captures, summary, flows: [] }, null, 2))}\n`;
      if (count === 0) return { head: empty, separator: '', tail: () => '' };
      // JSON.stringify ends an empty last member with `[]` and the closing brace.
      const head = empty.slice(0, empty.length - '[]\n}\n'.length);
      return { head: `${head}[\n`, separator: ',\n', tail: () => '\n  ]\n}\n' };
    },
  }),
};

/** A line of compact JSON per listed flow, printed as the flow ends. */
export const ndjsonFormat: FlowFormat = {
  fromJson: ndjsonLine,
  writer: ({ filter = {} }) => ({
    flow: (f) => (matchesFilter(f, filter) ? formatNdjsonFlow(f) : undefined),
  }),
};

/** The whole analysis as pretty JSON (2-space indent, trailing newline). */
export function formatJson(result: AnalysisResult): string {
  return formatWith(jsonFormat, result);
}

/** One flow as one line of ndjson. */
export function formatNdjsonFlow(flow: FlowRecord): string {
  return ndjsonLine(recordText(flow, 'compact'));
}

/** A record's JSON text as an ndjson line. */
function ndjsonLine(json: string): string {
  return `${escapeJsonControl(json)}\n`;
}

/** One flow as formatJson prints it inside `"flows": [...]`: pretty, every line indented two levels (record.ts recordText). */
export function formatJsonFlowEntry(flow: FlowRecord): string {
  return escapeJsonControl(recordText(flow, 'entry'));
}
