/**
 * RFC 9293's state diagram as SVG (the eleven states laid out as the RFC and
 * textbooks draw them, with their transitions), with the path each endpoint
 * of one flow took drawn over it in its own colour, each step labelled with
 * the frame that caused it. The steps are the ladder's state changes, from
 * the same event records as `explain`'s timeline.
 */

import type { FlowRecord } from '../tcp/record.ts';
import type { TcpState } from '../tcp/transitions.ts';
import { ladderInitialStates, ladderRows, TITLE_CHAR_W, xmlEscape } from './ladder-svg.ts';
import { endpointText } from './text.ts';

const POS: Record<TcpState, [number, number]> = {
  UNKNOWN: [660, 40], CLOSED: [380, 40], LISTEN: [380, 130], SYN_RECEIVED: [150, 220], SYN_SENT: [610, 220],
  ESTABLISHED: [380, 310], FIN_WAIT_1: [150, 400], CLOSE_WAIT: [610, 400], FIN_WAIT_2: [150, 500],
  CLOSING: [380, 500], LAST_ACK: [610, 500], TIME_WAIT: [380, 590],
};

/** CLOSED drawn a second time at the bottom, as RFC 9293's figure 5 does: where a connection ends. */
const CLOSED_END: [number, number] = [610, 590];

/** Where a state is drawn: CLOSED after the connection got past the handshake is the bottom one. */
function at(s: TcpState, late: boolean): [number, number] {
  return s === 'CLOSED' && late ? CLOSED_END : POS[s];
}

/** Height of the title's band above the diagram. */
const TITLE_BAND = 24;

const EARLY = new Set<TcpState>(['UNKNOWN', 'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED']);

/** RFC 9293 figure 5's transitions. */
export const RFC_TRANSITIONS: readonly [TcpState, TcpState][] = [
  ['CLOSED', 'LISTEN'], ['LISTEN', 'CLOSED'], ['CLOSED', 'SYN_SENT'], ['LISTEN', 'SYN_SENT'], ['LISTEN', 'SYN_RECEIVED'],
  ['SYN_SENT', 'SYN_RECEIVED'], ['SYN_RECEIVED', 'LISTEN'], ['SYN_SENT', 'CLOSED'], ['SYN_RECEIVED', 'ESTABLISHED'],
  ['SYN_SENT', 'ESTABLISHED'], ['SYN_RECEIVED', 'FIN_WAIT_1'], ['ESTABLISHED', 'FIN_WAIT_1'], ['ESTABLISHED', 'CLOSE_WAIT'],
  ['FIN_WAIT_1', 'FIN_WAIT_2'], ['FIN_WAIT_1', 'CLOSING'], ['FIN_WAIT_1', 'TIME_WAIT'], ['FIN_WAIT_2', 'TIME_WAIT'],
  ['CLOSING', 'TIME_WAIT'], ['CLOSE_WAIT', 'LAST_ACK'], ['LAST_ACK', 'CLOSED'], ['TIME_WAIT', 'CLOSED'],
];

/** One step an endpoint took: from, to, and the frame that moved it. */
export interface Step {
  readonly side: 'client' | 'server';
  readonly from: TcpState;
  readonly to: TcpState;
  readonly frame: number;
}

/** Each endpoint's steps, in frame order. */
export function walkedSteps(f: FlowRecord): Step[] {
  const cur = ladderInitialStates(f);
  const steps: Step[] = [];
  for (const r of ladderRows(f)) {
    if (r.kind !== 'frame') continue;
    for (const side of ['client', 'server'] as const) {
      const to = r[side];
      if (to === undefined) continue;
      steps.push({ side, from: cur[side], to, frame: r.e.frame });
      cur[side] = to;
    }
  }
  // A timer's step after the last frame (2 MSL, or a user timeout read from silence), as the ladder draws it.
  const last = f.events?.[f.events.length - 1];
  for (const side of ['client', 'server'] as const) {
    if (last !== undefined && f[side].final_state !== cur[side]) steps.push({ side, from: cur[side], to: f[side].final_state, frame: last.frame });
  }
  return steps;
}

const STYLE = `
.bg{fill:#fff}text{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;fill:#1a1a1a}
.title{font-size:14px;font-weight:bold}.dim{fill:#5f6368}
.node{fill:#f1f3f4;stroke:#5f6368;stroke-width:1.2}.node.used{stroke-width:2.2;stroke:#1a1a1a}
.edge{stroke:#bdc1c6;stroke-width:1.2;fill:none}.edgehead{fill:#bdc1c6}
.client{stroke:#1f5fbf;fill:none;stroke-width:3}.server{stroke:#b35900;fill:none;stroke-width:3}
.odd{stroke-dasharray:6 4}
text.client,text.server{stroke:none;font-weight:bold}text.client{fill:#1f5fbf}text.server{fill:#b35900}
@media (prefers-color-scheme:dark){.bg{fill:#1e1e1e}text{fill:#e8eaed}.dim{fill:#aab0b6}
.node{fill:#2d2f31;stroke:#9aa0a6}.node.used{stroke:#e8eaed}.edge{stroke:#5f6368}.edgehead{fill:#5f6368}
.client{stroke:#7cacf8}.server{stroke:#fcad70}text.client{fill:#7cacf8}text.server{fill:#fcad70}}`;

function f1(n: number): string {
  return n.toFixed(1);
}

