/**
 * Routes segments to flows: one live flow per 4-tuple, a new generation when a
 * tuple is reused. The table knows nothing of TCP states: the lifecycle engine
 * tells it, through `FlowHooks`, whether a segment begins a new incarnation and
 * when a flow is finished, which keeps imports flowing one way (tcp → flow).
 *
 * Every segment passes through route(), so the lookup builds no string: a
 * tuple is found by its numeric tupleHash and confirmed by comparing the
 * addresses and ports themselves. The canonical key string is made once per
 * flow, when it is created.
 */

import type { Segment } from '../decode/segment.ts';
import { flowKey, tupleHash } from './key.ts';

/** What the table asks of whoever owns the per-flow state. */
export interface FlowHooks<F> {
  /** Builds the state of a new flow whose first segment is `seg` (which `update` then replays). */
  create(seg: Segment, id: number, key: string, previous: F | undefined): F;
  /** Replays `seg` into an existing flow. */
  update(flow: F, seg: Segment): void;
  /** True when `seg` cannot belong to `flow` and opens a new connection on the same tuple. */
  startsNewIncarnation(flow: F, seg: Segment): boolean;
  /**
   * True when nothing more can happen to the flow before `now` (seconds); it is
   * then finalised: by sweep(), or at the latest when the next segment of its
   * tuple arrives, which then starts a flow of its own. Asking at arrival too
   * makes the result independent of how often sweep() runs.
   */
  isFinished?(flow: F, now: number): boolean;
  /**
   * With FlowTableOptions.stableAfter: called when a sweep finds the flow quiet
   * and not finished, so it will sit unchanged until its next segment or the
   * end. Returns what the table keeps in its place (a compact or stashed
   * form); `wake` gets the flow back before any other hook sees it again.
   */
  park?(flow: F): unknown;
  /** The flow `park` set aside. */
  wake?(parked: unknown): F;
  /**
   * With FlowTableOptions.maxFlows: the flow is being finalised early because
   * the table was full (it is the longest-idle one). Called instead of the
   * table's onFinished for that flow; without it, onFinished is called.
   */
  evicted?(flow: F): void;
}

/** Options of a {@link FlowTable}. */
export interface FlowTableOptions {
  /**
   * A promise about `isFinished`: it is false for a flow whose last segment is
   * less than this many seconds old, and once a flow has been quiet this long
   * its answer no longer changes until the flow's next segment. With it,
   * sweep() looks only at flows that went quiet since the last sweep (oldest
   * first) and never asks twice about one that stays quiet, so a sweep costs
   * what finished, not what is held. Without it, every sweep asks about every
   * flow, in the order their tuples were first seen.
   */
  readonly stableAfter?: number;
  /**
   * Seconds without a segment after which a flow is finalised as it stands,
   * whatever its state (checked by sweep(), and when the tuple's next segment
   * arrives, which then starts a new flow).
   */
  readonly idleTimeout?: number;
  /**
   * Most tuples held at once, parked ones included. Before a new tuple would
   * make it more, the longest-idle one is finalised through FlowHooks.evicted.
   */
  readonly maxFlows?: number;
}

/** One live tuple: its current flow, and its place in the bucket chain and in both orders. */
interface Entry<F> {
  /** The tuple's flow (meaningless while `parkedAs` holds it). */
  flow: F;
  /** What FlowHooks.park returned, while the flow is parked that way. */
  parkedAs: unknown;
  readonly hash: number;
  /** The tuple as its first segment gave it. */
  readonly aAddr: string;
  readonly aPort: number;
  readonly bAddr: string;
  readonly bPort: number;
  /** Next entry with the same hash. */
  chain: Entry<F> | undefined;
  /** Neighbours in the order tuples were first seen (the order drain finalises in). */
  prev: Entry<F> | undefined;
  next: Entry<F> | undefined;
  /** Time (seconds) of the tuple's last segment. */
  last: number;
  /** Neighbours in the order of last activity (least recent first): who is evicted. */
  idlePrev: Entry<F> | undefined;
  idleNext: Entry<F> | undefined;
  /** A sweep found it quiet and not finished (it may still be in the wheel for an idle timeout). */
  parked: boolean;
  /**
   * The second at which sweep() next looks at the entry (its bucket), NONE
   * when no bucket holds it, REMOVED once it left the table.
   */
  due: number;
}

