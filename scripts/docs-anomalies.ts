/**
 * Writes docs/json.md's table of anomaly codes from the registry
 * (src/tcp/anomalies/registry.ts), between its two marker comments:
 * `npm run docs:anomalies`. test/tcp/registry.test.ts fails while the
 * committed table differs from what this writes.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ANOMALIES, ANOMALY_CODES } from '../src/tcp/anomalies/registry.ts';

export const DOC = 'docs/json.md';
export const BEGIN = '<!-- anomaly table: written by npm run docs:anomalies from src/tcp/anomalies/registry.ts -->';
export const END = '<!-- end of anomaly table -->';

/** The Markdown table, one row per registry row, in its order. */
export function anomalyTable(): string {
  const lines = ['| code | severity | side | `details` |', '|---|---|---|---|'];
  for (const code of ANOMALY_CODES) {
    const row: { severity: string; severityWhen?: string; side: string; details?: string } = ANOMALIES[code];
    lines.push(`| \`${code}\` | ${row.severityWhen ?? row.severity} | ${row.side} | ${row.details ?? ''} |`.replace(/ {2}\|$/, ' |'));
  }
  return lines.join('\n');
}

/** `doc` with the text between the markers replaced by the table. */
export function withTable(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: the anomaly table's markers are missing`);
  return `${doc.slice(0, a + BEGIN.length)}\n${anomalyTable()}\n${doc.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const doc = readFileSync(DOC, 'utf8');
  const next = withTable(doc);
  if (next !== doc) writeFileSync(DOC, next);
  console.log(next === doc ? `${DOC}: the anomaly table is up to date` : `${DOC}: anomaly table rewritten`);
}
