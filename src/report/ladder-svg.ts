/**
 * A connection's ladder diagram as SVG: the picture every explanation of TCP's
 * handshake and teardown draws. Two vertical lines, client on the left and
 * server on the right; each frame an arrow from its sender to its receiver,
 * labelled with its frame number, flags and seq/ack/len as tcpdump prints them;
 * each endpoint's state written beside its own line where it changes;
 * anomalies written under the arrow that shows them.
 *
 * A pure formatter over a FlowRecord analysed with `events: true`: the states
 * are the events' "state after the frame", the same records `explain`'s
 * timeline prints. Plain SVG (text, lines, no script), the same bytes on every
 * run, colours from a style sheet that follows the viewer's light or dark
 * scheme.
 */

import type { EventRecord, FlowRecord } from '../tcp/record.ts';
import type { TcpState } from '../tcp/transitions.ts';
import { tcpdumpSeqAck } from './explain.ts';
import { bytesText, durationText, endpointText, grouped, nsBetween, parseStamp, type Stamp } from './text.ts';

/** Past this many frames the data phase collapses into labelled bands; handshake, close and anything noted stay whole. */
export const LADDER_FRAME_LIMIT = 200;
/** A gap between two drawn frames longer than this (seconds) is folded and labelled. */
export const IDLE_FOLD_S = 1;

/** The least width and line positions: a flow whose labels fit is drawn at these; longer labels widen the picture. */
const MIN_WIDTH = 780;
const MIN_CLIENT_X = 250;
const MIN_GAP = 340;
/** Advance of one character of the 12 px monospace text, and of the 14 px bold title (DejaVu Sans Mono: 0.602 em), rounded up. */
export const CHAR_W = 7.3;
export const TITLE_CHAR_W = 8.5;
const ROW = 40;
const SLANT = 14;
const FOLD_ROW = 26;
const TOP = 96;

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  // Control characters other than tab and newline are not allowed in XML 1.0 at all.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** One row of the diagram. */
type Row =
  | { readonly kind: 'frame'; readonly e: EventRecord; readonly client?: TcpState; readonly server?: TcpState }
  | { readonly kind: 'idle'; readonly seconds: number }
  | { readonly kind: 'band'; readonly first: number; readonly last: number; readonly count: number; readonly bytes: number; readonly seconds: number };

function stamp(iso: string): Stamp {
  return parseStamp(iso) ?? { sec: 0, nsec: 0 };
}

/** The states each endpoint was in before the first frame (as explain assumes them). */
export function ladderInitialStates(f: FlowRecord): { client: TcpState; server: TcpState } {
  return f.handshake.kind === 'not-observed' ? { client: 'UNKNOWN', server: 'UNKNOWN' } : { client: 'CLOSED', server: 'LISTEN' };
}

/** Frames that must be drawn whole: a state change, a note, SYN/FIN/RST, a zero window. */
function essential(e: EventRecord, prev: { client: TcpState; server: TcpState }): boolean {
  return e.client !== prev.client || e.server !== prev.server || e.notes.length > 0 || /[SFR]/.test(e.flags) || e.win === 0;
}

/** The rows: frames, collapsed data bands (past the limit) and folded idle gaps. */
export function ladderRows(f: FlowRecord): Row[] {
  const events = f.events ?? [];
  const collapse = events.length > LADDER_FRAME_LIMIT;
  const rows: Row[] = [];
  let prev = ladderInitialStates(f);
  let lastTime: Stamp | undefined;
  let run: EventRecord[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    const first = run[0]!;
    const last = run[run.length - 1]!;
    rows.push({
      kind: 'band', first: first.frame, last: last.frame, count: run.length,
      bytes: run.reduce((n, e) => n + e.len, 0), seconds: nsBetween(stamp(first.time), stamp(last.time)) / 1e9,
    });
    lastTime = stamp(last.time);
    run = [];
  };
  events.forEach((e, i) => {
    const keep = !collapse || i < 3 || i >= events.length - 3 || essential(e, prev);
    if (!keep) {
      run.push(e);
      prev = { client: e.client, server: e.server };
      return;
    }
    flush();
    const t = stamp(e.time);
    if (lastTime !== undefined) {
      const gap = nsBetween(lastTime, t) / 1e9;
      if (gap > IDLE_FOLD_S) rows.push({ kind: 'idle', seconds: gap });
    }
    lastTime = t;
    rows.push({
      kind: 'frame', e,
      ...(e.client !== prev.client ? { client: e.client } : {}),
      ...(e.server !== prev.server ? { server: e.server } : {}),
    });
    prev = { client: e.client, server: e.server };
  });
  flush();
  return rows;
}