/** Point on the border of a node box (w 130, h 30) toward (tx, ty). */
function border([x, y]: [number, number], [tx, ty]: [number, number]): [number, number] {
  const dx = tx - x; const dy = ty - y;
  if (dx === 0 && dy === 0) return [x, y];
  const s = Math.min(dx === 0 ? Infinity : 65 / Math.abs(dx), dy === 0 ? Infinity : 15 / Math.abs(dy));
  return [x + dx * s, y + dy * s];
}

/** Which boxes a flow's endpoints stood in: the top and the bottom CLOSED apart (a box is drawn bold only when reached). */
function usedBoxes(f: FlowRecord, steps: readonly Step[]): Set<string> {
  const init = ladderInitialStates(f);
  const used = new Set<string>([boxKey(init.client, false), boxKey(init.server, false)]);
  const late = { client: false, server: false };
  for (const st of steps) {
    used.add(boxKey(st.from, late[st.side]));
    if (!EARLY.has(st.to)) late[st.side] = true;
    used.add(boxKey(st.to, late[st.side]));
  }
  return used;
}

function boxKey(s: TcpState, late: boolean): string {
  return at(s, late).join(',');
}

/** Renders the walked state diagram of one flow. */
export function stateDiagramSvg(f: FlowRecord): string {
  const steps = walkedSteps(f);
  const used = usedBoxes(f, steps);
  const title = `Flow ${f.id}: client ${endpointText(f.client.addr, f.client.port)} → server ${endpointText(f.server.addr, f.server.port)}`;
  // Wide enough for the title; the states' layout keeps its place at the left. The title has a band of its own above the top CLOSED box.
  const W = Math.ceil(Math.max(780, 16 + [...title].length * TITLE_CHAR_W + 16)); const H = 680 + TITLE_BAND;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${xmlEscape(title)}">`);
  out.push(`<title>${xmlEscape(`${title}: RFC 9293 state diagram, walked`)}</title>`, `<style>${STYLE}\n</style>`, `<rect width="${W}" height="${H}" class="bg"/>`);
  out.push(`<text x="16" y="22" class="title">${xmlEscape(title)}</text>`);
  out.push(`<g transform="translate(0,${TITLE_BAND})">`);
  out.push('<text x="16" y="640" class="dim">grey: RFC 9293 transitions; blue: the client\'s path, orange: the server\'s;</text>');
  out.push('<text x="16" y="658" class="dim">numbers: the frame of each step; dashed: a step outside the RFC diagram (a reset, an inference)</text>');
  for (const [a, b] of RFC_TRANSITIONS) {
    const pa = at(a, !EARLY.has(a)); const pb = at(b, !EARLY.has(a));
    const [x1, y1] = border(pa, pb); const [x2, y2] = border(pb, pa);
    out.push(`<line x1="${f1(x1)}" y1="${f1(y1)}" x2="${f1(x2)}" y2="${f1(y2)}" class="edge"/>`);
    const ang = Math.atan2(y2 - y1, x2 - x1);
    const h = (d: number): string => `${f1(x2 - 8 * Math.cos(ang + d))},${f1(y2 - 8 * Math.sin(ang + d))}`;
    out.push(`<path d="M${f1(x2)},${f1(y2)} L${h(0.4)} L${h(-0.4)} z" class="edgehead"/>`);
  }
  for (const [s, [x, y]] of [...(Object.entries(POS) as [TcpState, [number, number]][]), ['CLOSED', CLOSED_END] as [TcpState, [number, number]]]) {
    const reached = used.has(`${x},${y}`);
    if (s === 'UNKNOWN' && !reached) continue;
    out.push(`<rect x="${x - 65}" y="${y - 15}" width="130" height="30" rx="6" class="node${reached ? ' used' : ''}"/>`);
    out.push(`<text x="${x}" y="${y + 4}" text-anchor="middle">${s}</text>`);
  }
  const rfc = new Set(RFC_TRANSITIONS.map(([a, b]) => `${a}>${b}`));
  const seen = new Map<string, number>();
  const late = { client: false, server: false };
  for (const st of steps) {
    const fromLate = late[st.side];
    if (!EARLY.has(st.to)) late[st.side] = true;
    const pFrom = at(st.from, fromLate); const pTo = at(st.to, late[st.side]);
    const off = st.side === 'client' ? -5 : 5;
    const key = `${st.side}:${st.from}>${st.to}`;
    const repeat = seen.get(key) ?? 0;
    seen.set(key, repeat + 1);
    const [ax, ay] = border(pFrom, pTo); const [bx, by] = border(pTo, pFrom);
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const nx = -(by - ay) / len; const ny = (bx - ax) / len;
    const bend = (st.side === 'client' ? -1 : 1) * (18 + 14 * repeat);
    const mx = (ax + bx) / 2 + nx * bend; const my = (ay + by) / 2 + ny * bend;
    const odd = rfc.has(`${st.from}>${st.to}`) ? '' : ' odd';
    out.push(`<g><title>${xmlEscape(`${st.side}: ${st.from} → ${st.to} at frame ${st.frame}`)}</title>`
      + `<path d="M${f1(ax + nx * off)},${f1(ay + ny * off)} Q${f1(mx)},${f1(my)} ${f1(bx + nx * off)},${f1(by + ny * off)}" class="${st.side}${odd} step" data-from="${st.from}" data-to="${st.to}" data-frame="${st.frame}"/>`
      + `<text x="${f1((ax + bx) / 4 + mx / 2)}" y="${f1((ay + by) / 4 + my / 2 + 4)}" class="${st.side}" text-anchor="middle">${st.frame}</text></g>`);
  }
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}
