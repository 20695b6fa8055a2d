/**
 * The human-readable `flows` table: one line per flow with its verdict, then a
 * summary block. Aligned columns whose plain text never changes with colour:
 * widths are measured on the plain cells and paint goes on afterwards, so a
 * terminal shows the same layout a file gets.
 *
 * Also the helpers every human-readable report shares: endpoint text, the
 * verdict, durations, exact timestamps, and the flow filters of every command.
 */

import { canonicalAddr, hostPort } from '../decode/address.ts';
import type { AnalysisResult, SynFloodRecord } from '../analyze.ts';
import type { AnomalyRecord, FlowRecord } from '../tcp/record.ts';
import type { Severity } from '../tcp/anomalies/registry.ts';
import { STATES, type TcpState } from '../tcp/transitions.ts';
import { PLAIN, severityPaint, statePaint, type Paint, type Painter } from './color.ts';
import { formatWith, type FlowFormat } from './flow-format.ts';

/** `addr:port`, IPv6 in brackets. */
export function endpointText(addr: string, port: number): string {
  return hostPort(addr, port);
}

/** The CLOSE_WAIT a flow is stuck in, from its `stuck-close-wait` finding (the first, if both sides were). */
export function stuckCloseWait(f: FlowRecord): { side: string; waited: number; closed: boolean } | undefined {
  const a = f.anomalies.find((x) => x.code === 'stuck-close-wait');
  if (a === undefined || a.side === null) return undefined;
  const waited = a.details?.['waited_s'];
  return { side: a.side, waited: typeof waited === 'number' ? waited : 0, closed: a.details?.['closed'] === true };
}

/**
 * The one-phrase verdict of a flow, e.g. `three-way → four-way (client first)`.
 * A CLOSE_WAIT that outlasted --stuck-after (or the capture) is the headline:
 * `three-way → server stuck in CLOSE_WAIT ≥42.9 ms` while it lasts (≥: the
 * capture ended first, so it lasted at least that long), or the close kind
 * followed by how long it was stuck when the application closed at last.
 */
export function verdict(f: FlowRecord): string {
  const h = f.handshake.kind;
  const c = f.close;
  if (c.kind === 'none') return h;
  const stuck = stuckCloseWait(f);
  if (stuck !== undefined && !stuck.closed) return `${h} → ${stuck.side} stuck in CLOSE_WAIT ≥${duration(stuck.waited)}`;
  // No FIN or RST, but one side's retransmissions died into silence (tcp/silence.ts).
  const timedOut = c.kind === 'open' ? f.anomalies.find((a) => a.code === 'retransmission-timeout') : undefined;
  if (timedOut !== undefined) return `${h} → timed out (${timedOut.side === 'client' ? 'server' : 'client'} gave up)`;
  const who = c.initiator === null ? '' : c.initiator === 'both' ? ' (both at once)' : ` (${c.initiator} first)`;
  const after = stuck === undefined ? '' : `, ${stuck.side} stuck in CLOSE_WAIT ${duration(stuck.waited)}`;
  return `${h} → ${c.kind}${who}${after}`;
}