/** Each endpoint's state sequence as the diagram writes it: its initial state, then each change. */
export function ladderStates(f: FlowRecord): { client: TcpState[]; server: TcpState[] } {
  const init = ladderInitialStates(f);
  const out = { client: [init.client], server: [init.server] };
  for (const r of ladderRows(f)) {
    if (r.kind !== 'frame') continue;
    if (r.client !== undefined) out.client.push(r.client);
    if (r.server !== undefined) out.server.push(r.server);
  }
  // And the state a timer reached after the last frame, drawn in a row of its own.
  for (const side of ['client', 'server'] as const) {
    const list = out[side];
    if (f.events !== undefined && f.events.length > 0 && list[list.length - 1] !== f[side].final_state) list.push(f[side].final_state);
  }
  return out;
}

const STYLE = `
svg{color-scheme:light dark}
.bg{fill:#ffffff}
text{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px;fill:#1a1a1a}
.title{font-size:14px;font-weight:bold}
.dim{fill:#5f6368}
.life{stroke:#1a1a1a;stroke-width:2}
.c2s{stroke:#1f5fbf;fill:#1f5fbf}
.s2c{stroke:#b35900;fill:#b35900}
text.c2s,text.s2c{stroke:none}
.arrow{stroke-width:1.6}
.state{font-weight:bold;fill:#1b7f3b}
.statebox{fill:#e8f5ec;stroke:#1b7f3b;stroke-width:1}
.anomaly{fill:#c5221f;font-weight:bold}
.anomalyline{stroke:#c5221f;stroke-width:3;stroke-opacity:0.35}
.fold{fill:#f1f3f4;stroke:#9aa0a6;stroke-dasharray:4 3}
.grid{stroke:#dadce0;stroke-width:1}
@media (prefers-color-scheme:dark){
.bg{fill:#1e1e1e}
text{fill:#e8eaed}
.dim{fill:#aab0b6}
.life{stroke:#e8eaed}
.c2s{stroke:#7cacf8;fill:#7cacf8}
.s2c{stroke:#fcad70;fill:#fcad70}
.state{fill:#81c995}
.statebox{fill:#1f3a27;stroke:#81c995}
.anomaly{fill:#f28b82}
.anomalyline{stroke:#f28b82}
.fold{fill:#2d2f31;stroke:#80868b}
.grid{stroke:#3c4043}
}`;

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function text(x: number, y: number, s: string, cls: string, anchor: 'start' | 'middle' | 'end' = 'start'): string {
  return `<text x="${num(x)}" y="${num(y)}" class="${cls}"${anchor === 'start' ? '' : ` text-anchor="${anchor}"`}>${xmlEscape(s)}</text>`;
}

/** Where the two lines stand and how wide the picture is. */
interface Geometry {
  readonly width: number;
  readonly clientX: number;
  readonly serverX: number;
}

/** Text width in px at CHAR_W a character (code points: an arrow or ⚠ is one). */
function textWidth(s: string, charW = CHAR_W): number {
  return [...s].length * charW;
}

/**
 * Sizes the picture from its labels: the client's line far enough in for its
 * address (centred over it) and its state boxes, the lines far enough apart
 * for the widest arrow label, note and both addresses, and the width for the
 * server's address and states and the header lines. A flow whose labels fit
 * the least sizes is drawn at exactly those.
 */
