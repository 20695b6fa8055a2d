/**
 * One partition's analysis: a flow table whose flows the lifecycle engine
 * replays, turned into records as they end. analyze.ts runs one of these on
 * every segment of a capture; each worker of a parallel analysis
 * (src/parallel/) runs one on the flows its hash bucket owns. Either way a
 * flow's record depends on nothing but its own segments and the capture's
 * clock, which is what lets the workers' records be merged into one run's.
 */

import type { Precision } from './capture/frame.ts';
import type { IcmpError } from './decode/icmp.ts';
import type { Segment } from './decode/segment.ts';
import { createStash } from './spool/stash.ts';
import { ViaTracker } from './flow/via.ts';
import type { CompactPolicy, EarlyFinish, HeldFlow } from './tcp/compact.ts';
import { createHeldFlowTable } from './tcp/held.ts';
import type { Flow, LifecycleOptions } from './tcp/types.ts';
import { finishFlow, withViaText, type FlowRecord, type RecordFacts } from './tcp/record.ts';

/**
 * When a flow ended, relative to the segment stream: while a segment was
 * routed (its tuple's next segment found it finished, or began a new
 * incarnation), in a sweep after a frame, or when the table was drained at
 * the capture's end. With the frame it happened at and the flow's id, this
 * orders every flow's end the same way whichever worker held it.
 */
export type EndPhase = 'route' | 'sweep' | 'drain';

/** What the end of a flow tells beside its record (a Flow is one; so is a record made early, compact.ts). */
export interface FlowEnd {
  readonly id: number;
  readonly firstSec: number;
  readonly firstNsec: number;
  readonly lastFrame: number;
}

/** What endedText is told beside a record made early: what the summary counts of it, and whether its text is JSON.stringify's, all latin1 (not escaped for keeping). */
export interface EarlyText {
  readonly facts: string;
  readonly exact: boolean;
}

/** What an engine needs to know of its analysis. */
export interface EngineOptions {
  readonly lifecycle: LifecycleOptions;
  readonly compact: CompactPolicy;
  readonly maxFlows: number;
  readonly idleTimeout: number | undefined;
  /** How flows are numbered (FlowTableOptions.ids): a worker numbers them by first frame. */
  readonly ids?: 'sequential' | 'first-frame';
  /** The capture's time now (seconds): the latest segment's, of the whole capture. */
  readonly now: () => number;
  /** The timestamp precision records are written with. */
  readonly precision: () => Precision;
  /** Each flow as it is created, by id. */
  readonly created?: (id: number) => void;
  /** Each flow as it ends, with its record. */
  readonly ended: (record: FlowRecord, flow: FlowEnd, phase: EndPhase) => void;
  /**
   * With it, a flow whose record was made when it was done (tcp/compact.ts)
   * ends here instead, as that record's JSON text (JSON.parse gives the record
   * `ended` would have had): a worker hands the text on without parsing it.
   */
  readonly endedText?: (json: string, flow: FlowEnd, phase: EndPhase, early: EarlyText) => void;
  /**
   * With it (and not endedText), a flow whose record was made early ends here
   * as that record's JSON text and what the summary counts of it, without
   * being parsed: an ndjson line is that text.
   */
  readonly endedEarly?: (json: string, facts: RecordFacts, flow: FlowEnd, phase: EndPhase) => void;
}

/** A partition's flow table and what turns its flows into records. */
export interface Engine {
  /** Replays one segment; returns what the table now holds for its tuple. */
  route(seg: Segment): HeldFlow;
  /** Replays an ICMP error in the flow it quotes; what the table holds for it then, or undefined when no live flow has the quoted tuple. */
  icmp(err: IcmpError): HeldFlow | undefined;
  /** Ends the flows that can no longer change by `now`. */
  sweep(now: number): void;
  /** Ends up to `limit` of the flows still held (the capture is over); true once none is left. */
  drain(limit: number): boolean;
  /** The flow behind what the table holds. */
  full(held: HeldFlow): Flow;
  /** A flow's record as it stands now (live output finishes a copy early with it). */
  record(flow: Flow): FlowRecord;
  /** Flows held now. */
  readonly size: number;
  /** Frees the stash on disk. */
  close(): void;
}

export function createEngine(o: EngineOptions): Engine {
  const vias = new ViaTracker();
  let phase: EndPhase = 'route';
  // Encapsulations only where the flow came through one, so plain flows' JSON is unchanged.
  const withVia = (finished: FlowRecord): FlowRecord => {
    const via = vias.viaOf(finished.client.addr, finished.client.port, finished.server.addr, finished.server.port);
    return via === undefined ? finished : { ...finished, via };
  };
  const recordOf = (flow: Flow): FlowRecord => withVia(finishFlow(flow, { options: o.lifecycle, precision: o.precision(), captureEnd: o.now() }));
  const endedText = o.endedText;
  const endedEarly = endedText === undefined ? o.endedEarly : undefined;
  const finishEarly = (early: EarlyFinish): void => {
    // `via` is the record's last key: added to the text as JSON.stringify would write it.
    const via = vias.viaOf(early.client.addr, early.client.port, early.server.addr, early.server.port);
    const text = via === undefined ? early.json : withViaText(early.json, via);
    if (endedText !== undefined) endedText(text, early, phase, { facts: early.facts, exact: !early.escaped });
    // Text whose characters beyond latin1 were escaped for keeping is not JSON.stringify's: it is parsed.
    else if (endedEarly !== undefined && !early.escaped) endedEarly(text, JSON.parse(early.facts) as RecordFacts, early, phase);
    else o.ended(JSON.parse(text) as FlowRecord, early, phase);
  };
  const stash = createStash();
  const { table, full, icmp } = createHeldFlowTable({
    lifecycle: o.lifecycle, stash, compact: o.compact, maxFlows: o.maxFlows, idleTimeout: o.idleTimeout,
    ...(o.ids === undefined ? {} : { ids: o.ids }),
    ...(o.created === undefined ? {} : { created: o.created }),
    finish: (flow) => o.ended(recordOf(flow), flow, phase),
    finishEarly,
    now: o.now,
    precision: o.precision,
  });
  return {
    route(seg: Segment): HeldFlow {
      vias.note(seg);
      return table.route(seg);
    },
    icmp,
    sweep(now: number): void {
      phase = 'sweep';
      try {
        table.sweep(now);
      } finally {
        phase = 'route';
      }
    },
    drain(limit: number): boolean {
      phase = 'drain';
      try {
        return table.drain(limit);
      } finally {
        phase = 'route';
      }
    },
    full,
    record: recordOf,
    get size(): number {
      return table.size;
    },
    close(): void {
      stash.close();
    },
  };
}