const NONE = -1;
const REMOVED = -2;

/** Map keys are kept within V8's small-integer range. */
const HASH_MASK = 0x3fff_ffff;

/** A flow table keyed by canonical 4-tuple. */
export class FlowTable<F> {
  private readonly buckets = new Map<number, Entry<F>>();
  private first: Entry<F> | undefined;
  private last: Entry<F> | undefined;
  /** Least and most recently active entries (maxFlows). */
  private idleFirst: Entry<F> | undefined;
  private idleLast: Entry<F> | undefined;
  private readonly idleTimeout: number | undefined;
  private readonly maxFlows: number | undefined;
  /**
   * With stableAfter: entries by the whole second at which a sweep should look
   * at them (a timing wheel), and those seconds as a min-heap. A segment only
   * updates its entry's `last`; an entry found not yet quiet is put back for
   * when it could be, so each flow is looked at about once per stableAfter of
   * activity, and a segment never touches any entry but its own.
   */
  private readonly wheel = new Map<number, Entry<F>[]>();
  private readonly dueSeconds: number[] = [];
  private readonly stableAfter: number | undefined;
  private count = 0;
  /** Entries the wheel still holds that have left the table or moved to another bucket. */
  private stale = 0;
  private nextId = 1;

  constructor(
    private readonly hooks: FlowHooks<F>,
    private readonly onFinished: (flow: F) => void,
    options: FlowTableOptions = {},
  ) {
    this.idleTimeout = options.idleTimeout;
    this.maxFlows = options.maxFlows;
    // An idle timeout shorter than stableAfter makes flows finish sooner than the promise says.
    this.stableAfter = options.stableAfter === undefined || options.idleTimeout === undefined
      ? options.stableAfter : Math.min(options.stableAfter, options.idleTimeout);
  }

  /** Number of flows currently held in memory. */
  get size(): number {
    return this.count;
  }

  /** Routes one segment, creating or replacing the flow for its tuple. */
  route(seg: Segment): F {
    const hash = tupleHash(seg) & HASH_MASK;
    const now = seg.sec + seg.nsec / 1e9;
    let entry = this.buckets.get(hash);
    while (entry !== undefined && !sameTuple(entry, seg)) entry = entry.chain;
    if (entry !== undefined) {
      if (entry.parked) {
        entry.parked = false;
        this.unpark(entry);
        this.schedule(entry, now);
      }
      const current = entry.flow;
      const isFinished = this.hooks.isFinished;
      const idle = this.idleTimeout !== undefined && now - entry.last >= this.idleTimeout;
      entry.last = now;
      if (this.maxFlows !== undefined) this.touch(entry);
      if (idle || (isFinished !== undefined && isFinished(current, now))) {
        // What a sweep at this moment would have done: the segment finds the tuple free.
        this.remove(entry);
        this.onFinished(current);
        entry = undefined;
      } else if (!this.hooks.startsNewIncarnation(current, seg)) {
        this.hooks.update(current, seg);
        return current;
      } else {
        // The new flow is built first: taking over the tuple may end the old one's TIME_WAIT.
        const flow = this.hooks.create(seg, this.nextId++, flowKey(seg), current);
        this.onFinished(current);
        entry.flow = flow;
        this.hooks.update(flow, seg);
        return flow;
      }
    }
    if (this.maxFlows !== undefined) {
      while (this.count >= this.maxFlows && this.idleFirst !== undefined) this.evict(this.idleFirst);
    }
    const flow = this.hooks.create(seg, this.nextId++, flowKey(seg), undefined);
    this.insert(hash, seg, flow, now);
    this.hooks.update(flow, seg);
    return flow;
  }