/** A duration for a table cell: `0.1 ms`, `43.0 ms`, `2.03 s`, `150 s`. */
export function duration(s: number): string {
  return s >= 100 ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`;
}

/** A duration for prose, with precision that suits the magnitude: `0.013 ms`, `42.9 ms`, `1.52 s`, `41.2 s`. */
export function durationText(s: number): string {
  if (s >= 10) return `${s.toFixed(1)} s`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 0.001) return `${(s * 1000).toFixed(1)} ms`;
  return `${(s * 1000).toFixed(3)} ms`;
}

/** `1,204`: digits grouped by thousands, independent of the machine's locale. */
export function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes in SI units as people say them: `512 B`, `62.0 kB`, `1.6 MB`. */
export function bytesText(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** An exact capture timestamp: whole seconds and nanoseconds, as the JSON's ISO strings carry them. */
export interface Stamp {
  readonly sec: number;
  readonly nsec: number;
}

/**
 * Parses the ISO-8601 UTC times synfin prints (`2026-11-26T02:12:12.191893Z`)
 * without going through a float of epoch seconds, which cannot hold
 * microseconds exactly. A time without a zone is taken as UTC, as tcpdump
 * prints with TZ=UTC. Undefined when it is not a time.
 */
export function parseStamp(iso: string): Stamp | undefined {
  const fast = parseUtcStamp(iso);
  if (fast !== undefined) return fast;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/.exec(iso.trim());
  if (m === null) return undefined;
  // Other forms than synfin's own come from a user's --at or another tool, a time or a few: no cache of the second.
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  if (Number.isNaN(ms)) return undefined;
  return { sec: Math.floor(ms / 1000), nsec: Number((m[2] ?? '').padEnd(9, '0')) };
}

/** parseUtcStamp's last whole-second text (the 19 characters before the fraction) and its Date.parse in seconds: a flow's events mostly fall in one second. */
let lastSecondText = '';
let lastSecond = NaN;

/**
 * parseStamp for exactly the form synfin writes (`2026-11-26T02:12:12.191893Z`,
 * a fraction of 1 to 9 digits or none), read character by character: netstat
 * and explain parse every timeline entry's time, and the regular expression,
 * the padding and the strings it made were most of what that cost. Undefined
 * for any other form (parseStamp then reads it in full).
 */
function parseUtcStamp(iso: string): Stamp | undefined {
  const n = iso.length;
  if (n < 20 || n > 30 || iso.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (n > 20 ? iso.charCodeAt(19) !== 46 /* . */ || n === 21 : iso.charCodeAt(19) !== 90) return undefined;
  let nsec = 0;
  for (let i = 20; i < n - 1; i++) {
    const d = iso.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    nsec = nsec * 10 + d;
  }
  for (let i = n - 1; i < 29; i++) nsec *= 10;
  if (!iso.startsWith(lastSecondText) || lastSecondText === '') {
    for (let i = 0; i < 19; i++) {
      const c = iso.charCodeAt(i);
      const ok = i === 4 || i === 7 ? c === 45 /* - */ : i === 10 ? c === 84 /* T */ : i === 13 || i === 16 ? c === 58 /* : */ : c >= 48 && c <= 57;
      if (!ok) return undefined;
    }
    lastSecondText = iso.slice(0, 19);
    const ms = Date.parse(`${lastSecondText}Z`);
    lastSecond = Number.isNaN(ms) ? NaN : Math.floor(ms / 1000);
  }
  if (Number.isNaN(lastSecond)) return undefined;
  return { sec: lastSecond, nsec };
}

/** Nanoseconds from `a` to `b`: exact for spans up to about 104 days. */
export function nsBetween(a: Stamp, b: Stamp): number {
  return (b.sec - a.sec) * 1e9 + (b.nsec - a.nsec);
}

/** Compares two stamps (negative when a is earlier). */
export function compareStamps(a: Stamp, b: Stamp): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

/** Digits after the decimal point in a printed time: the capture's precision. */
export function fractionDigits(iso: string): number {
  return /\.(\d+)/.exec(iso)?.[1]?.length ?? 0;
}

/** A non-negative span of nanoseconds as seconds with `digits` decimals, exactly: `0.000026`. */
export function secondsFixed(ns: number, digits: number): string {
  const sign = ns < 0 ? '-' : '';
  const abs = Math.abs(Math.round(ns));
  const whole = Math.floor(abs / 1e9);
  if (digits === 0) return `${sign}${whole}`;
  const frac = String(abs % 1e9).padStart(9, '0').slice(0, digits);
  return `${sign}${whole}.${frac}`;
}

// ---------------------------------------------------------------------------
// Filters (every command: --host --port --state --kind --anomaly --flow)

/** Which flows a command shows. Every given criterion must hold (like tcpdump's `host H and port P`). */
export interface FlowFilter {
  /** Either endpoint's address. */
  readonly host?: string;
  /** Either endpoint's port. */
  readonly port?: number;
  /** Either endpoint's final state. */
  readonly state?: TcpState;
  /** The handshake kind or the close kind. */
  readonly kind?: string;
  /** An anomaly code the flow has (listed or only counted). */
  readonly anomaly?: string;
  /** Flow ids. */
  readonly flow?: readonly number[];
  /** An encapsulation the flow came through (`GRE`, `VXLAN`, …; case-insensitive). */
  readonly via?: string;
}

/** A flow's encapsulations as text (`GRE > VXLAN`), or '' for a plain flow. */
export function viaText(f: FlowRecord): string {
  return f.via === undefined || f.via.length === 0 ? '' : f.via.join(' > ');
}


/** Spellings of states people type: RFC 9293's, netstat's (`FIN_WAIT2`, `SYN_RECV`) and ss's (`ESTAB`, `TIME-WAIT`). */
const STATE_ALIASES: Record<string, TcpState> = {
  ESTAB: 'ESTABLISHED', SYN_RECV: 'SYN_RECEIVED', FIN_WAIT1: 'FIN_WAIT_1', FIN_WAIT2: 'FIN_WAIT_2', CLOSE: 'CLOSED',
};

/** A state name in any of the usual spellings, or undefined. */
export function parseStateName(s: string): TcpState | undefined {
  const u = s.trim().toUpperCase().replace(/-/g, '_');
  if ((STATES as readonly string[]).includes(u)) return u as TcpState;
  return STATE_ALIASES[u];
}

/** Whether a flow passes the filter. */
export function matchesFilter(f: FlowRecord, filter: FlowFilter): boolean {
  if (filter.flow !== undefined && !filter.flow.includes(f.id)) return false;
  if (filter.host !== undefined) {
    const h = canonicalAddr(filter.host);
    if (f.client.addr !== h && f.server.addr !== h) return false;
  }
  if (filter.port !== undefined && f.client.port !== filter.port && f.server.port !== filter.port) return false;
  if (filter.state !== undefined && f.client.final_state !== filter.state && f.server.final_state !== filter.state) return false;
  if (filter.kind !== undefined && f.handshake.kind !== filter.kind && f.close.kind !== filter.kind) return false;
  if (filter.anomaly !== undefined) {
    const code = filter.anomaly;
    if (!f.anomalies.some((a) => a.code === code) && (f.anomalies_not_listed?.[code] ?? 0) === 0) return false;
  }
  if (filter.via !== undefined) {
    const want = filter.via.toLowerCase();
    if (!(f.via ?? []).some((v) => v.toLowerCase() === want)) return false;
  }
  return true;
}

/** Whether the filter selects anything at all (an empty one keeps every flow). */
export function isFiltering(filter: FlowFilter): boolean {
  return Object.values(filter).some((v) => v !== undefined);
}

/** The filter as the options that made it, for "shown: 3 of 200 flows (--port 9505)". */
export function describeFilter(filter: FlowFilter): string {
  const parts: string[] = [];
  if (filter.host !== undefined) parts.push(`--host ${filter.host}`);
  if (filter.port !== undefined) parts.push(`--port ${filter.port}`);
  if (filter.state !== undefined) parts.push(`--state ${filter.state}`);
  if (filter.kind !== undefined) parts.push(`--kind ${filter.kind}`);
  if (filter.anomaly !== undefined) parts.push(`--anomaly ${filter.anomaly}`);
  if (filter.flow !== undefined) parts.push(`--flow ${filter.flow.join(',')}`);
  if (filter.via !== undefined) parts.push(`--via ${filter.via}`);
  return parts.join(' ');
}

// ---------------------------------------------------------------------------
// The table

/** Every anomaly of a flow counted by code, in order of first appearance, with the severity it was reported at. */
export function anomalyCounts(f: FlowRecord): Map<string, { n: number; severity: Severity | undefined }> {
  const counts = new Map<string, { n: number; severity: Severity | undefined }>();
  for (const a of f.anomalies) {
    const c = counts.get(a.code);
    // A code reported at several severities (tuple-reuse) counts at the gravest.
    if (c === undefined) counts.set(a.code, { n: 1, severity: a.severity });
    else counts.set(a.code, { n: c.n + 1, severity: graver(c.severity, a.severity) });
  }
  for (const [code, n] of Object.entries(f.anomalies_not_listed ?? {})) {
    const c = counts.get(code);
    counts.set(code, { n: (c?.n ?? 0) + n, severity: c?.severity });
  }
  return counts;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function graver(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[b] > RANK[a] ? b : a;
}

/** The gravest severity among a flow's anomalies. */
export function flowSeverity(f: FlowRecord): Severity | undefined {
  let s: Severity | undefined;
  for (const a of f.anomalies) s = graver(s, a.severity);
  return s;
}

function anomalyText(f: FlowRecord, p: Painter): { plain: string; painted: string } {
  const counts = anomalyCounts(f);
  if (counts.size === 0) return { plain: '-', painted: p.dim('-') };
  const cells = [...counts].map(([code, { n, severity }]) => {
    const text = n > 1 ? `${code}×${n}` : code;
    return { text, painted: severityPaint(p, severity)(text) };
  });
  return { plain: cells.map((c) => c.text).join(','), painted: cells.map((c) => c.painted).join(',') };
}

/** A cell of an aligned table: its plain text, which sets the width, and how it is shown. */
export type Cell = string | { readonly text: string; readonly paint: Paint };

function cellText(c: Cell): string {
  return typeof c === 'string' ? c : c.text;
}

/**
 * Pads every column of `rows` to its widest cell. Widths count code points of
 * the plain text; a cell's paint wraps its text only, never the padding, so
 * coloured and plain tables line up the same.
 */
export function alignColumns(rows: readonly (readonly Cell[])[], rightAligned: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const r of rows) widen(widths, r.map(renderCell));
  return rows.map((r) => alignRow(r.map(renderCell), widths, rightAligned));
}

/** A cell as text (which sets its width) and as shown (painted). */
export interface RenderedCell {
  readonly text: string;
  readonly shown: string;
}

/** A cell's plain text and how it is shown. */
export function renderCell(cell: Cell): RenderedCell {
  const text = cellText(cell);
  return { text, shown: typeof cell === 'string' ? cell : cell.paint(text) };
}

/** Widens `widths` (code points per column) to fit a row. */
export function widen(widths: number[], row: readonly RenderedCell[]): void {
  row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, codePoints(cell.text)); });
}

/** One row of an aligned table, padded to `widths` (see alignColumns). */
export function alignRow(row: readonly RenderedCell[], widths: readonly number[], rightAligned: ReadonlySet<number>): string {
  const cells = row.map(({ text, shown }, i) => {
    const pad = ' '.repeat((widths[i] ?? 0) - codePoints(text));
    if (i === row.length - 1) return rightAligned.has(i) ? pad + shown : shown;
    return rightAligned.has(i) ? pad + shown : shown + pad;
  });
  // Trailing blanks of empty last cells go; a painted last cell keeps its own spaces.
  return withoutTrailingSpaces(cells.join('  '));
}

/** `s.replace(/ +$/, '')` without the regular expression, which tried each run of spaces in a padded row as the last. */
function withoutTrailingSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Columns a string takes: `[...s].length` without the array: a low surrogate after a high one is half of one code point. */
export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const before = s.charCodeAt(i - 1);
      if (before >= 0xd800 && before <= 0xdbff) n--;
    }
  }
  return n;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `(1 error, 3 warnings)`: every finding of the capture by severity, gravest first. */
export function severityTally(flows: readonly FlowRecord[]): string {
  const tally = new SeverityTally();
  for (const f of flows) tally.add(f);
  return tally.text();
}

/** severityTally counted a flow at a time. */
export class SeverityTally {
  private readonly by: Record<Severity, number> = { error: 0, warning: 0, info: 0 };

  add(f: FlowRecord): void {
    for (const { n, severity } of anomalyCounts(f).values()) this.by[severity ?? 'info'] += n;
  }

  text(): string {
    const by = this.by;
    const parts = (['error', 'warning', 'info'] as const).filter((s) => by[s] > 0).map((s) => (s === 'info' ? `${by[s]} info` : plural(by[s], s)));
    return parts.length === 0 ? '' : `(${parts.join(', ')})`;
  }
}

/** How formatText renders. */
export interface TextOptions {
  readonly painter?: Painter;
  /** Only flows passing this are listed; the summary still describes the whole capture. */
  readonly filter?: FlowFilter;
}

function verdictPaint(f: FlowRecord, p: Painter): Paint {
  const sev = flowSeverity(f);
  if (sev === 'error') return p.bad;
  if (sev === 'warning' || f.close.kind === 'reset') return p.warn;
  return f.close.kind === 'open' || f.close.kind === 'none' ? (s) => s : p.good;
}

/** Columns of the flows table aligned to the right (numbers). */
export const TEXT_RIGHT_ALIGNED: ReadonlySet<number> = new Set([0, 4, 5, 7]);

/** The flows table's heading row. */
export function textHeader(p: Painter = PLAIN): Cell[] {
  return ['ID', 'CLIENT', '', 'SERVER', 'PKTS C/S', 'BYTES C/S', 'FRAMES', 'DURATION', 'VERDICT', 'STATES C/S', 'ANOMALIES']
    .map((h): Cell => ({ text: h, paint: p.heading }));
}

/** One flow's row of the flows table. */
export function textRow(f: FlowRecord, p: Painter = PLAIN): Cell[] {
  const anomalies = anomalyText(f, p);
  // `*`: a final state the capture cannot prove (explain says why).
  const mark = (side: 'client' | 'server'): string => (f[side].final_state_certain === false ? '*' : '');
  const states: Cell = {
    text: `${f.client.final_state}${mark('client')}/${f.server.final_state}${mark('server')}`,
    paint: () => `${statePaint(p, f.client.final_state)(f.client.final_state)}${mark('client')}/${statePaint(p, f.server.final_state)(f.server.final_state)}${mark('server')}`,
  };
  return [
    String(f.id),
    endpointText(f.client.addr, f.client.port),
    '→',
    // Only a tunnelled flow says so, so plain captures' tables stay as they were.
    viaText(f) === '' ? endpointText(f.server.addr, f.server.port) : `${endpointText(f.server.addr, f.server.port)} via ${viaText(f)}`,
    `${f.client.frames}/${f.server.frames}`,
    `${f.client.payload_bytes}/${f.server.payload_bytes}`,
    `${f.first_frame}-${f.last_frame}`,
    duration(f.duration_s),
    { text: verdict(f), paint: verdictPaint(f, p) },
    states,
    { text: anomalies.plain, paint: () => anomalies.painted },
  ];
}

/** What the summary under the table needs besides the result's summary. */
export interface TextTotals {
  /** Flows listed (after the filter) and flows in all. */
  readonly shown: number;
  readonly flows: number;
  /** SeverityTally.text() over every flow. */
  readonly severities: string;
  readonly filter: FlowFilter;
  /** Listed flows with a final state marked `*` (hasInferredState). */
  readonly inferred?: number;
}

/** True when either final state is an inference the capture cannot prove (marked `*`). */
export function hasInferredState(f: FlowRecord): boolean {
  return f.client.final_state_certain === false || f.server.final_state_certain === false;
}

/** The lines under the flows table: counts, kinds, anomalies by severity, SYN floods. */
export function textSummary(s: AnalysisResult['summary'], t: TextTotals): string[] {
  const lines: string[] = [''];
  const skipped = Object.entries(s.skipped).map(([k, n]) => `${n} ${k}`).join(', ');
  lines.push(`${plural(s.frames, 'frame')}, ${plural(s.tcp_segments, 'TCP segment')}, ${plural(s.flows, 'flow')}${skipped === '' ? '' : `; skipped: ${skipped}`}`);
  if (isFiltering(t.filter)) lines.push(`shown:      ${t.shown} of ${plural(t.flows, 'flow')} (${describeFilter(t.filter)})`);
  const list = (m: Record<string, number>): string => Object.entries(m).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  lines.push(`handshakes: ${list(s.handshakes)}`);
  lines.push(`closes:     ${list(s.closes)}`);
  lines.push(`anomalies:  ${list(s.anomalies)}${t.severities === '' ? '' : ` ${t.severities}`}`);
  for (const fl of s.syn_floods ?? []) lines.push(synFloodLine(fl));
  if ((t.inferred ?? 0) > 0) lines.push(`states:     * inferred, not seen in the capture (${plural(t.inferred!, 'flow')}; \`synfin explain --flow N\` says why)`);
  return lines;
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

/**
 * The flows table, a row per listed flow, and the summary under it. Column
 * widths grow as the rows come; each row's text is its cells, padded to the
 * final widths when the table is printed.
 */
export const textFormat: FlowFormat = {
  writer({ filter = {}, painter = PLAIN, columns }) {
    const header = textHeader(painter).map(renderCell);
    const widths: number[] = [];
    widen(widths, header);
    const severities = new SeverityTally();
    let flows = 0;
    let inferred = 0;
    return {
      flow(f) {
        flows++;
        severities.add(f);
        if (!matchesFilter(f, filter)) return undefined;
        if (hasInferredState(f)) inferred++;
        const row = textRow(f, painter).map(renderCell);
        widen(widths, row);
        // A cell shown as its text is held once.
        return JSON.stringify(row.map((c) => (c.shown === c.text ? [c.text] : [c.text, c.shown])));
      },
      document(result, count) {
        // On a terminal, the columns that fit it (fitColumns); a file or a pipe gets every column whole.
        const { keep, caps } = columns === undefined ? { keep: widths.map((_, i) => i), caps: new Map<number, number>() } : fitColumns(widths, columns);
        const keptWidths = keep.map((i) => Math.min(widths[i]!, caps.get(i) ?? Infinity));
        const right = new Set(keep.flatMap((c, k) => (TEXT_RIGHT_ALIGNED.has(c) ? [k] : [])));
        const line = (row: readonly RenderedCell[]): string => `${alignRow(keep.map((i) => capCell(row[i]!, caps.get(i))), keptWidths, right)}\n`;
        return {
          head: line(header),
          separator: '',
          each: (text) => line((JSON.parse(text) as string[][]).map(([t, shown]): RenderedCell => ({ text: t!, shown: shown ?? t! }))),
          tail: () => `${textSummary(result.summary, { shown: count, flows, severities: severities.text(), filter, inferred }).join('\n')}\n`,
        };
      },
    };
  },
};

/** The flows table and summary of `result`. */
export function formatText(result: AnalysisResult, options: TextOptions = {}): string {
  return formatWith(textFormat, result, options);
}

export function synFloodLine(fl: SynFloodRecord): string {
  const target = hostPort(fl.target.addr, fl.target.port);
  const rate = fl.rate_per_s >= 100 ? Math.round(fl.rate_per_s).toString() : fl.rate_per_s.toString();
  return `syn flood:  ${target} ← ${fl.syns} SYN${fl.syns === 1 ? '' : 's'} from ${fl.sources} source${fl.sources === 1 ? '' : 's'} in ${fl.duration_s.toFixed(2)} s (${rate}/s), ${fl.half_open} half-open`;
}

/** Severity of each anomaly code as this flow reported it (the gravest when it varies). */
export function severityOf(anomalies: readonly AnomalyRecord[]): Map<string, Severity> {
  const m = new Map<string, Severity>();
  for (const a of anomalies) m.set(a.code, graver(m.get(a.code), a.severity) ?? a.severity);
  return m;
}
