/**
 * Writes what lists every anomaly from the registry
 * (src/tcp/anomalies/registry.ts): docs/json.md's table, between its two
 * marker comments, and the `code` enum of schema/synfin.schema.json.
 * `npm run docs:anomalies`. test/tcp/registry.test.ts fails while either
 * differs from what this writes.
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

export const SCHEMA = 'schema/synfin.schema.json';

/** The schema's text with its `code` enum listing the registry's codes, one a line as the file has them. */
export function withCodeEnum(schema: string): string {
  const m = /("code": \{\n\s*"description": "[^"]*",\n(\s*)"enum": \[\n)[^\]]*(\n\s*\])/.exec(schema);
  if (m === null) throw new Error(`${SCHEMA}: the code enum is not where it was`);
  const items = ANOMALY_CODES.map((c) => `${m[2]}  "${c}"`).join(',\n');
  return schema.slice(0, m.index) + m[1] + items + m[3] + schema.slice(m.index + m[0].length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, write] of [[DOC, withTable], [SCHEMA, withCodeEnum]] as const) {
    const text = readFileSync(file, 'utf8');
    const next = write(text);
    if (next !== text) writeFileSync(file, next);
    console.log(next === text ? `${file}: up to date` : `${file}: rewritten from the registry`);
  }
}
