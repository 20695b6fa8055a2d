/**
 * The flow table of an analysis and what it holds for each tuple: a flow
 * being replayed, or a compact flow (its packed segments or its state:
 * compact.ts), which is also how a quiet one is parked. The table
 * (flow/table.ts) knows no TCP; these hooks answer its questions from the
 * lifecycle engine.
 */

import type { IcmpError } from '../decode/icmp.ts';
import type { Stash } from '../spool/stash.ts';
import { FlowTable } from '../flow/table.ts';
import { evictedFinding } from './anomalies/table.ts';
import type { Precision } from '../capture/frame.ts';
import { Compactor, isCompact, type CompactPolicy, type EarlyFinish, type HeldFlow } from './compact.ts';
import { addFinding, startsNewIncarnation } from './lifecycle.ts';
import type { Flow, LifecycleOptions } from './types.ts';

/** What {@link createHeldFlowTable} needs. */
export interface HeldFlowTableOptions {
  readonly lifecycle: LifecycleOptions;
  /** Where compact and parked flows go once many are held. */
  readonly stash: Stash;
  readonly compact: CompactPolicy;
  /** Most flows held at once (FlowTableOptions.maxFlows). */
  readonly maxFlows: number;
  readonly idleTimeout: number | undefined;
  /** How the table numbers flows (FlowTableOptions.ids). */
  readonly ids?: 'sequential' | 'first-frame';
  /** Told of each flow the table creates, by id. */
  readonly created?: (id: number) => void;
  /** Finalises a flow (the table is done with it). */
  readonly finish: (flow: Flow) => void;
  /** Prints a flow whose record was made when it was done (compact.ts), settled to now. */
  readonly finishEarly: (early: EarlyFinish) => void;
  /** The capture's time now, in seconds (for an eviction's message, and the records made early). */
  readonly now: () => number;
  /** The precision records are written with. */
  readonly precision: () => Precision;
}

/** The table, and the flow behind what it holds for a tuple (shared with the table: change it only through the table). */
export interface HeldFlowTable {
  readonly table: FlowTable<HeldFlow>;
  readonly full: (held: HeldFlow) => Flow;
  /** Replays an ICMP error in the flow of the segment it quotes; what the table holds for it then, or undefined when no live flow has that tuple. */
  readonly icmp: (err: IcmpError) => HeldFlow | undefined;
}

/** A flow table whose flows are replayed by the lifecycle engine and held as compactly as their state allows. */
export function createHeldFlowTable(o: HeldFlowTableOptions): HeldFlowTable {
  const { lifecycle, stash, maxFlows, finish } = o;
  const compactor = new Compactor(lifecycle, stash, o.compact, () => table.size, o.now, o.precision);
  const full = (held: HeldFlow): Flow => compactor.full(held);
  const table: FlowTable<HeldFlow> = new FlowTable<HeldFlow>({
    create: (seg, id, key, previous) => {
      o.created?.(id);
      return compactor.create(seg, id, key, previous);
    },
    update: (held, seg) => compactor.update(held, seg),
    startsNewIncarnation: (held, seg) => startsNewIncarnation(full(held), seg),
    // Kept 2 MSL past the close, the lifetime of a stray segment, so a late
    // retransmission still lands in its own flow and not in a new midstream one
    // (the quiet test first: it is one subtraction, and the table asks on every segment).
    isFinished: (held, t) => compactor.isFinished(held, t),
    // A flow quiet for 2 MSL that has not ended (an unanswered SYN, an idle or
    // stuck connection) waits for its next segment or the capture's end held
    // compact (on disk when many are), so such flows do not add up in memory
    // over a long capture.
    park: (held) => compactor.setAside(held),
    wake: (parked) => parked as HeldFlow,
    evicted: (held) => {
      const flow = full(held);
      addFinding(flow, evictedFinding(flow, o.now(), maxFlows));
      finish(flow);
    },
    isCompact,
  }, (held) => {
    const early = compactor.finished(held);
    if (early === undefined) finish(full(held));
    else o.finishEarly(early);
  }, {
    // Quiet for 2 MSL, any TIME_WAIT has run out: the answer then holds until the next segment.
    stableAfter: 2 * lifecycle.msl,
    maxFlows,
    ...(o.idleTimeout === undefined ? {} : { idleTimeout: o.idleTimeout }),
    ...(o.ids === undefined ? {} : { ids: o.ids }),
  });
  const icmp = (err: IcmpError): HeldFlow | undefined =>
    table.notice(err.quoted, err.sec + err.nsec / 1e9, (held) => compactor.icmp(held, err));
  return { table, full, icmp };
}
