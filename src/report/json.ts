/**
 * `--format json` and `--format ndjson`: the regression-test contract. Key
 * order is fixed by how the records are built and maps are sorted, so the
 * same capture gives the same bytes on any machine and run.
 */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';

/** The whole analysis as pretty JSON (2-space indent, trailing newline). */
export function formatJson(result: AnalysisResult): string {
  const { schema, captures, summary, flows } = result;
  return `${JSON.stringify({ schema, captures, summary, flows }, null, 2)}\n`;
}

/** One flow as one line of ndjson. */
export function formatNdjsonFlow(flow: FlowRecord): string {
  return `${JSON.stringify(flow)}\n`;
}