  /** Finalises the longest-idle entry early (the table is full). */
  private evict(entry: Entry<F>): void {
    entry.parked = false;
    this.unpark(entry);
    const flow = entry.flow;
    this.remove(entry);
    const evicted = this.hooks.evicted;
    if (evicted !== undefined) evicted(flow);
    else this.onFinished(flow);
  }

  /** Makes the entry the most recently active. */
  private touch(entry: Entry<F>): void {
    if (this.idleLast === entry) return;
    this.unlinkIdle(entry);
    this.linkIdle(entry);
  }

  private linkIdle(entry: Entry<F>): void {
    entry.idlePrev = this.idleLast;
    entry.idleNext = undefined;
    if (this.idleLast === undefined) this.idleFirst = entry;
    else this.idleLast.idleNext = entry;
    this.idleLast = entry;
  }

  private unlinkIdle(entry: Entry<F>): void {
    if (entry.idlePrev === undefined) {
      if (this.idleFirst === entry) this.idleFirst = entry.idleNext;
    } else entry.idlePrev.idleNext = entry.idleNext;
    if (entry.idleNext === undefined) {
      if (this.idleLast === entry) this.idleLast = entry.idlePrev;
    } else entry.idleNext.idlePrev = entry.idlePrev;
    entry.idlePrev = undefined;
    entry.idleNext = undefined;
  }

  /**
   * Counts an entry left behind in a wheel bucket; when they outnumber the
   * live ones (a flood of flows evicted or finished within 2 MSL, before
   * their seconds come round), drops them, so the wheel stays in proportion
   * to the table.
   */
  private noteStale(): void {
    if (++this.stale <= this.count + 65_536) return;
    for (const [second, bucket] of this.wheel) {
      const kept = bucket.filter((e) => e.due === second);
      if (kept.length === 0) this.wheel.delete(second);
      else this.wheel.set(second, kept);
    }
    this.stale = 0;
  }

  /** Brings back a flow FlowHooks.park set aside. */
  private unpark(entry: Entry<F>): void {
    const wake = this.hooks.wake;
    if (entry.parkedAs === undefined || wake === undefined) return;
    entry.flow = wake(entry.parkedAs);
    entry.parkedAs = undefined;
  }

  /** Puts the entry in the wheel for when it will have been quiet for stableAfter since `last`. */
  private schedule(entry: Entry<F>, last: number): void {
    const stableAfter = this.stableAfter;
    if (stableAfter === undefined) return;
    this.scheduleAt(entry, last + stableAfter);
  }

  /** Puts the entry in the wheel for the whole second at or after `time`. */
  private scheduleAt(entry: Entry<F>, time: number): void {
    const second = Math.ceil(time);
    if (entry.due >= 0) this.noteStale();
    let bucket = this.wheel.get(second);
    if (bucket === undefined) {
      bucket = [];
      this.wheel.set(second, bucket);
      heapPush(this.dueSeconds, second);
    }
    bucket.push(entry);
    entry.due = second;
  }

