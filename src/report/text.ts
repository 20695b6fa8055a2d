/**
 * The human-readable `flows` table: one line per flow with its verdict, then a
 * summary block. Plain text, aligned columns; colour is the CLI's business.
 */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';

/** `addr:port`, IPv6 in brackets. */
export function endpointText(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** The one-phrase verdict of a flow, e.g. `three-way → four-way (client first)`. */
export function verdict(f: FlowRecord): string {
  const h = f.handshake.kind;
  const c = f.close;
  if (c.kind === 'none') return h;
  const who = c.initiator === null ? '' : c.initiator === 'both' ? ' (both at once)' : ` (${c.initiator} first)`;
  return `${h} → ${c.kind}${who}`;
}

function duration(s: number): string {
  return s >= 100 ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`;
}

function anomalyText(f: FlowRecord): string {
  const counts = new Map<string, number>();
  for (const a of f.anomalies) counts.set(a.code, (counts.get(a.code) ?? 0) + 1);
  for (const [code, n] of Object.entries(f.anomalies_not_listed ?? {})) counts.set(code, (counts.get(code) ?? 0) + n);
  if (counts.size === 0) return '-';
  return [...counts].map(([code, n]) => (n > 1 ? `${code}×${n}` : code)).join(',');
}

/** Pads every column of `rows` to its widest cell. */
export function alignColumns(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, [...cell].length); });
  return rows.map((r) => r.map((cell, i) => {
    const pad = ' '.repeat((widths[i] ?? 0) - [...cell].length);
    if (i === r.length - 1) return rightAligned.has(i) ? pad + cell : cell;
    return rightAligned.has(i) ? pad + cell : cell + pad;
  }).join('  ').trimEnd());
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The flows table and summary. */
export function formatText(result: AnalysisResult): string {
  const header = ['ID', 'CLIENT', '', 'SERVER', 'PKTS C/S', 'BYTES C/S', 'FRAMES', 'DURATION', 'VERDICT', 'STATES C/S', 'ANOMALIES'];
  const rows: string[][] = [header];
  for (const f of result.flows) {
    rows.push([
      String(f.id),
      endpointText(f.client.addr, f.client.port),
      '→',
      endpointText(f.server.addr, f.server.port),
      `${f.client.frames}/${f.server.frames}`,
      `${f.client.payload_bytes}/${f.server.payload_bytes}`,
      `${f.first_frame}-${f.last_frame}`,
      duration(f.duration_s),
      verdict(f),
      `${f.client.final_state}/${f.server.final_state}`,
      anomalyText(f),
    ]);
  }
  const lines = alignColumns(rows, new Set([0, 4, 5, 7]));
  const s = result.summary;
  lines.push('');
  const skipped = Object.entries(s.skipped).map(([k, n]) => `${n} ${k}`).join(', ');
  lines.push(`${plural(s.frames, 'frame')}, ${plural(s.tcp_segments, 'TCP segment')}, ${plural(s.flows, 'flow')}${skipped === '' ? '' : `; skipped: ${skipped}`}`);
  const list = (m: Record<string, number>): string => Object.entries(m).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  lines.push(`handshakes: ${list(s.handshakes)}`);
  lines.push(`closes:     ${list(s.closes)}`);
  lines.push(`anomalies:  ${list(s.anomalies)}`);
  return `${lines.join('\n')}\n`;
}
