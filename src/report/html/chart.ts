/**
 * The report's sockets-per-state chart, drawn as SVG: the sockets in each
 * state at CHART_MOMENTS + 1 moments over the capture, as `synfin netstat`
 * would count them at each (report/netstat.ts), gathered as flows end
 * (ChartCounts) or from every flow at once (socketsChartSvg).
 */

import type { Stash } from '../../spool/stash.ts';
import type { FlowRecord } from '../../tcp/record.ts';
import { STATES, type TcpState } from '../../tcp/transitions.ts';
import { LISTED_STATES, NETSTAT_STATE, captureSpan, countStates, socketsAt, userTimeoutAt, type StateCounts } from '../netstat.ts';
import { xmlEscape } from '../ladder-svg.ts';
import { compareStamps, grouped, nsBetween, parseStamp, type Stamp } from '../text.ts';
import { Column, float64, int32 } from '../column.ts';

/** Moments sampled for the sockets-per-state chart. */
const CHART_MOMENTS = 60;
/** The chart's TIME_WAIT expires after 2 MSL of this many seconds (netstat's default). */
const CHART_MSL = 30;

/** How one side of a flow's state changes are set aside: seconds (f64), nanoseconds (u32), state (u8). */
const RUN_BYTES = 13;
const STATE_CODE = new Map<TcpState, number>(STATES.map((s, i) => [s, i]));

/** The sockets-per-state chart's inputs, gathered as flows end (see socketsAt: the same counts, streamed). */
export class ChartCounts {
  private start: Stamp | undefined;
  private end: Stamp | undefined;
  /** Per row: the first event's time (NaN seconds: no events), first frame, the runs' place in the stash. */
  private readonly firstSec = new Column(float64);
  private readonly firstNsec = new Column(int32);
  private readonly firstFrame = new Column(float64);
  private readonly runsAt = new Column(float64);
  private readonly runsLength = new Column(int32);

  constructor(private readonly stash: Stash) {}

  add(f: FlowRecord): void {
    const s = stampOf(f.start);
    const e = stampOf(f.end);
    if (this.start === undefined || compareStamps(s, this.start) < 0) this.start = s;
    if (this.end === undefined || compareStamps(e, this.end) > 0) this.end = e;
    const events = f.events ?? [];
    this.firstFrame.push(f.first_frame);
    if (events.length === 0) {
      this.firstSec.push(Number.NaN);
      this.firstNsec.push(0);
      this.runsAt.push(0);
      this.runsLength.push(0);
      return;
    }
    // Each side's runs of one state: where each began is the socket's "since" (socketsAt walks back to it).
    const sides: [number, number, number][][] = [[], []];
    (['client', 'server'] as const).forEach((side, k) => {
      let last: TcpState | undefined;
      for (const ev of events) {
        if (ev[side] === last) continue;
        last = ev[side];
        const t = stampOf(ev.time);
        sides[k]!.push([t.sec, t.nsec, STATE_CODE.get(last) ?? 0]);
      }
      // A socket its user timeout dropped after the last frame (socketsAt's rule).
      const gone = userTimeoutAt(f, side);
      if (gone !== undefined) sides[k]!.push([gone.sec, gone.nsec, STATE_CODE.get('CLOSED') ?? 0]);
    });
    const buf = Buffer.allocUnsafe(8 + RUN_BYTES * (sides[0]!.length + sides[1]!.length));
    buf.writeUInt32LE(sides[0]!.length, 0);
    buf.writeUInt32LE(sides[1]!.length, 4);
    let at = 8;
    for (const runs of sides) {
      for (const [sec, nsec, state] of runs) {
        buf.writeDoubleLE(sec, at);
        buf.writeUInt32LE(nsec, at + 8);
        buf.writeUInt8(state, at + 12);
        at += RUN_BYTES;
      }
    }
    const ref = this.stash.put(buf);
    this.firstSec.push(sides[0]![0]![0]);
    this.firstNsec.push(sides[0]![0]![1]);
    this.runsAt.push(ref.offset);
    this.runsLength.push(ref.length);
  }

