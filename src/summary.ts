/**
 * The `summary` block: what every flow of the capture adds up to, counted as
 * each flow is finalised, so the flows themselves need not be kept.
 */

import type { Precision } from './capture/frame.ts';
import { SynFloodDetector, type SynFloodRecord } from './syn-flood.ts';
import type { RecordFacts } from './tcp/record.ts';

/** The `summary` block. */
export interface SummaryRecord {
  readonly frames: number;
  readonly tcp_segments: number;
  readonly flows: number;
  /** Frames that were not TCP segments, by reason (protocol name, `IPv4 fragment`, `linktype NAME`…). */
  readonly skipped: Record<string, number>;
  readonly handshakes: Record<string, number>;
  readonly closes: Record<string, number>;
  /** Every finding by code, including those not listed in a flow. */
  readonly anomalies: Record<string, number>;
  /**
   * ICMP errors quoting a TCP segment (present only when the capture has
   * some): how many reached a flow of the capture, and how many quoted none
   * (a connection that began before the capture, or was over by then).
   */
  readonly icmp_errors?: { readonly about_flows: number; readonly about_no_flow: number };
  /** Targets of a SYN flood (present only when there is one): see docs/json.md. */
  readonly syn_floods?: SynFloodRecord[];
}

/** What the summary counts, gathered as each flow is finalised (the flows themselves need not be kept). */
export interface Tally {
  flows: number;
  readonly handshakes: Map<string, number>;
  readonly closes: Map<string, number>;
  readonly anomalies: Map<string, number>;
  readonly floods: SynFloodDetector;
  /** ICMP errors the flows took (each flow's `icmp`). */
  icmp: number;
}

export function newTally(): Tally {
  return { flows: 0, handshakes: new Map(), closes: new Map(), anomalies: new Map(), floods: new SynFloodDetector(), icmp: 0 };
}

/** Counts a finished flow (record.ts recordFacts); `firstSec`/`firstNsec` is its first frame's time (SYN floods' first and last). */
export function countFlow(t: Tally, f: RecordFacts, firstSec: number, firstNsec: number): void {
  t.flows++;
  t.icmp += f.icmp;
  count(t.handshakes, f.handshake.kind);
  count(t.closes, f.close.kind);
  for (const a of f.anomalies) count(t.anomalies, a.code);
  const notListed = f.anomalies_not_listed;
  if (notListed !== undefined) for (const [code, n] of Object.entries(notListed)) count(t.anomalies, code, n);
  t.floods.add(f, firstSec, firstNsec);
}

export function summarize(
  frames: number, segments: number, skipped: Map<string, number>, t: Tally, precision: Precision, icmpErrors = 0,
): SummaryRecord {
  const floods = t.floods.report(precision);
  return {
    frames, tcp_segments: segments, flows: t.flows, skipped: sorted(skipped),
    handshakes: sorted(t.handshakes), closes: sorted(t.closes), anomalies: sorted(t.anomalies),
    ...(icmpErrors === 0 ? {} : { icmp_errors: { about_flows: t.icmp, about_no_flow: icmpErrors - t.icmp } }),
    ...(floods.length === 0 ? {} : { syn_floods: floods }),
  };
}

function count(into: Map<string, number>, key: string, n = 1): void {
  into.set(key, (into.get(key) ?? 0) + n);
}

/** A map as an object with keys in code-point order, so output never depends on insertion order. */
function sorted(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k) ?? 0;
  return out;
}
