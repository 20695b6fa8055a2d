/** `--format zeek`: the analysis as a Zeek conn.log (report/zeek.ts), built from the flow records. */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { formatWith, type FlowFormat } from './flow-format.ts';
import { matchesFilter } from './text.ts';
import { formatZeekRow, zeekLogHead, zeekLogTail, type ZeekRow } from './zeek.ts';

/** Epoch seconds of an ISO time as synfin prints it (any number of fraction digits). */
export function isoToSeconds(iso: string): number {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(iso);
  if (m === null) return Number.NaN;
  return Date.parse(`${m[1]}Z`) / 1000 + (m[2] === undefined ? 0 : Number(`0.${m[2]}`));
}

/** A flow's conn.log rows, oldest first. */
export function zeekRowsOf(f: FlowRecord): ZeekRow[] {
  return f.zeek.map((z, row) => ({
    id: f.id, row, ts: z.ts, origAddr: z.orig_h, origPort: z.orig_p, respAddr: z.resp_h, respPort: z.resp_p,
    duration: z.duration, origBytes: z.orig_bytes, respBytes: z.resp_bytes, connState: z.conn_state, missedBytes: z.missed_bytes,
    history: z.history, origPkts: z.orig_pkts, origIpBytes: z.orig_ip_bytes, respPkts: z.resp_pkts, respIpBytes: z.resp_ip_bytes,
  }));
}

/**
 * A conn.log of the listed flows' Zeek rows, sorted by ts; #open/#close are
 * the capture's own first and last flow times, and the uids derive from the
 * capture files' names. No rows print nothing: Zeek writes no conn.log
 * without a connection.
 */
export const zeekFormat: FlowFormat = {
  writer({ filter = {}, files = [] }) {
    const seed = zeekUidSeed(files.map((file) => ({ file })));
    let open = Infinity;
    let close = -Infinity;
    return {
      flow(f) {
        if (!matchesFilter(f, filter) || f.zeek.length === 0) return undefined;
        open = Math.min(open, isoToSeconds(f.start));
        close = Math.max(close, isoToSeconds(f.end));
        return zeekRowsOf(f).map((row) => formatZeekRow(row, seed)).join('\n');
      },
      document(_result, count) {
        if (count === 0) return { head: '', separator: '', tail: () => '' };
        const merger = new ZeekLineMerger();
        let lines = '';
        const out = (line: string): void => {
          lines += `${line}\n`;
        };
        const take = (): string => {
          const taken = lines;
          lines = '';
          return taken;
        };
        return {
          head: zeekLogHead(open),
          separator: '',
          // A flow's rows, in ts order among every flow's (ZeekLineMerger).
          each(text) {
            merger.add(text.split('\n'), out);
            return take();
          },
          tail() {
            merger.flush(Infinity, out);
            return `${take()}${zeekLogTail(close)}`;
          },
        };
      },
    };
  },
};

/** The conn.log of every flow of `result`, whose flows are in id order (as a result holds them). */
export function formatZeek(result: AnalysisResult): string {
  return formatWith(zeekFormat, result);
}

/** What the uids are derived from: the capture files' names, so they are the same on every run. */
export function zeekUidSeed(captures: readonly { readonly file: string }[]): string {
  return captures.map((c) => c.file.split('/').pop()).join(',');
}

/** A conn.log line's `ts` (its first column). */
function lineTs(line: string): number {
  return Number(line.slice(0, line.indexOf('\t')));
}

/**
 * Puts conn.log lines in ts order as they come flow by flow in id order, holding
 * only the rows that must wait: a flow's first row is never earlier than the
 * first rows of the flows before it (flows are numbered by first segment), so
 * only a flow's later rows wait for the flows that start before them.
 */
export class ZeekLineMerger {
  private readonly heap: { ts: number; n: number; line: string }[] = [];
  private n = 0;

  /** The lines of one flow (oldest first); calls `out` with every line that can be written now, in order. */
  add(lines: readonly string[], out: (line: string) => void): void {
    const first = lines[0];
    if (first === undefined) return;
    this.flush(lineTs(first), out);
    out(first);
    for (let i = 1; i < lines.length; i++) this.push({ ts: lineTs(lines[i]!), n: this.n++, line: lines[i]! });
  }

  /** Writes the held lines with ts up to `ts` (all of them without one). */
  flush(ts: number, out: (line: string) => void): void {
    while (this.heap.length > 0 && this.heap[0]!.ts <= ts) out(this.pop().line);
  }

  private less(a: { ts: number; n: number }, b: { ts: number; n: number }): boolean {
    return a.ts < b.ts || (a.ts === b.ts && a.n < b.n);
  }

  private push(e: { ts: number; n: number; line: string }): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): { ts: number; n: number; line: string } {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
