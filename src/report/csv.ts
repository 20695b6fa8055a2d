/** `--format csv`: one row per flow for spreadsheets and `xsv`/`csvkit` (RFC 4180 quoting). */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { formatWith, type FlowFormat } from './flow-format.ts';
import { matchesFilter } from './text.ts';

const COLUMNS: readonly (readonly [string, (f: FlowRecord) => string | number | null])[] = [
  ['id', (f) => f.id],
  ['client_addr', (f) => f.client.addr],
  ['client_port', (f) => f.client.port],
  ['server_addr', (f) => f.server.addr],
  ['server_port', (f) => f.server.port],
  ['roles', (f) => f.roles],
  ['start', (f) => f.start],
  ['duration_s', (f) => f.duration_s],
  ['first_frame', (f) => f.first_frame],
  ['last_frame', (f) => f.last_frame],
  ['client_frames', (f) => f.client.frames],
  ['server_frames', (f) => f.server.frames],
  ['client_bytes', (f) => f.client.payload_bytes],
  ['server_bytes', (f) => f.server.payload_bytes],
  ['handshake', (f) => f.handshake.kind],
  ['rtt_ms', (f) => f.handshake.rtt_ms],
  ['close', (f) => f.close.kind],
  ['initiator', (f) => f.close.initiator],
  ['client_state', (f) => f.client.final_state],
  ['server_state', (f) => f.server.final_state],
  ['client_outcome', (f) => f.outcome.client],
  ['server_outcome', (f) => f.outcome.server],
  // One value per Zeek row, space-separated when Zeek splits the flow (docs/zeek.md).
  ['conn_state', (f) => f.zeek.map((z) => z.conn_state).join(' ')],
  ['history', (f) => f.zeek.map((z) => z.history).join(' ')],
  ['anomalies', (f) => [...new Set(f.anomalies.map((a) => a.code))].join(';')],
];

function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The header row (no line end). */
export const CSV_HEADER = COLUMNS.map(([name]) => name).join(',');

/** One flow's row (no line end). */
export function formatCsvRow(f: FlowRecord): string {
  return COLUMNS.map(([, get]) => cell(get(f))).join(',');
}

/** The header row, then a row per listed flow; LF line ends (as Unix tools expect), no CRLF. */
export const csvFormat: FlowFormat = {
  writer: ({ filter = {} }) => ({
    flow: (f) => (matchesFilter(f, filter) ? formatCsvRow(f) : undefined),
    document: (_result, count) => ({ head: `${CSV_HEADER}\n`, separator: '\n', tail: () => (count > 0 ? '\n' : '') }),
  }),
};

/** The CSV of every flow of `result`. */
export function formatCsv(result: AnalysisResult): string {
  return formatWith(csvFormat, result);
}
