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
 *
 * This file gathers; the parts are under html/: summary.ts (the tallies),
 * chart.ts (the sockets-per-state chart), table-data.ts (how the table and
 * the diagrams travel in the page) and page.ts (the markup, the styles, the
 * script and the policy around them).
 */

import type { AnalysisResult } from '../analyze.ts';
import { createStash, type Stash, type StashRef } from '../spool/stash.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { explainAccount } from './explain.ts';
import { ChartCounts } from './html/chart.ts';
import { page } from './html/page.ts';
import { SEVERITY_RANK, SummaryTally } from './html/summary.ts';
import { SEVERITIES, type ColumnName, type ColumnType } from './html/blocks.ts';
import { Column, float64, int32, uint16, uint8 } from './column.ts';
import { StringTable, diagramsBlock, narrowed, tableBlock, wholeUnits } from './html/table-data.ts';
import { ladderSvg } from './ladder-svg.ts';
import { severityOf } from './text.ts';

/** Flows whose diagram and account are embedded (anomalous flows first, then by id). */
export const EMBEDDED_DIAGRAMS = 300;

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
      let worst: (typeof SEVERITIES)[number] = '';
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
      // columns' types) and one binary column per field, in id order (see html/table-data.ts for the layout).
      const durations = wholeUnits(cols.dur.ordered(order));
      const idDeltas = new Float64Array(n);
      const sortedIds = cols.id.ordered(order);
      for (let i = 0; i < n; i++) idDeltas[i] = sortedIds[i]! - (i === 0 ? 0 : sortedIds[i - 1]!);
      const columns: [ColumnName, ArrayLike<number>, ColumnType?][] = [
        ['dur', durations.values, durations.scale === 0 ? 'f64' : undefined], ['id', idDeltas], ['ca', cols.ca.ordered(order)], ['cp', cols.cp.ordered(order), 'u16'],
        ['sa', cols.sa.ordered(order)], ['sp', cols.sp.ordered(order), 'u16'], ['hs', cols.hs.ordered(order)], ['cl', cols.cl.ordered(order)],
        ['cst', cols.cst.ordered(order)], ['sst', cols.sst.ordered(order)], ['an', cols.an.ordered(order)], ['sev', cols.sev.ordered(order), 'u8'],
      ];
      const typed = columns.map(([name, values, type]) => [name, narrowed(values, type)] as const);
      const data = tableBlock({
        n, words: words.strings, hosts: hosts.strings, sets, choices, embedded: EMBEDDED_DIAGRAMS, cols: typed.map(([name, v]) => [name, v.type]),
        durScale: durations.scale,
      }, typed.map(([, v]) => v.bytes));
      return page(title, summary.html(), chartHtml, data, diagramsBlock({ diagrams, accounts }));
    },

    close(): void {
      if (closed) return;
      closed = true;
      stash.close();
    },
  };
}

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