  /**
   * The chart: sockets per state at CHART_MOMENTS + 1 moments. `tuples` gives
   * each row's 4-tuple as two numbers per endpoint (an address's index, a
   * port): per 4-tuple only the latest flow that had begun counts.
   */
  svg(tuple: (row: number) => [number, number]): string {
    if (this.start === undefined || this.end === undefined) return '';
    const span = { start: this.start, end: this.end };
    const moments = [span.start, ...sample(span)];
    const n = this.firstFrame.length;
    const firstSec = this.firstSec.values;
    const firstNsec = this.firstNsec.values;
    const firstFrame = this.firstFrame.values;
    const begunBy = (row: number, m: Stamp): boolean => {
      const sec = firstSec[row]!;
      return !Number.isNaN(sec) && (sec !== m.sec ? sec < m.sec : firstNsec[row]! <= m.nsec);
    };
    // Rows by 4-tuple, then first frame: at each moment, the last one begun in each 4-tuple counts.
    const keys = new Array<[number, number]>(n);
    for (let r = 0; r < n; r++) keys[r] = tuple(r);
    const byTuple = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]![0] - keys[b]![0] || keys[a]![1] - keys[b]![1] || firstFrame[a]! - firstFrame[b]!);
    const counted = new Uint32Array(2 * n); // bit m of row r: r counts at moment m (61 moments: two words)
    for (let g = 0; g < n;) {
      let h = g + 1;
      while (h < n && keys[byTuple[h]!]![0] === keys[byTuple[g]!]![0] && keys[byTuple[h]!]![1] === keys[byTuple[g]!]![1]) h++;
      moments.forEach((m, k) => {
        for (let j = h - 1; j >= g; j--) {
          const row = byTuple[j]!;
          if (!begunBy(row, m)) continue;
          counted[2 * row + (k >> 5)]! |= 1 << (k & 31);
          break;
        }
      });
      g = h;
    }
    const counts: StateCounts[] = moments.map(() => ({}));
    let scratch = Buffer.allocUnsafe(64 * 1024);
    for (let row = 0; row < n; row++) {
      if (counted[2 * row] === 0 && counted[2 * row + 1] === 0) continue;
      const length = this.runsLength.values[row]!;
      if (length > scratch.length) scratch = Buffer.allocUnsafe(length);
      this.stash.readAhead({ offset: this.runsAt.values[row]!, length }, scratch, 0);
      let at = 8;
      for (const runs of [scratch.readUInt32LE(0), scratch.readUInt32LE(4)]) {
        const base = at;
        let run = -1; // the last run begun by the moment (moments ascend)
        moments.forEach((m, k) => {
          if ((counted[2 * row + (k >> 5)]! & (1 << (k & 31))) === 0) return;
          while (run + 1 < runs) {
            const o = base + (run + 1) * RUN_BYTES;
            const sec = scratch.readDoubleLE(o);
            if (sec > m.sec || (sec === m.sec && scratch.readUInt32LE(o + 8) > m.nsec)) break;
            run++;
          }
          if (run < 0) return;
          const o = base + run * RUN_BYTES;
          const state = STATES[scratch.readUInt8(o + 12)]!;
          if (state === 'CLOSED' || state === 'LISTEN') return;
          const since = { sec: scratch.readDoubleLE(o), nsec: scratch.readUInt32LE(o + 8) };
          if (state === 'TIME_WAIT' && nsBetween(since, m) >= 2 * CHART_MSL * 1e9) return;
          counts[k]![state] = (counts[k]![state] ?? 0) + 1;
        });
        at = base + runs * RUN_BYTES;
      }
    }
    return chartSvg(span, moments, counts);
  }
}

function stampOf(iso: string): Stamp {
  return parseStamp(iso) ?? { sec: 0, nsec: 0 };
}

/** The sockets-per-state chart, drawn as SVG (escaped like the ladder), from the flows' events: what the report's collector computes as flows end. */
export function socketsChartSvg(flows: readonly FlowRecord[]): string {
  const span = captureSpan(flows);
  if (span === undefined) return '';
  const moments = [span.start, ...sample(span)];
  return chartSvg(span, moments, moments.map((at) => countStates(socketsAt(flows, { kind: 'time', at }).sockets)));
}

function chartSvg(span: { start: Stamp; end: Stamp }, moments: readonly Stamp[], counts: readonly StateCounts[]): string {
  const states = LISTED_STATES.filter((s) => counts.some((c) => (c[s] ?? 0) > 0));
  const max = Math.max(1, ...counts.map((c) => Math.max(0, ...states.map((s) => c[s] ?? 0))));
  const W = 760; const H = 240; const L = 56; const R = 150; const T = 16; const B = 36;
  const total = Math.max(1, nsBetween(span.start, span.end));
  const x = (i: number): number => L + ((W - L - R) * nsBetween(span.start, moments[i]!)) / total;
  const y = (n: number): number => T + (H - T - B) * (1 - n / max);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="sockets per state over time">`];
  out.push(`<line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" class="axis"/><line x1="${L}" y1="${T}" x2="${L}" y2="${y(0)}" class="axis"/>`);
  // Sockets are counted whole: a middle tick only where it is a whole number (not 0.5 shown as a second 1).
  for (const n of max % 2 === 0 ? [0, max / 2, max] : [0, max]) out.push(`<text x="${L - 6}" y="${(y(n) + 4).toFixed(1)}" text-anchor="end">${grouped(Math.round(n))}</text>`);
  const seconds = total / 1e9;
  for (let k = 0; k <= 4; k++) {
    const xx = L + ((W - L - R) * k) / 4;
    out.push(`<text x="${xx.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${(seconds * k / 4).toFixed(seconds < 1 ? 3 : 1)} s</text>`);
  }
  out.push(`<text x="${((L + W - R) / 2).toFixed(1)}" y="${H - 4}" text-anchor="middle" class="dim">seconds from the first frame</text>`);
  states.forEach((s, k) => {
    const pts = counts.map((c, i) => `${x(i).toFixed(1)},${y(c[s] ?? 0).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" class="series s${k % 8}"/>`);
    out.push(`<text x="${W - R + 10}" y="${T + 14 * k + 8}" class="label s${k % 8}">${xmlEscape(NETSTAT_STATE[s as TcpState])}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

function sample(span: { start: Stamp; end: Stamp }): Stamp[] {
  const ns = nsBetween(span.start, span.end);
  const out = [];
  for (let k = 1; k <= CHART_MOMENTS; k++) {
    const t = Math.round((ns * k) / CHART_MOMENTS);
    const sec = span.start.sec + Math.floor((span.start.nsec + t) / 1e9);
    out.push({ sec, nsec: (span.start.nsec + t) % 1e9 });
  }
  return out;
}