  /**
   * Finalises flows that can no longer change (closed, or TIME_WAIT past 2 MSL)
   * so memory follows the connections open at once, not the capture's length.
   */
  sweep(now: number): void {
    const isFinished = this.hooks.isFinished;
    if (isFinished === undefined) return;
    const stableAfter = this.stableAfter;
    if (stableAfter !== undefined) {
      // Buckets in time order, entries within a bucket in the order they were put there.
      while (this.dueSeconds.length > 0 && this.dueSeconds[0]! <= now) {
        const second = heapPop(this.dueSeconds);
        const bucket = this.wheel.get(second) ?? [];
        this.wheel.delete(second);
        const idleTimeout = this.idleTimeout;
        for (const e of bucket) {
          // Finished meanwhile, or rescheduled by a segment after a park.
          if (e.due !== second) continue;
          e.due = NONE;
          if (idleTimeout !== undefined && now - e.last >= idleTimeout) {
            e.parked = false;
            this.unpark(e);
            const done = e.flow;
            this.remove(e);
            this.onFinished(done);
          } else if (e.parked) {
            // Woken for an idle timeout that the last segment moved: look again then.
            this.scheduleAt(e, e.last + (idleTimeout ?? 0));
          } else if (now - e.last < stableAfter) {
            this.schedule(e, e.last);
          } else if (isFinished(e.flow, now)) {
            const done = e.flow;
            this.remove(e);
            this.onFinished(done);
          } else {
            // Its answer will not change before its next segment (FlowTableOptions.stableAfter).
            e.parked = true;
            const park = this.hooks.park;
            if (park !== undefined) {
              e.parkedAs = park(e.flow);
              e.flow = undefined as unknown as F;
            }
            // Only the idle timeout can still end it before its next segment.
            if (idleTimeout !== undefined) this.scheduleAt(e, e.last + idleTimeout);
          }
        }
      }
      return;
    }
    for (let e = this.first; e !== undefined;) {
      const next = e.next;
      if ((this.idleTimeout !== undefined && now - e.last >= this.idleTimeout) || isFinished(e.flow, now)) {
        const done = e.flow;
        this.remove(e);
        this.onFinished(done);
      }
      e = next;
    }
  }

  /** Finalises every flow still held (end of capture). */
  drain(): void {
    for (let e = this.first; e !== undefined;) {
      const next = e.next;
      this.unpark(e);
      const done = e.flow;
      this.remove(e);
      this.onFinished(done);
      e = next;
    }
  }

  private insert(hash: number, seg: Segment, flow: F, now: number): void {
    const entry: Entry<F> = {
      flow, hash, aAddr: seg.src, aPort: seg.srcPort, bAddr: seg.dst, bPort: seg.dstPort,
      chain: this.buckets.get(hash), prev: this.last, next: undefined, last: now, due: NONE, parkedAs: undefined,
      idlePrev: undefined, idleNext: undefined, parked: false,
    };
    if (this.maxFlows !== undefined) this.linkIdle(entry);
    this.buckets.set(hash, entry);
    if (this.last === undefined) this.first = entry;
    else this.last.next = entry;
    this.last = entry;
    this.schedule(entry, now);
    this.count++;
  }

  private remove(entry: Entry<F>): void {
    const head = this.buckets.get(entry.hash);
    if (head === entry) {
      if (entry.chain === undefined) this.buckets.delete(entry.hash);
      else this.buckets.set(entry.hash, entry.chain);
    } else {
      let e = head;
      while (e !== undefined && e.chain !== entry) e = e.chain;
      if (e !== undefined) e.chain = entry.chain;
    }
    if (entry.prev === undefined) this.first = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.last = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
    entry.chain = undefined;
    if (this.maxFlows !== undefined) this.unlinkIdle(entry);
    // The wheel may still hold the entry until its second comes: it must not hold the flow.
    entry.flow = undefined as unknown as F;
    entry.parkedAs = undefined;
    if (entry.due >= 0) this.noteStale();
    entry.due = REMOVED;
    this.count--;
  }
}

/** Binary min-heap push. */
function heapPush(h: number[], x: number): void {
  let i = h.length;
  h.push(x);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= x) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = x;
}

/** Binary min-heap pop (the heap must not be empty). */
function heapPop(h: number[]): number {
  const top = h[0]!;
  const x = h.pop()!;
  const n = h.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]! < h[c]!) c++;
      if (h[c]! >= x) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = x;
  }
  return top;
}

/** True when `seg` travels between the entry's two ends, either way. */
function sameTuple<F>(e: Entry<F>, seg: Segment): boolean {
  return (e.aPort === seg.srcPort && e.bPort === seg.dstPort && e.aAddr === seg.src && e.bAddr === seg.dst) ||
    (e.aPort === seg.dstPort && e.bPort === seg.srcPort && e.aAddr === seg.dst && e.bAddr === seg.src);
}
