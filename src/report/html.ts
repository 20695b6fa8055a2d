/**
 * `synfin report`: one self-contained HTML file (no network access, no
 * external assets) for a capture: the summary, a flow table that sorts and
 * filters and renders only its visible rows (so 100 k flows stay fast), a
 * chosen flow's ladder diagram and plain-language account, and the sockets per
 * state over time as a chart synfin draws itself in SVG.
 *
 * The report is gathered as flows end (createReportCollector), not from every
 * record held at once: each flow leaves its table columns (numbers in typed
 * arrays, strings as indices into one table), its share of the summary, its
 * state changes for the chart (on disk, in a stash) and, when it is among the
 * flows whose diagrams are embedded, its record (on disk too).
 *
 * Nothing from the capture reaches the page as markup: the data travels as
 * JSON (with `<`, `>` and `&` written as \u escapes) and binary columns,
 * gzipped and in base64 inside non-executed script elements; the page's own
 * script puts it into the DOM with textContent, and the diagrams are synfin's
 * own SVG (every text escaped) parsed as XML. A Content-Security-Policy allows
 * only the page's own inline script by hash. The same bytes on every run: no
 * dates, no random ids.
 */

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AnalysisResult } from '../analyze.ts';
import { createStash, type Stash, type StashRef } from '../flow/stash.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { STATES, type TcpState } from '../tcp/transitions.ts';
import { LISTED_STATES, NETSTAT_STATE, captureSpan, countStates, socketsAt, userTimeoutAt, type StateCounts } from './netstat.ts';
import { explainAccount } from './explain.ts';
import { ladderSvg, xmlEscape } from './ladder-svg.ts';
import { anomalyCounts, compareStamps, grouped, nsBetween, parseStamp, severityOf, type Stamp } from './text.ts';

/** Flows whose diagram and account are embedded (anomalous flows first, then by id). */
export const EMBEDDED_DIAGRAMS = 300;
/** Moments sampled for the sockets-per-state chart. */
const CHART_MOMENTS = 60;
/** The chart's TIME_WAIT expires after 2 MSL of this many seconds (netstat's default). */
const CHART_MSL = 30;

/** JSON that is safe inside a script element and in any HTML context. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const SEVERITY_RANK: Record<string, number> = { error: 3, warning: 2, info: 1 };
/** A row's worst severity, as the page's column of small numbers gives it (0: none). */
const SEVERITIES = ['', 'info', 'warning', 'error'];

/** Strings numbered in order of first use, so rows can carry indices. */
class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  at(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

type Typed = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A typed array that grows as values are pushed (doubling). */
class Column<T extends Typed> {
  values: T;
  length = 0;

  constructor(private readonly make: (size: number) => T) {
    this.values = make(1024);
  }

  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = this.make(this.length * 2);
      grown.set(this.values as never);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }

  /** The first `length` values, in the order `order` gives (row indices). */
  ordered(order: Int32Array): T {
    const out = this.make(order.length);
    for (let i = 0; i < order.length; i++) out[i] = this.values[order[i]!]!;
    return out;
  }
}

const int32 = (n: number): Int32Array => new Int32Array(n);
const float64 = (n: number): Float64Array => new Float64Array(n);
const uint16 = (n: number): Uint16Array => new Uint16Array(n);
const uint8 = (n: number): Uint8Array => new Uint8Array(n);

/**
 * Up to `limit` flows with the smallest ids, as records set aside in a
 * stash: flows end out of id order, so one kept now may give way later.
 */
class SmallestIds {
  /** Ascending by id. */
  readonly kept: { id: number; ref: StashRef }[] = [];

  constructor(private readonly limit: number, private readonly stash: Stash) {}

  offer(f: FlowRecord): void {
    const kept = this.kept;
    if (this.limit === 0 || (kept.length === this.limit && f.id > kept[kept.length - 1]!.id)) return;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.id < f.id) lo = mid + 1; else hi = mid;
    }
    kept.splice(lo, 0, { id: f.id, ref: this.stash.put(JSON.stringify(f)) });
    if (kept.length > this.limit) kept.pop();
  }
}