function geometry(labels: { client: string; server: string; between: readonly string[]; header: readonly string[]; title: string; states: readonly TcpState[] }): Geometry {
  const box = Math.max(...labels.states.map(stateBoxWidth));
  const clientX = Math.ceil(Math.max(MIN_CLIENT_X, 12 + textWidth(labels.client) / 2, 110 + 10 + box));
  const gap = Math.ceil(Math.max(MIN_GAP, 40 + Math.max(0, ...labels.between.map((t) => textWidth(t))), 24 + (textWidth(labels.client) + textWidth(labels.server)) / 2));
  const serverX = clientX + gap;
  const width = Math.ceil(Math.max(MIN_WIDTH, serverX + 10 + box + 20, serverX + textWidth(labels.server) / 2 + 12,
    20 + textWidth(labels.title, TITLE_CHAR_W) + 20, ...labels.header.map((t) => 20 + textWidth(t) + 20)));
  return { width, clientX, serverX };
}

function stateBoxWidth(state: TcpState): number {
  return state.length * CHAR_W + 12;
}

function stateLabel(g: Geometry, side: 'client' | 'server', state: TcpState, y: number, frame: number | undefined, why?: string): string {
  const w = stateBoxWidth(state);
  const x = side === 'client' ? g.clientX - 10 - w : g.serverX + 10;
  const title = why ?? (frame === undefined ? `${side} starts in ${state}` : `${side} enters ${state} at frame ${frame}`);
  return `<g><title>${xmlEscape(title)}</title><rect x="${num(x)}" y="${num(y - 13)}" width="${num(w)}" height="18" rx="4" class="statebox"/>`
    + `${text(x + 6, y, state, `state ${side}`)}</g>`;
}

/** Seconds as the fold labels print them: `61.2 s`, `850 ms`. */
function secondsText(s: number): string {
  return s >= 1 ? `${s.toFixed(1)} s` : durationText(s);
}

const CAPTURE_POINT: Record<string, string> = {
  client: 'capture point near the client: arrow times are the client\'s',
  server: 'capture point near the server: arrow times are the server\'s',
  'mid-path': 'capture point mid-path: arrow times are neither end\'s exactly',
};

