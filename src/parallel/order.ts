/**
 * Puts the flows of several workers back in the order one engine would have
 * ended them, with the ids one engine would have given them.
 *
 * Ids: one engine numbers flows 1, 2, 3… by their first frame. A worker
 * numbers each flow by its first frame's number instead (FlowTableOptions.ids),
 * and reports the flows it creates as it goes; a flow's id is its place among
 * all workers' first frames, known once every worker has read past it.
 *
 * Order: one engine ends a flow while routing a frame (at most one: the old
 * incarnation, or a flow found finished), in a sweep after a frame (in id
 * order: FlowTable.sweep), or in the drain at the end (in id order). So
 * (frame, route before sweep, id) orders every end, and a flow ended at frame
 * F can be passed on once every worker has read past F: none can end an
 * earlier one any more.
 */

import { FirstFrameIds, renumberFlow, type FlowRecord, type RecordFacts } from '../tcp/record.ts';

/** When a flow ended: see the file's comment. */
export const ROUTE = 0;
export const SWEEP = 1;
export const DRAIN = 2;

/** A flow a worker ended, as it crosses to the merge. */
export interface EndedFlow {
  /** Its record as JSON, with the worker's id: its first frame's number. */
  readonly record: string;
  /** What the summary counts of it (record.ts RecordFacts), as JSON. */
  readonly facts: string;
  /** The record's JSON is JSON.stringify's and all latin1 (what a format's fromJson takes). */
  readonly exact: boolean;
  /** The frame it ended at (Infinity in the drain). */
  readonly at: number;
  readonly phase: typeof ROUTE | typeof SWEEP | typeof DRAIN;
  /** Its id in the worker: its first frame's number. */
  readonly id: number;
  /** Its first frame's time (the SYN-flood summary's first and last). */
  readonly firstSec: number;
  readonly firstNsec: number;
}

/** Where the merge hands each flow, in order, with its final id. */
export type Deliver = (record: FlowRecord, firstSec: number, firstNsec: number) => void;

/**
 * Where the merge hands a flow as its JSON text, renumbered, when the text is
 * exact and its only id is its own (a reused tuple's record names the flow
 * before it: that one is parsed and renumbered whole).
 */
export type DeliverText = (id: number, json: string, facts: RecordFacts, firstSec: number, firstNsec: number) => void;

interface Lane {
  /** Frames covered so far: every flow this worker created or ended up to here has been reported. */
  progress: number;
  /** First frames of the flows it created, not yet numbered. */
  created: number[];
  createdAt: number;
  ended: EndedFlow[];
  endedAt: number;
  /** It has reported its last flow. */
  done: boolean;
}

/** The merge of N workers' reports (see the file's comment). */
export class EndOrder {
  private readonly lanes: Lane[];
  /** Every numbered flow's first frame. */
  private readonly ids = new FirstFrameIds();

  constructor(workers: number, private readonly deliver: Deliver, private readonly deliverText?: DeliverText) {
    this.lanes = Array.from({ length: workers }, () => ({ progress: 0, created: [], createdAt: 0, ended: [], endedAt: 0, done: false }));
  }

  /** A worker's report: the flows it created and ended, and that it has covered every frame up to `progress`. */
  report(worker: number, progress: number, created: ArrayLike<number>, ended: readonly EndedFlow[], done = false): void {
    const lane = this.lanes[worker]!;
    for (let i = 0; i < created.length; i++) lane.created.push(created[i]!);
    for (const e of ended) lane.ended.push(e);
    lane.progress = Math.max(lane.progress, progress);
    if (done) lane.done = true;
    this.pump();
  }

  /** Flows delivered so far. */
  get delivered(): number {
    return this.ids.size;
  }

  private pump(): void {
    let covered = Infinity;
    for (const l of this.lanes) if (!l.done) covered = Math.min(covered, l.progress);
    this.number(covered);
    for (;;) {
      // The earliest end among the lanes' heads; a lane with nothing queued
      // may still report one at or after its progress.
      let best: Lane | undefined;
      let bestEnd: EndedFlow | undefined;
      let blocked = false;
      for (const l of this.lanes) {
        const e = l.ended[l.endedAt];
        if (e === undefined) {
          if (!l.done) blocked = true;
          continue;
        }
        if (bestEnd === undefined || before(e, bestEnd)) {
          best = l;
          bestEnd = e;
        }
      }
      if (best === undefined || bestEnd === undefined) return;
      // Every other lane must have covered the frame it ended at (drain: have finished).
      if (bestEnd.at > covered || (blocked && bestEnd.phase === DRAIN)) return;
      best.endedAt++;
      if (best.endedAt > 1024 && best.endedAt * 2 > best.ended.length) {
        best.ended = best.ended.slice(best.endedAt);
        best.endedAt = 0;
      }
      this.pass(bestEnd);
    }
  }

  /** Hands on one flow in its place: as its renumbered text where it can go so, else as its renumbered record. */
  private pass(e: EndedFlow): void {
    const deliverText = this.deliverText;
    if (deliverText !== undefined && e.exact) {
      const id = this.idOf(e.id);
      const text = renumberedText(e.record, e.id, id);
      if (text !== undefined) {
        deliverText(id, text, JSON.parse(e.facts) as RecordFacts, e.firstSec, e.firstNsec);
        return;
      }
    }
    this.deliver(renumberFlow(JSON.parse(e.record) as FlowRecord, this.idOf), e.firstSec, e.firstNsec);
  }

  /** Numbers every created flow whose first frame every lane has covered. */
  private number(covered: number): void {
    for (;;) {
      let best: Lane | undefined;
      for (const l of this.lanes) {
        const f = l.created[l.createdAt];
        if (f !== undefined && f <= covered && (best === undefined || f < best.created[best.createdAt]!)) best = l;
      }
      if (best === undefined) return;
      const frame = best.created[best.createdAt++]!;
      if (best.createdAt > 1024 && best.createdAt * 2 > best.created.length) {
        best.created = best.created.slice(best.createdAt);
        best.createdAt = 0;
      }
      if (!this.ids.push(frame)) throw new Error(`flow first frames out of order at frame ${frame}`);
    }
  }

  /** The id of the flow whose first frame is `frame`. */
  private readonly idOf = (frame: number): number => {
    const id = this.ids.idOf(frame);
    if (id === undefined) throw new Error(`no flow begins at frame ${frame}`);
    return id;
  };
}

/**
 * A record's JSON with its id `from` made `to`, or undefined when that is not
 * a matter of its first member: the id is the record's first key, and a
 * record that names another flow (`previous_flow`, a reused tuple) is left to
 * renumberFlow.
 */
function renumberedText(json: string, from: number, to: number): string | undefined {
  const head = `{"id":${from},`;
  if (!json.startsWith(head) || json.includes('"previous_flow"')) return undefined;
  return `{"id":${to},${json.slice(head.length)}`;
}

function before(a: EndedFlow, b: EndedFlow): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.phase !== b.phase) return a.phase < b.phase;
  return a.id < b.id;
}