/** Gathers a report from flows as they end; see the file's comment. */
export interface ReportCollector {
  /** Takes a finished flow (analysed with `events: true` for its diagram and the chart). */
  add(flow: FlowRecord): void;
  /** Flows taken. */
  readonly flows: number;
  /** The page, for the flows taken (in id order, whatever order they came in). */
  html(title: string): string;
  /** Frees the stash; the collector cannot be used after. */
  close(): void;
}

/** How one side of a flow's state changes are set aside: seconds (f64), nanoseconds (u32), state (u8). */
const RUN_BYTES = 13;
const STATE_CODE = new Map<TcpState, number>(STATES.map((s, i) => [s, i]));

/** The sockets-per-state chart's inputs, gathered as flows end (see socketsAt: the same counts, streamed). */
class ChartCounts {
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

/** The summary's tallies, gathered as flows end. */
class SummaryTally {
  flows = 0;
  readonly handshakes = new Map<string, number>();
  readonly closes = new Map<string, number>();
  /** Occurrences of each code, as `synfin flows` counts them (listed and counted-only findings), at its gravest severity. */
  readonly anomalies = new Map<string, { sev: string; n: number }>();

  add(f: FlowRecord): void {
    this.flows++;
    this.handshakes.set(f.handshake.kind, (this.handshakes.get(f.handshake.kind) ?? 0) + 1);
    this.closes.set(f.close.kind, (this.closes.get(f.close.kind) ?? 0) + 1);
    for (const [code, { n, severity }] of anomalyCounts(f)) {
      const sev = severity ?? 'info';
      const a = this.anomalies.get(code) ?? { sev, n: 0 };
      this.anomalies.set(code, { sev: (SEVERITY_RANK[sev] ?? 0) > (SEVERITY_RANK[a.sev] ?? 0) ? sev : a.sev, n: a.n + n });
    }
  }

  html(): string {
    const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const list = (items: [string, number][]): string => `<ul>${items.map(([k, n]) => `<li><code>${esc(k)}</code> ${grouped(n)}</li>`).join('')}</ul>`;
    // Occurrences, as the flows table's summary line counts them ("syn-retransmit 2 ... (2 errors, 6 warnings)").
    const bySeverity = ['error', 'warning', 'info'].map((sev) => {
      const items = [...this.anomalies].filter(([, a]) => a.sev === sev).sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));
      if (items.length === 0) return '';
      const total = items.reduce((n, [, a]) => n + a.n, 0);
      const heading = sev === 'info' ? `${grouped(total)} info` : countText(total, sev);
      return `<div><h3 class="sev-${sev}">${heading}</h3>${list(items.map(([c, a]) => [c, a.n]))}</div>`;
    }).join('') || '<p>none</p>';
    return `<section id="summary"><h2>Summary: <span id="flow-total">${grouped(this.flows)}</span> ${this.flows === 1 ? 'flow' : 'flows'}</h2><div class="cols">`
      + `<div><h3>Handshakes (flows)</h3>${list(sorted(this.handshakes))}</div>`
      + `<div><h3>Closes (flows)</h3>${list(sorted(this.closes))}</div>`
      + `<div><h3>Anomalies (occurrences, as <code>synfin flows</code> counts them)</h3><div class="cols">${bySeverity}</div></div></div></section>`;
  }
}

