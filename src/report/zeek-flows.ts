/** `--format zeek`: the analysis as a Zeek conn.log, built from the flow records. */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { formatZeekConnLog, type ZeekRow } from './zeek.ts';

/** Epoch seconds of an ISO time as synfin prints it (any number of fraction digits). */
export function isoToSeconds(iso: string): number {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(iso);
  if (m === null) return Number.NaN;
  return Date.parse(`${m[1]}Z`) / 1000 + (m[2] === undefined ? 0 : Number(`0.${m[2]}`));
}

/** A flow's conn.log row. */
export function zeekRowOf(f: FlowRecord): ZeekRow {
  const z = f.zeek;
  const orig = z.orig === 'client' ? f.client : f.server;
  const resp = z.orig === 'client' ? f.server : f.client;
  return {
    id: f.id, ts: isoToSeconds(f.start), origAddr: orig.addr, origPort: orig.port, respAddr: resp.addr, respPort: resp.port,
    duration: z.duration, origBytes: z.orig_bytes, respBytes: z.resp_bytes, connState: z.conn_state, missedBytes: 0,
    history: z.history, origPkts: z.orig_pkts, origIpBytes: z.orig_ip_bytes, respPkts: z.resp_pkts, respIpBytes: z.resp_ip_bytes,
  };
}

/** A conn.log whose #open/#close come from the capture's own first and last flow times. */
export function formatZeek(result: AnalysisResult): string {
  const flows = result.flows;
  if (flows.length === 0) return '';
  const open = Math.min(...flows.map((f) => isoToSeconds(f.start)));
  const close = Math.max(...flows.map((f) => isoToSeconds(f.end)));
  return formatZeekConnLog(flows.map(zeekRowOf), { open, close, uidSeed: zeekUidSeed(result.captures) });
}

/** What the uids are derived from: the capture files' names, so they are the same on every run. */
export function zeekUidSeed(captures: readonly { readonly file: string }[]): string {
  return captures.map((c) => c.file.split('/').pop()).join(',');
}