/** Renders one flow's ladder diagram. */
export function ladderSvg(f: FlowRecord): string {
  const rows = ladderRows(f);
  const init = ladderInitialStates(f);
  const start = stamp(f.start);
  const body: string[] = [];
  let y = TOP + 28;
  const anomalyAt = new Map<number, string[]>();
  for (const a of f.anomalies) anomalyAt.set(a.frame, [...(anomalyAt.get(a.frame) ?? []), a.code]);
  const events = f.events ?? [];
  const lastEvent = events[events.length - 1];
  const late = lastEvent === undefined ? [] : (['client', 'server'] as const).filter((s) => f[s].final_state !== lastEvent[s]);
  const why = lastEvent === undefined ? '' : late.map((s) => `${s}: ${f[s].final_state_certain === false ? 'user timeout, read from silence'
    : lastEvent[s] === 'TIME_WAIT' ? 'TIME_WAIT ended, by 2 MSL or a new SYN' : 'a timer, after the last frame'}`).join('; ');
  const title = `Flow ${f.id}: client ${endpointText(f.client.addr, f.client.port)} → server ${endpointText(f.server.addr, f.server.port)}`;
  const summary = `${f.handshake.kind} → ${f.close.kind}; frames ${f.first_frame}-${f.last_frame}; ${events.length} frames from ${f.start}`;
  const cp = f.handshake.capture_point === null ? 'capture point unknown (no complete handshake)' : CAPTURE_POINT[f.handshake.capture_point] ?? '';
  const clientLabel = `client ${endpointText(f.client.addr, f.client.port)}`;
  const serverLabel = `server ${endpointText(f.server.addr, f.server.port)}`;
  // Every label that sits between the two lines: arrow labels, notes, the late row's reason.
  const between: string[] = [why];
  for (const r of rows) {
    if (r.kind !== 'frame') continue;
    between.push(arrowLabel(r.e));
    const codes = [...new Set([...r.e.notes, ...(anomalyAt.get(r.e.frame) ?? [])])];
    if (codes.length > 0) between.push(`⚠ ${codes.join(', ')}`);
  }
  const g = geometry({ client: clientLabel, server: serverLabel, between, header: [summary, cp], title, states: ladderStatesOf(f) });
  const WIDTH = g.width;
  const CLIENT_X = g.clientX;
  const SERVER_X = g.serverX;
  const mid = (CLIENT_X + SERVER_X) / 2;
  for (const r of rows) {
    if (r.kind === 'idle') {
      body.push(`<rect x="20" y="${y - 2}" width="${WIDTH - 40}" height="${FOLD_ROW - 6}" class="fold"/>`);
      body.push(text(mid, y + 13, `… ${secondsText(r.seconds)} idle …`, 'dim', 'middle'));
      y += FOLD_ROW;
      continue;
    }
    if (r.kind === 'band') {
      const h = ROW + 4;
      body.push(`<rect x="20" y="${y - 2}" width="${WIDTH - 40}" height="${h - 8}" class="fold"/>`);
      body.push(text(mid, y + 12, `frames ${r.first}-${r.last}: ${grouped(r.count)} segments of data transfer`, '', 'middle'));
      body.push(text(mid, y + 28, `${bytesText(r.bytes)} in ${durationText(r.seconds)} (collapsed)`, 'dim', 'middle'));
      y += h;
      continue;
    }
    const e = r.e;
    const c2s = e.dir === '>';
    const cls = c2s ? 'c2s' : 's2c';
    // An ICMP error from a router starts on the path between them, at a diamond for the router.
    const fromRouter = e.icmp?.by === 'router';
    const [x1, x2] = c2s ? [fromRouter ? mid : CLIENT_X, SERVER_X] : [fromRouter ? mid : SERVER_X, CLIENT_X];
    const y1 = y + 8;
    const y2 = y1 + SLANT;
    const t = nsBetween(start, stamp(e.time)) / 1e9;
    body.push(`<line x1="20" y1="${y1}" x2="${CLIENT_X - 4}" y2="${y1}" class="grid"/>`);
    body.push(text(24, y1 - 3, `${e.frame}`, 'dim'));
    body.push(text(24, y1 + 11, `${t.toFixed(6)} s`, 'dim'));
    const codes = [...new Set([...e.notes, ...(anomalyAt.get(e.frame) ?? [])])];
    if (codes.length > 0) body.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" class="anomalyline"/>`);
    const dx = c2s ? -9 : 9;
    if (e.icmp !== undefined) {
      const who = fromRouter ? `router ${e.icmp.from}` : c2s ? 'client' : 'server';
      body.push(`<g class="${cls}"><title>${xmlEscape(`frame ${e.frame}: ${who} → ${c2s ? 'server' : 'client'} ${e.flags} ${tcpdumpSeqAck(e)}`)}</title>`
        + (fromRouter ? `<path d="M${x1},${y1 - 6} l6,6 l-6,6 l-6,-6 z" class="${cls}"/>` : '')
        + `<line x1="${x1}" y1="${y1}" x2="${x2 + (c2s ? -1 : 1)}" y2="${y2}" class="arrow ${cls}" stroke-dasharray="5 3"/>`
        + `<path d="M${x2},${y2} l${dx},-6 l0,9 z" class="${cls}"/></g>`);
    } else {
      body.push(`<g class="${cls}"><title>${xmlEscape(`frame ${e.frame}: ${c2s ? 'client → server' : 'server → client'} ${e.flags} ${tcpdumpSeqAck(e)} len ${e.len} win ${e.win}`)}</title>`
        + `<line x1="${x1}" y1="${y1}" x2="${x2 + (c2s ? -1 : 1)}" y2="${y2}" class="arrow ${cls}"/>`
        + `<path d="M${x2},${y2} l${dx},-6 l0,9 z" class="${cls}"/></g>`);
    }
    // Above a router's diamond, which sits where the label would.
    body.push(text(mid, y1 - (fromRouter ? 9 : 3), arrowLabel(e), cls, 'middle'));
    if (codes.length > 0) body.push(text(mid, y2 + 13, `⚠ ${codes.join(', ')}`, 'anomaly', 'middle'));
    if (r.client !== undefined) body.push(stateLabel(g, 'client', r.client, y2 + 4, e.frame));
    if (r.server !== undefined) body.push(stateLabel(g, 'server', r.server, y2 + 4, e.frame));
    y += codes.length > 0 ? ROW + 10 : ROW;
  }
  // A state reached after the last frame, which no segment of this flow shows:
  // TIME_WAIT's 2 MSL running out or a new SYN on the tuple taking it over, or a
  // sender's user timeout read from the silence.
  if (lastEvent !== undefined && late.length > 0) {
    body.push(`<line x1="20" y1="${y + 8}" x2="${CLIENT_X - 4}" y2="${y + 8}" class="grid"/>`);
    body.push(text(24, y + 5, `after ${lastEvent.frame}`, 'dim'));
    for (const s of late) body.push(stateLabel(g, s, f[s].final_state, y + 12, undefined, `${s} reaches ${f[s].final_state} after the last frame (${why})`));
    body.push(text(mid, y + 12, why, 'dim', 'middle'));
    y += ROW;
  }
  const linesEnd = y + 4;
  // Legend.
  const legendY = linesEnd + 24;
  const legend = [
    `<line x1="24" y1="${legendY}" x2="60" y2="${legendY}" class="arrow c2s legend"/>`, text(66, legendY + 4, 'client → server', 'c2s'),
    `<line x1="200" y1="${legendY}" x2="236" y2="${legendY}" class="arrow s2c legend"/>`, text(242, legendY + 4, 'server → client', 's2c'),
    `<rect x="376" y="${legendY - 9}" width="22" height="16" rx="4" class="statebox"/>`, text(404, legendY + 4, 'state entered after that frame', 'dim'),
    text(24, legendY + 22, '⚠ code', 'anomaly'), text(84, legendY + 22, 'anomaly on that frame', 'dim'),
    `<rect x="266" y="${legendY + 12}" width="22" height="14" class="fold"/>`, text(294, legendY + 22, 'folded: idle time or collapsed data transfer', 'dim'),
    text(24, legendY + 40, 'seq/ack relative as tcpdump prints them; slant is schematic (one capture point sees each frame once)', 'dim'),
  ];
  // Only a flow with an ICMP error explains its dashed arrows (every other diagram stays as it was).
  const hasIcmp = rows.some((r) => r.kind === 'frame' && r.e.icmp !== undefined);
  if (hasIcmp) {
    legend.push(
      `<line x1="24" y1="${legendY + 54}" x2="60" y2="${legendY + 54}" class="arrow s2c legend" stroke-dasharray="5 3"/>`,
      text(66, legendY + 58, 'ICMP error about the segment it quotes, from a router (◆) or the peer itself', 'dim'),
    );
  }
  const height = legendY + (hasIcmp ? 72 : 54);
  const head = [
    text(20, 24, title, 'title'),
    text(20, 42, summary, 'dim'),
    text(20, 58, cp, 'dim'),
    text(CLIENT_X, TOP - 8, clientLabel, '', 'middle'),
    text(SERVER_X, TOP - 8, serverLabel, '', 'middle'),
    `<line x1="${CLIENT_X}" y1="${TOP}" x2="${CLIENT_X}" y2="${linesEnd}" class="life"/>`,
    `<line x1="${SERVER_X}" y1="${TOP}" x2="${SERVER_X}" y2="${linesEnd}" class="life"/>`,
    stateLabel(g, 'client', init.client, TOP + 16, undefined),
    stateLabel(g, 'server', init.server, TOP + 16, undefined),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${xmlEscape(title)}">`,
    `<title>${xmlEscape(title)}</title>`,
    `<style>${STYLE}\n</style>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" class="bg"/>`,
    ...head,
    ...body,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

/** The label above a frame's arrow: flags and seq/ack as tcpdump prints them, the length, a zero window. */
function arrowLabel(e: EventRecord): string {
  const seqAck = tcpdumpSeqAck(e);
  if (e.icmp !== undefined) return `${e.flags} ${seqAck}`;
  return `${e.flags}${seqAck === '' ? '' : ` ${seqAck}`}${e.len > 0 ? `, length ${e.len}` : ''}${e.win === 0 ? ', win 0' : ''}`;
}

/** Every state the diagram writes in a box, either side. */
function ladderStatesOf(f: FlowRecord): TcpState[] {
  const s = ladderStates(f);
  return [...s.client, ...s.server];
}