/** `1 warning`, `6 warnings`. */
function countText(n: number, noun: string): string {
  return `${grouped(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** A report gathered from flows as they end (see the file's comment). */
export function createReportCollector(): ReportCollector {
  const stash = createStash();
  /** Kinds, states and anomaly codes; addresses apart (few words, many addresses: narrower columns). */
  const words = new StringTable();
  const hosts = new StringTable();
  /** Distinct lists of anomaly codes (word indices), by their joined text. */
  const sets: number[][] = [];
  const setIndex = new Map<string, number>();
  const cols = {
    dur: new Column(float64), id: new Column(int32), ca: new Column(int32), sa: new Column(int32),
    hs: new Column(int32), cl: new Column(int32), cst: new Column(int32), sst: new Column(int32), an: new Column(int32),
    cp: new Column(uint16), sp: new Column(uint16), sev: new Column(uint8),
  };
  const summary = new SummaryTally();
  const chart = new ChartCounts(stash);
  const anomalous = new SmallestIds(EMBEDDED_DIAGRAMS, stash);
  const clean = new SmallestIds(EMBEDDED_DIAGRAMS, stash);
  let captureEnd: string | undefined;
  let closed = false;

  return {
    add(f: FlowRecord): void {
      summary.add(f);
      chart.add(f);
      (f.anomalies.length > 0 ? anomalous : clean).offer(f);
      if (captureEnd === undefined || f.end > captureEnd) captureEnd = f.end;
      const codes = [...new Set([...f.anomalies.map((a) => a.code), ...Object.keys(f.anomalies_not_listed ?? {})])].sort();
      const key = JSON.stringify(codes);
      let set = setIndex.get(key);
      if (set === undefined) {
        set = sets.length;
        sets.push(codes.map((c) => words.at(c)));
        setIndex.set(key, set);
      }
      let worst = '';
      for (const s of severityOf(f.anomalies).values()) if ((SEVERITY_RANK[s] ?? 0) > (SEVERITY_RANK[worst] ?? 0)) worst = s;
      cols.dur.push(f.duration_s);
      cols.id.push(f.id);
      cols.ca.push(hosts.at(f.client.addr));
      cols.cp.push(f.client.port);
      cols.sa.push(hosts.at(f.server.addr));
      cols.sp.push(f.server.port);
      cols.hs.push(words.at(f.handshake.kind));
      cols.cl.push(words.at(f.close.kind));
      cols.cst.push(words.at(f.client.final_state));
      cols.sst.push(words.at(f.server.final_state));
      cols.an.push(set);
      cols.sev.push(SEVERITIES.indexOf(worst));
    },

    get flows(): number {
      return summary.flows;
    },

    html(title: string): string {
      const n = cols.id.length;
      const ids = cols.id.values;
      const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => ids[a]! - ids[b]!);
      const used = (...columns: Column<Int32Array>[]): string[] => {
        const seen = new Set<number>();
        for (const c of columns) for (let i = 0; i < c.length; i++) seen.add(c.values[i]!);
        return [...seen].map((i) => words.strings[i]!).filter((s) => s !== '').sort();
      };
      const choices = {
        state: used(cols.cst, cols.sst), kind: used(cols.hs, cols.cl),
        anomaly: [...new Set(sets.flat())].map((i) => words.strings[i]!).filter((s) => s !== '').sort(),
      };
      // The embedded diagrams: anomalous flows first, then clean ones, each by id.
      const embed = [...anomalous.kept, ...clean.kept].slice(0, EMBEDDED_DIAGRAMS).sort((a, b) => a.id - b.id);
      const diagrams: Record<string, string> = {};
      const accounts: Record<string, string[]> = {};
      for (const { id, ref } of embed) {
        const f = JSON.parse(stash.read(ref).toString('utf8')) as FlowRecord;
        diagrams[String(id)] = ladderSvg(f);
        const a = explainAccount(f, { captureEnd: captureEnd ?? '' });
        accounts[String(id)] = [...a.opening, ...a.data, ...a.closing, ...a.applications, ...a.next];
      }
      const chartHtml = chart.svg((row) => {
        const a = cols.ca.values[row]! * 65536 + cols.cp.values[row]!;
        const b = cols.sa.values[row]! * 65536 + cols.sp.values[row]!;
        return a < b ? [a, b] : [b, a];
      });
      // The table's data: a JSON head (the strings, the anomaly lists, the filters' choices, the
      // columns' types) and one binary column per field, in id order (see SCRIPT for the layout).
      const durations = wholeUnits(cols.dur.ordered(order));
      const idDeltas = new Float64Array(n);
      const sortedIds = cols.id.ordered(order);
      for (let i = 0; i < n; i++) idDeltas[i] = sortedIds[i]! - (i === 0 ? 0 : sortedIds[i - 1]!);
      const columns: [string, ArrayLike<number>, string?][] = [
        ['dur', durations.values, durations.scale === 0 ? 'f64' : undefined], ['id', idDeltas], ['ca', cols.ca.ordered(order)], ['cp', cols.cp.ordered(order), 'u16'],
        ['sa', cols.sa.ordered(order)], ['sp', cols.sp.ordered(order), 'u16'], ['hs', cols.hs.ordered(order)], ['cl', cols.cl.ordered(order)],
        ['cst', cols.cst.ordered(order)], ['sst', cols.sst.ordered(order)], ['an', cols.an.ordered(order)], ['sev', cols.sev.ordered(order), 'u8'],
      ];
      const typed = columns.map(([name, values, type]) => [name, narrowed(values, type)] as const);
      const head = Buffer.from(scriptJson({
        n, words: words.strings, hosts: hosts.strings, sets, choices, embedded: EMBEDDED_DIAGRAMS, cols: typed.map(([name, v]) => [name, v.type]),
        durScale: durations.scale,
      }));
      const parts: Buffer[] = [];
      let size = 0;
      const add = (b: Buffer): void => {
        parts.push(b);
        size += b.length;
        if (size % 8 !== 0) {
          parts.push(Buffer.alloc(8 - (size % 8)));
          size += 8 - (size % 8);
        }
      };
      const lead = Buffer.alloc(4);
      lead.writeUInt32LE(head.length, 0);
      parts.push(lead);
      size += 4;
      add(head);
      for (const [, v] of typed) add(v.bytes);
      return page(title, summary.html(), chartHtml, packed(Buffer.concat(parts)), packed(Buffer.from(scriptJson({ diagrams, accounts }))));
    },

    close(): void {
      if (closed) return;
      closed = true;
      stash.close();
    },
  };
}

/**
 * Durations in seconds as whole milli-, micro- or nanoseconds when every one
 * is exactly one of them (units / scale, a correctly rounded division, gives
 * back the same number), for a column of 4 bytes a row or less rather than 8;
 * scale 0: as they are.
 */
function wholeUnits(seconds: Float64Array): { values: Float64Array; scale: number } {
  for (const scale of [1e3, 1e6, 1e9]) {
    const units = new Float64Array(seconds.length);
    let exact = true;
    for (let i = 0; i < seconds.length && exact; i++) {
      const u = Math.round(seconds[i]! * scale);
      units[i] = u;
      exact = u >= 0 && u < 2 ** 32 && u / scale === seconds[i];
    }
    if (exact) return { values: units, scale };
  }
  return { values: seconds, scale: 0 };
}

/** Non-negative whole numbers in the narrowest of u8, u16 and u32 (or as `type` says), as little-endian bytes. */
function narrowed(values: ArrayLike<number>, type?: string): { type: string; bytes: Buffer } {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  const t = type ?? (max < 256 ? 'u8' : max < 65536 ? 'u16' : 'u32');
  const make = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array }[t]!;
  const out = make.from(values as ArrayLike<number>);
  return { type: t, bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}

/** Gzipped (mtime 0 in the header: the same bytes every run) and in base64: base64 holds no markup. */
function packed(bytes: Buffer): string {
  return gzipSync(bytes, { level: 6 }).toString('base64');
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
  for (const n of [0, max / 2, max]) out.push(`<text x="${L - 6}" y="${(y(n) + 4).toFixed(1)}" text-anchor="end">${grouped(Math.round(n))}</text>`);
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

function esc(s: string): string {
  return xmlEscape(s);
}

/**
 * The flow table's columns, one row each: heading, least width (px) and share
 * of the width left over. The heading and every row are grids of these same
 * tracks inside one scrolling box, so a cell always sits under its heading;
 * where the least widths do not fit (below about 1,150 px) the box scrolls
 * sideways, the heading with it, and no column is squeezed to nothing.
 */
export const TABLE_COLUMNS = [
  { head: 'ID', min: 56, grow: 0 },
  { head: 'CLIENT', min: 170, grow: 2 },
  { head: 'SERVER', min: 170, grow: 2 },
  { head: 'HANDSHAKE', min: 120, grow: 1 },
  { head: 'CLOSE', min: 104, grow: 1 },
  { head: 'CLIENT END', min: 104, grow: 0 },
  { head: 'SERVER END', min: 104, grow: 0 },
  { head: 'ANOMALIES', min: 200, grow: 3 },
  { head: 'SECONDS', min: 72, grow: 0 },
] as const;
const COLUMN_GAP = 6;
const GRID_TEMPLATE = TABLE_COLUMNS.map((c) => (c.grow === 0 ? `${c.min}px` : `minmax(${c.min}px,${c.grow}fr)`)).join(' ');
/** The table's least width: every column at its least, and the gaps. */
export const TABLE_MIN_WIDTH = TABLE_COLUMNS.reduce((n, c) => n + c.min, 0) + COLUMN_GAP * (TABLE_COLUMNS.length - 1);

const CSS = `
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--dim:#5f6368;--line:#dadce0;--sel:#e8f0fe;--err:#c5221f;--warn:#b06000;--info:#1f5fbf}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#1e1e1e;--dim:#aab0b6;--line:#3c4043;--sel:#264a7a;--err:#f28b82;--warn:#fdd663;--info:#8ab4f8}}
body{font:14px system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:16px}
@media (max-width:600px){body{margin:8px}}
h1,h2{overflow-wrap:anywhere}h1{font-size:20px}h2{font-size:17px}h3{font-size:14px;margin:6px 0}
code,.mono,#viewport{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}
.cols{display:flex;gap:24px;flex-wrap:wrap}ul{margin:0;padding-left:18px}
.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
#filters{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}
#viewport{height:384px;overflow:auto;border:1px solid var(--line);position:relative}
#grid{min-width:${TABLE_MIN_WIDTH}px}
#head,.row{display:grid;grid-template-columns:${GRID_TEMPLATE};column-gap:${COLUMN_GAP}px;white-space:nowrap}
#head{position:sticky;top:0;z-index:1;background:var(--bg);font-weight:bold;border-bottom:1px solid var(--line);height:22px;line-height:22px}
#head span{cursor:pointer;user-select:none}#head span[aria-sort=ascending]::after{content:" \\25B2"}#head span[aria-sort=descending]::after{content:" \\25BC"}
#spacer{position:relative}.row{position:absolute;left:0;right:0;height:22px;line-height:22px;cursor:pointer}
.row:hover,.row.sel{background:var(--sel)}#head span,.row span{min-width:0;overflow:hidden;text-overflow:ellipsis}
#head span:last-child,.row span:last-child{text-align:right;padding-right:4px}
#diagram svg,#chart svg{max-width:100%;height:auto}#account p{max-width:80ch}
.dim{color:var(--dim);fill:var(--dim)}
#chart text{font:11px ui-monospace,monospace;fill:var(--fg)}#chart .axis{stroke:var(--dim)}
#chart .series{fill:none;stroke-width:2}
.s0{stroke:#1f77b4;fill:#1f77b4}.s1{stroke:#ff7f0e;fill:#ff7f0e}.s2{stroke:#2ca02c;fill:#2ca02c}.s3{stroke:#d62728;fill:#d62728}
.s4{stroke:#9467bd;fill:#9467bd}.s5{stroke:#8c564b;fill:#8c564b}.s6{stroke:#e377c2;fill:#e377c2}.s7{stroke:#7f7f7f;fill:#7f7f7f}
#chart text.label{font-weight:bold;stroke:none}
#chart text.s0{fill:#1f77b4}#chart text.s1{fill:#ff7f0e}#chart text.s2{fill:#2ca02c}#chart text.s3{fill:#d62728}
#chart text.s4{fill:#9467bd}#chart text.s5{fill:#8c564b}#chart text.s6{fill:#e377c2}#chart text.s7{fill:#7f7f7f}
`;

/**
 * The page's script: reads the data, renders the visible rows, sorts, filters, shows a flow. Never touches innerHTML with data.
 *
 * The table's block inflates to: a little-endian u32, the length of a JSON head
 * ({n, words, hosts, sets, choices, embedded, cols, durScale}), the head, then one column
 * of n little-endian values per field, each starting at a multiple of 8 bytes,
 * of the type `cols` gives (f64, u32, u16 or u8, the narrowest that holds it):
 * duration (seconds, or whole units of 1/durScale s), id (the difference from the row before), client address and port,
 * server address and port (indices into hosts), handshake, close, client
 * state, server state (indices into words), anomaly list (index into sets),
 * worst severity (none, info, warning, error). Typed arrays over the inflated
 * bytes: nothing to parse but the head. The diagrams' block ({diagrams,
 * accounts}) is inflated when a flow is first chosen.
 */
const SCRIPT = `
"use strict";
(function(){
function bytesOf(id){
  var t=document.getElementById(id).textContent.trim();
  if(typeof Uint8Array.fromBase64==="function")return Uint8Array.fromBase64(t);
  var bin=atob(t),b=new Uint8Array(bin.length);for(var i=0;i<bin.length;i++)b[i]=bin.charCodeAt(i);return b;
}
// Read chunk by chunk: Response.arrayBuffer() over the stream took several times as long.
function inflate(bytes){
  var ds=new DecompressionStream("gzip"),w=ds.writable.getWriter(),r=ds.readable.getReader(),parts=[],size=0;
  w.write(bytes).catch(function(){});w.close().catch(function(){});
  function next(x){
    if(!x.done){parts.push(x.value);size+=x.value.length;return r.read().then(next);}
    var out=new Uint8Array(size),at=0;
    for(var i=0;i<parts.length;i++){out.set(parts[i],at);at+=parts[i].length;}
    return out.buffer;
  }
  return r.read().then(next);
}
var data=bytesOf("data");
performance.mark("synfin-decoded");
inflate(data).then(start);
function start(buf){
performance.mark("synfin-inflated");
var hl=new DataView(buf).getUint32(0,true);
var D=JSON.parse(new TextDecoder().decode(new Uint8Array(buf,4,hl)));
var n=D.n,at=(4+hl+7)&~7,C={},T={f64:Float64Array,u32:Uint32Array,u16:Uint16Array,u8:Uint8Array};
D.cols.forEach(function(c){var t=T[c[1]];C[c[0]]=new t(buf,at,n);at=(at+n*t.BYTES_PER_ELEMENT+7)&~7;});
var dur=D.durScale===0?C.dur:new Float64Array(n),ca=C.ca,cp=C.cp,sa=C.sa,sp=C.sp,hs=C.hs,cl=C.cl,cst=C.cst,sst=C.sst,an=C.an,sev=C.sev,ids=new Float64Array(n);
for(var k=0,id=0;k<n;k++){id+=C.id[k];ids[k]=id;if(D.durScale!==0)dur[k]=C.dur[k]/D.durScale;}
var S=D.words,HS=D.hosts,SEV=["","info","warning","error"];
var setText=D.sets.map(function(s){return s.map(function(i){return S[i];});});
var setShown=setText.map(function(s){return s.join(", ");}),setKey=setText.map(function(s){return String(s);});
performance.mark("synfin-parsed");
var shown=new Int32Array(0),sortCol=0,sortDir=1,H=22,selected=null,F=null,loading=null;
// The headings and the sort column each stands for; the sorted one carries aria-sort (and an arrow).
var heads=Array.prototype.slice.call(document.querySelectorAll("#head span")),HC=[0,1,2,3,4,5,6,7,9];
var vp=document.getElementById("viewport"),sp_=document.getElementById("spacer"),count=document.getElementById("count");
var f={state:document.getElementById("f-state"),kind:document.getElementById("f-kind"),anomaly:document.getElementById("f-anomaly"),host:document.getElementById("f-host"),port:document.getElementById("f-port")};
function opts(sel,values){values.forEach(function(v){var o=document.createElement("option");o.value=v;o.textContent=v;sel.appendChild(o);});}
// The choices of each filter come listed with the data (a pass over 100 k rows each, saved).
opts(f.state,D.choices.state);opts(f.kind,D.choices.kind);opts(f.anomaly,D.choices.anomaly);
performance.mark("synfin-filters");
function ep(a,p){return a.indexOf(":")>=0?"["+a+"]:"+p:a+":"+p;}
// A filter's value as an index into its strings (-2: no filter; -1: no row can match).
function idx(v,list){return v===""?-2:(list||S).indexOf(v);}
function apply(){
  var si=idx(f.state.value),ki=idx(f.kind.value),ai=idx(f.anomaly.value),hi=idx(f.host.value.trim(),HS),p=f.port.value.trim();
  var pn=p===""?-2:(/^[0-9]+$/.test(p)&&String(Number(p))===p&&Number(p)<65536?Number(p):-1);
  var has=ai===-2?null:D.sets.map(function(s){return s.indexOf(ai)>=0;});
  var out=new Int32Array(n),m=0;
  for(var i=0;i<n;i++){
    if(si!==-2&&cst[i]!==si&&sst[i]!==si)continue;
    if(ki!==-2&&hs[i]!==ki&&cl[i]!==ki)continue;
    if(has!==null&&!has[an[i]])continue;
    if(hi!==-2&&ca[i]!==hi&&sa[i]!==hi)continue;
    if(pn!==-2&&cp[i]!==pn&&sp[i]!==pn)continue;
    out[m++]=i;
  }
  shown=out.subarray(0,m);
  sort();
}
// A column's sort key for row i (the endpoints' text is made for the rows shown only).
function keyOf(c){
  if(c===0)return function(i){return ids[i];};
  if(c===1)return function(i){return ep(HS[ca[i]],cp[i]);};
  if(c===2)return function(i){return ep(HS[sa[i]],sp[i]);};
  if(c===7)return function(i){return setKey[an[i]];};
  if(c===9)return function(i){return dur[i];};
  var v=[null,null,null,hs,cl,cst,sst][c];return function(i){return S[v[i]];};
}
function sort(){
  var c=sortCol,d=sortDir,m=shown.length;
  // rows come in id order and filtering keeps it: the default order needs no sort.
  if(!(c===0&&d===1)){
    var key=keyOf(c),K=new Array(m),P=new Uint32Array(m),out=new Int32Array(m),i;
    for(i=0;i<m;i++){K[i]=key(shown[i]);P[i]=i;}
    P.sort(function(x,y){var a=K[x],b=K[y];if(a<b)return -d;if(a>b)return d;return ids[shown[x]]-ids[shown[y]];});
    for(i=0;i<m;i++)out[i]=shown[P[i]];
    shown=out;
  }
  count.textContent=m+" of "+n+(n===1?" flow":" flows");
  heads.forEach(function(el,i){el.setAttribute("aria-sort",HC[i]!==c?"none":d===1?"ascending":"descending");});
  count.setAttribute("data-shown",String(m));
  sp_.style.height=(m*H)+"px";
  // A few flows take the rows they need (the header, and room for a sideways scrollbar), not an empty box.
  vp.style.height=Math.min(384,(m+1)*H+18)+"px";vp.scrollTop=0;draw();
}
var pool=[];
function draw(){
  var first=Math.floor(vp.scrollTop/H),rows=Math.ceil(vp.clientHeight/H)+2;
  while(pool.length<rows){var el=document.createElement("div");el.className="row";for(var j=0;j<9;j++)el.appendChild(document.createElement("span"));el.addEventListener("click",pick);sp_.appendChild(el);pool.push(el);}
  for(var i=0;i<pool.length;i++){
    var el=pool[i];
    if(i>=rows||first+i>=shown.length){el.style.display="none";continue;}
    var r=shown[first+i];
    el.style.display="";el.style.top=((first+i)*H)+"px";el.setAttribute("data-id",String(ids[r]));
    el.classList.toggle("sel",ids[r]===selected);
    var cells=[ids[r],ep(HS[ca[r]],cp[r]),ep(HS[sa[r]],sp[r]),S[hs[r]],S[cl[r]],S[cst[r]],S[sst[r]],setShown[an[r]],dur[r]];
    for(var j=0;j<9;j++){el.children[j].textContent=String(cells[j]);if(j===1||j===2||j===7)el.children[j].title=String(cells[j]);}
    el.children[7].className=sev[r]===0?"":"sev-"+SEV[sev[r]];
  }
}
function pick(ev){show(Number(ev.currentTarget.getAttribute("data-id")));}
// The diagrams are inflated when a flow is first chosen: never in the way of opening, filtering or sorting.
function load(){
  if(loading===null)loading=inflate(bytesOf("diagrams")).then(function(b){F=JSON.parse(new TextDecoder().decode(b));});
  return loading;
}
function show(id){
  selected=id;draw();
  var box=document.getElementById("diagram"),acc=document.getElementById("account");
  box.replaceChildren();acc.replaceChildren();box.removeAttribute("data-flow");
  document.getElementById("chosen").textContent="Flow "+id;
  if(F===null){load().then(function(){if(selected===id)show(id);});return;}
  var svg=F.diagrams[String(id)];
  if(svg===undefined){var p=document.createElement("p");p.className="dim";p.textContent="This flow's diagram is not embedded (the report embeds "+D.embedded+" flows, anomalous ones first). Draw it with: synfin explain --flow "+id+" --svg CAPTURE > flow-"+id+".svg";box.appendChild(p);}
  else{
    var doc=new DOMParser().parseFromString(svg,"image/svg+xml");
    box.appendChild(document.importNode(doc.documentElement,true));
    (F.accounts[String(id)]||[]).forEach(function(t){var p=document.createElement("p");p.textContent=t;acc.appendChild(p);});
  }
  box.setAttribute("data-flow",String(id));
}
window.synfinShow=show;
["state","kind","anomaly"].forEach(function(k){f[k].addEventListener("change",apply);});
f.host.addEventListener("input",apply);f.port.addEventListener("input",apply);
heads.forEach(function(el,i){el.addEventListener("click",function(){var c=HC[i];if(sortCol===c)sortDir=-sortDir;else{sortCol=c;sortDir=1;}sort();});});
vp.addEventListener("scroll",draw);
apply();
performance.mark("synfin-ready");
}
})();
`;

/** Renders the report for an analysis (made with `events: true`). */
export function reportHtml(result: AnalysisResult, title: string): string {
  const collector = createReportCollector();
  try {
    for (const f of result.flows) collector.add(f);
    return collector.html(title);
  } finally {
    collector.close();
  }
}

function page(title: string, summary: string, chart: string, data: string, diagrams: string): string {
  const hash = createHash('sha256').update(SCRIPT).digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:`;
  const header = TABLE_COLUMNS.map((c) => c.head);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    `<title>synfin report: ${esc(title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>synfin report: ${esc(title)}</h1>`,
    summary,
    '<section><h2>Flows</h2><div id="filters">',
    '<label>state <select id="f-state"><option value="">any</option></select></label>',
    '<label>kind <select id="f-kind"><option value="">any</option></select></label>',
    '<label>anomaly <select id="f-anomaly"><option value="">any</option></select></label>',
    '<label>host <input id="f-host" size="18" placeholder="10.0.0.1"></label>',
    '<label>port <input id="f-port" size="6" placeholder="443"></label>',
    '<span id="count"></span></div>',
    '<div id="viewport"><div id="grid">',
    `<div id="head" role="row">${header.map((h, i) => `<span role="columnheader" aria-sort="${i === 0 ? 'ascending' : 'none'}">${h}</span>`).join('')}</div>`,
    '<div id="spacer"></div></div></div>',
    '<p class="dim">Click a column to sort (again to reverse; the arrow marks the sorted column), a row to see its diagram. A narrow window scrolls the table sideways.</p></section>',
    '<section><h2 id="chosen">Choose a flow</h2><div id="diagram"></div><div id="account"></div></section>',
    `<section><h2>Sockets per state over time</h2><div id="chart">${chart}</div></section>`,
    `<script type="application/octet-stream" id="data">${data}</script>`,
    `<script type="application/octet-stream" id="diagrams">${diagrams}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
