/**
 * Routes segments to flows: one live flow per 4-tuple, a new generation when a
 * tuple is reused. The table knows nothing of TCP states: the lifecycle engine
 * tells it, through `FlowHooks`, whether a segment begins a new incarnation and
 * when a flow is finished, which keeps imports flowing one way (tcp → flow).
 *
 * Every segment passes through route(), so the lookup builds no string: a
 * tuple is found by its numeric tupleHash and confirmed by comparing the
 * addresses and ports themselves.
 *
 * The table's own bookkeeping lives in typed arrays indexed by slot, not in an
 * object per tuple: a SYN flood holds a million tuples at once, and an object
 * with its hash-map entry was ~200 bytes each before the flow itself; a slot
 * is ~50 bytes (docs/performance.md, "Floods").
 */

import type { Segment } from '../decode/segment.ts';

/** The two ends of a connection, either way round: a segment, or the segment an ICMP error quotes. */
export type Tuple = Pick<Segment, 'src' | 'srcPort' | 'dst' | 'dstPort'>;
import { flowKey, ipv4Number, tupleHash } from './key.ts';

/** What the table asks of whoever owns the per-flow state. */
export interface FlowHooks<F> {
  /** Builds the state of a new flow whose first segment is `seg` (which `update` then replays). */
  create(seg: Segment, id: number, key: string, previous: F | undefined): F;
  /**
   * Replays `seg` into an existing flow. It may return what the table should
   * hold from now on instead (a compact form of the flow, or the full flow
   * rebuilt from one); returning nothing keeps `flow`.
   */
  update(flow: F, seg: Segment): F | void;
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
  /**
   * True when the flow is held in a compact form (a few bytes per segment
   * rather than its full state): it then weighs COMPACT_WEIGHT against
   * FlowTableOptions.maxFlows, as a parked flow does.
   */
  isCompact?(flow: F): boolean;
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
   * Most flows held at once, a compact or parked one counting COMPACT_WEIGHT
   * of a flow (it takes about that share of the memory). Before a new tuple
   * would make it more, the longest-idle ones are finalised through
   * FlowHooks.evicted.
   */
  readonly maxFlows?: number;
  /**
   * How flows are numbered: 1, 2, 3… as they are created (the default), or by
   * the frame number of their first segment. A worker of a parallel analysis
   * (src/parallel/) numbers by first frame, which is what the merge needs to
   * give every flow its place among all workers' flows.
   */
  readonly ids?: 'sequential' | 'first-frame';
}

/**
 * What a compact or parked flow counts against maxFlows: a waiting flow held
 * as its few packed segments, or parked on disk, takes ~150–250 bytes of
 * memory against the ~4 KB of a full one.
 */
export const COMPACT_WEIGHT = 1 / 16;

/** No slot (end of a chain or list). */
const NIL = -1;
/** Values of `due` other than a second: in no wheel bucket; left the table. */
const NONE = -1;
const REMOVED = -2;

/** Bits of `bits[slot]`. */
const PARKED = 1; // a sweep found it quiet and not finished (it may still be in the wheel for an idle timeout)
const PARKED_AS = 2; // flows[slot] holds what FlowHooks.park returned
const COMPACT = 4; // counted at COMPACT_WEIGHT
const V4 = 8; // both addresses are IPv4, held in aV4/bV4

/** Map keys are kept within V8's small-integer range. */
const HASH_MASK = 0x3fff_ffff;

const INITIAL_SLOTS = 1024;

/** A flow table keyed by canonical 4-tuple. */
export class FlowTable<F> {
  // Per slot. A slot is a tuple held by the table; freed slots are reused.
  /** The tuple's flow, or what FlowHooks.park returned (PARKED_AS). */
  private flows: (F | unknown)[] = [];
  /**
   * The tuple's addresses as its first segment gave them (A sent it): IPv4 as
   * numbers (a flood's million spoofed sources would be a million strings),
   * others by slot in `otherAddrs`.
   */
  private aV4 = new Int32Array(INITIAL_SLOTS);
  private bV4 = new Int32Array(INITIAL_SLOTS);
  private readonly otherAddrs = new Map<number, readonly [a: string, b: string]>();
  /** aPort << 16 | bPort. */
  private ports = new Int32Array(INITIAL_SLOTS);
  /** Next slot in the same hash bucket. */
  private chain = new Int32Array(INITIAL_SLOTS);
  /** Neighbours in the order tuples were first seen (the unswept table's order; drain() sorts by id). */
  private prev = new Int32Array(INITIAL_SLOTS);
  private next = new Int32Array(INITIAL_SLOTS);
  /** Neighbours in the order of last activity, least recent first (who is evicted). */
  private idlePrev = new Int32Array(INITIAL_SLOTS);
  private idleNext = new Int32Array(INITIAL_SLOTS);
  /** Time (seconds) of the tuple's last segment. */
  private last = new Float64Array(INITIAL_SLOTS);
  /** The second at which sweep() next looks at the slot (its wheel bucket), NONE or REMOVED. */
  private due = new Float64Array(INITIAL_SLOTS);
  private bits = new Uint8Array(INITIAL_SLOTS);
  /** The id of the slot's flow: sweep() and drain() finalise in id order. */
  private ids = new Float64Array(INITIAL_SLOTS);
  private capacity = INITIAL_SLOTS;
  /** Slots never used yet start at `used`; freed ones wait in `free`. */
  private used = 0;
  private free: number[] = [];

  /** Heads of the hash chains, by hash & bucketMask. */
  private buckets = new Int32Array(INITIAL_SLOTS).fill(NIL);
  private bucketMask = INITIAL_SLOTS - 1;

  private first = NIL;
  private lastSeen = NIL;
  private idleFirst = NIL;
  private idleLast = NIL;
  private readonly idleTimeout: number | undefined;
  private readonly maxFlows: number | undefined;
  /**
   * With stableAfter: slots by the whole second at which a sweep should look
   * at them (a timing wheel), and those seconds as a min-heap. A segment only
   * updates its slot's `last`; a slot found not yet quiet is put back for
   * when it could be, so each flow is looked at about once per stableAfter of
   * activity, and a segment never touches any slot but its own.
   */
  private readonly wheel = new Map<number, number[]>();
  private readonly dueSeconds: number[] = [];
  private readonly stableAfter: number | undefined;
  private count = 0;
  /** Slots held compactly or parked (COMPACT_WEIGHT each against maxFlows). */
  private compactCount = 0;
  /** Slots the wheel still lists that have left the table or moved to another bucket. */
  private stale = 0;
  private nextId = 1;
  private readonly idsByFrame: boolean;
  /** drain()'s slots in id order, taken at its first call. */
  private drainOrder: Int32Array | undefined;
  private drainAt = 0;

  constructor(
    private readonly hooks: FlowHooks<F>,
    private readonly onFinished: (flow: F) => void,
    options: FlowTableOptions = {},
  ) {
    this.idleTimeout = options.idleTimeout;
    this.maxFlows = options.maxFlows;
    this.idsByFrame = options.ids === 'first-frame';
    // An idle timeout shorter than stableAfter makes flows finish sooner than the promise says.
    this.stableAfter = options.stableAfter === undefined || options.idleTimeout === undefined
      ? options.stableAfter : Math.min(options.stableAfter, options.idleTimeout);
  }

  /** Number of flows currently held (in memory, compact, or parked). */
  get size(): number {
    return this.count;
  }

  /** Routes one segment, creating or replacing the flow for its tuple; returns what the table now holds for it. */
  route(seg: Segment): F {
    const now = seg.sec + seg.nsec / 1e9;
    const slot = this.locate(seg);
    if (slot !== NIL) {
      this.wake(slot, now);
      const current = this.flows[slot] as F;
      const isFinished = this.hooks.isFinished;
      const idle = this.idleTimeout !== undefined && now - this.last[slot]! >= this.idleTimeout;
      this.last[slot] = now;
      if (this.maxFlows !== undefined) this.touch(slot);
      if (idle || (isFinished !== undefined && isFinished(current, now))) {
        // What a sweep at this moment would have done: the segment finds the tuple free.
        this.remove(slot);
        this.onFinished(current);
      } else if (!this.hooks.startsNewIncarnation(current, seg)) {
        return this.store(slot, this.hooks.update(current, seg) ?? current);
      } else {
        // The new flow is built first: taking over the tuple may end the old one's TIME_WAIT.
        const id = this.newId(seg);
        this.ids[slot] = id;
        const flow = this.hooks.create(seg, id, flowKey(seg), current);
        this.onFinished(current);
        return this.store(slot, this.hooks.update(flow, seg) ?? flow);
      }
    }
    if (this.maxFlows !== undefined) {
      while (this.weight() + 1 > this.maxFlows && this.idleFirst !== NIL) this.evict(this.idleFirst);
    }
    const id = this.newId(seg);
    const flow = this.hooks.create(seg, id, flowKey(seg), undefined);
    const added = this.insert(this.found.hash, seg, this.found.v4, this.found.src4, this.found.dst4, now);
    this.ids[added] = id;
    return this.store(added, this.hooks.update(flow, seg) ?? flow);
  }

  /**
   * Something that happened to a tuple's flow other than one of its segments
   * (an ICMP error quoting one of them): `apply` is given the flow held for
   * the tuple and returns what to hold from now on (nothing: the same). It is
   * the flow's activity at `now`, as a segment would be. Returns what is held
   * then, or undefined (and applies nothing) when no flow holds the tuple or
   * the one that does is over by `now`: what ends a flow is left to its next
   * segment or a sweep, as without this.
   */
  notice(tuple: Tuple, now: number, apply: (flow: F) => F | void): F | undefined {
    const slot = this.locate(tuple);
    if (slot === NIL) return undefined;
    this.wake(slot, now);
    const current = this.flows[slot] as F;
    const isFinished = this.hooks.isFinished;
    const idle = this.idleTimeout !== undefined && now - this.last[slot]! >= this.idleTimeout;
    if (idle || (isFinished !== undefined && isFinished(current, now))) return undefined;
    this.last[slot] = now;
    if (this.maxFlows !== undefined) this.touch(slot);
    return this.store(slot, apply(current) ?? current);
  }

  /** What locate() computed of the tuple it was last given, for insert() (fields, not a result object: this runs for every segment). */
  private readonly found = { hash: 0, v4: false, src4: 0, dst4: 0 };

  /** The slot holding `tuple`, or NIL; leaves its hash and IPv4 numbers in `found`. */
  private locate(tuple: Tuple): number {
    const src4 = ipv4Number(tuple.src);
    const dst4 = ipv4Number(tuple.dst);
    const v4 = src4 !== undefined && dst4 !== undefined;
    const hash = v4 ? v4TupleHash(src4, tuple.srcPort, dst4, tuple.dstPort) : tupleHash(tuple) & HASH_MASK;
    const found = this.found;
    found.hash = hash;
    found.v4 = v4;
    found.src4 = src4 ?? 0;
    found.dst4 = dst4 ?? 0;
    let slot = this.buckets[hash & this.bucketMask]!;
    while (slot !== NIL && !this.sameTuple(slot, tuple, v4, found.src4, found.dst4)) slot = this.chain[slot]!;
    return slot;
  }

  /** A parked flow is back in play at `now`: unparked, and due for sweeps again. */
  private wake(slot: number, now: number): void {
    if ((this.bits[slot]! & PARKED) === 0) return;
    this.bits[slot]! &= ~PARKED;
    this.unpark(slot);
    this.schedule(slot, now);
  }

  private newId(seg: Segment): number {
    return this.idsByFrame ? seg.frame : this.nextId++;
  }

  /** Flows held, compact and parked ones at COMPACT_WEIGHT. */
  private weight(): number {
    return this.count - this.compactCount + this.compactCount * COMPACT_WEIGHT;
  }

  /** Holds `flow` in the slot, keeping the compact count in step. */
  private store(slot: number, flow: F): F {
    this.flows[slot] = flow;
    const isCompact = this.hooks.isCompact;
    this.setCompact(slot, isCompact !== undefined && isCompact(flow));
    return flow;
  }

  private setCompact(slot: number, compact: boolean): void {
    const was = (this.bits[slot]! & COMPACT) !== 0;
    if (was === compact) return;
    if (compact) {
      this.bits[slot]! |= COMPACT;
      this.compactCount++;
    } else {
      this.bits[slot]! &= ~COMPACT;
      this.compactCount--;
    }
  }

  /** Finalises the longest-idle slot early (the table is full). */
  private evict(slot: number): void {
    this.bits[slot]! &= ~PARKED;
    this.unpark(slot);
    const flow = this.flows[slot] as F;
    this.remove(slot);
    const evicted = this.hooks.evicted;
    if (evicted !== undefined) evicted(flow);
    else this.onFinished(flow);
  }

  /** Makes the slot the most recently active. */
  private touch(slot: number): void {
    if (this.idleLast === slot) return;
    this.unlinkIdle(slot);
    this.linkIdle(slot);
  }

  private linkIdle(slot: number): void {
    this.idlePrev[slot] = this.idleLast;
    this.idleNext[slot] = NIL;
    if (this.idleLast === NIL) this.idleFirst = slot;
    else this.idleNext[this.idleLast] = slot;
    this.idleLast = slot;
  }

  private unlinkIdle(slot: number): void {
    const p = this.idlePrev[slot]!;
    const n = this.idleNext[slot]!;
    if (p === NIL) {
      if (this.idleFirst === slot) this.idleFirst = n;
    } else this.idleNext[p] = n;
    if (n === NIL) {
      if (this.idleLast === slot) this.idleLast = p;
    } else this.idlePrev[n] = p;
    this.idlePrev[slot] = NIL;
    this.idleNext[slot] = NIL;
  }

  /**
   * Counts a slot left behind in a wheel bucket; when they outnumber the live
   * ones (a flood of flows evicted or finished within 2 MSL, before their
   * seconds come round), drops them, so the wheel stays in proportion to the
   * table.
   */
  private noteStale(): void {
    if (++this.stale <= this.count + 65_536) return;
    for (const [second, bucket] of this.wheel) {
      // A reused slot may be listed twice under its second: keep it once.
      const kept = [...new Set(bucket.filter((s) => this.due[s]! === second))];
      if (kept.length === 0) this.wheel.delete(second);
      else this.wheel.set(second, kept);
    }
    this.stale = 0;
  }

  /** Brings back a flow FlowHooks.park set aside. */
  private unpark(slot: number): void {
    if ((this.bits[slot]! & PARKED_AS) === 0) return;
    this.bits[slot]! &= ~PARKED_AS;
    const wake = this.hooks.wake;
    if (wake !== undefined) this.store(slot, wake(this.flows[slot]));
  }

  /** Puts the slot in the wheel for when it will have been quiet for stableAfter since `last`. */
  private schedule(slot: number, last: number): void {
    const stableAfter = this.stableAfter;
    if (stableAfter === undefined) return;
    this.scheduleAt(slot, last + stableAfter);
  }

  /** Puts the slot in the wheel for the whole second at or after `time`. */
  private scheduleAt(slot: number, time: number): void {
    const second = Math.ceil(time);
    if (this.due[slot]! >= 0) this.noteStale();
    let bucket = this.wheel.get(second);
    if (bucket === undefined) {
      bucket = [];
      this.wheel.set(second, bucket);
      heapPush(this.dueSeconds, second);
    }
    bucket.push(slot);
    this.due[slot] = second;
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
      // Every slot due by now, then in id order: the order flows end in
      // (ndjson's) is then the same whichever worker of a parallel analysis
      // holds them, since each flow's fate depends on nothing but itself.
      const due: number[] = [];
      while (this.dueSeconds.length > 0 && this.dueSeconds[0]! <= now) {
        const second = heapPop(this.dueSeconds);
        const bucket = this.wheel.get(second) ?? [];
        this.wheel.delete(second);
        for (const s of bucket) {
          // Finished meanwhile, rescheduled by a segment after a park, or listed twice.
          if (this.due[s]! !== second) continue;
          this.due[s] = NONE;
          due.push(s);
        }
      }
      if (due.length > 1) {
        const ids = this.ids;
        due.sort((a, b) => ids[a]! - ids[b]!);
      }
      const idleTimeout = this.idleTimeout;
      for (const s of due) {
        const last = this.last[s]!;
        if (idleTimeout !== undefined && now - last >= idleTimeout) {
          this.bits[s]! &= ~PARKED;
          this.unpark(s);
          const done = this.flows[s] as F;
          this.remove(s);
          this.onFinished(done);
        } else if ((this.bits[s]! & PARKED) !== 0) {
          // Woken for an idle timeout that the last segment moved: look again then.
          this.scheduleAt(s, last + (idleTimeout ?? 0));
        } else if (now - last < stableAfter) {
          this.schedule(s, last);
        } else if (isFinished(this.flows[s] as F, now)) {
          const done = this.flows[s] as F;
          this.remove(s);
          this.onFinished(done);
        } else {
          // Its answer will not change before its next segment (FlowTableOptions.stableAfter).
          this.bits[s]! |= PARKED;
          const park = this.hooks.park;
          if (park !== undefined) {
            this.flows[s] = park(this.flows[s] as F);
            this.bits[s]! |= PARKED_AS;
            this.setCompact(s, true);
          }
          // Only the idle timeout can still end it before its next segment.
          if (idleTimeout !== undefined) this.scheduleAt(s, last + idleTimeout);
        }
      }
      return;
    }
    for (let s = this.first; s !== NIL;) {
      const next = this.next[s]!;
      const flow = this.flows[s] as F;
      if ((this.idleTimeout !== undefined && now - this.last[s]! >= this.idleTimeout) || isFinished(flow, now)) {
        this.remove(s);
        this.onFinished(flow);
      }
      s = next;
    }
  }

  /**
   * Finalises every flow still held (end of capture), in id order; with
   * `limit`, at most that many, so a caller can let its output drain between
   * (returns true once none is left).
   */
  drain(limit = Infinity): boolean {
    if (this.drainOrder === undefined) {
      const order = new Int32Array(this.count);
      let i = 0;
      for (let s = this.first; s !== NIL; s = this.next[s]!) order[i++] = s;
      const ids = this.ids;
      order.sort((a, b) => ids[a]! - ids[b]!);
      this.drainOrder = order;
      this.drainAt = 0;
    }
    const order = this.drainOrder;
    let n = 0;
    while (this.drainAt < order.length && n++ < limit) {
      const s = order[this.drainAt++]!;
      this.unpark(s);
      const done = this.flows[s] as F;
      this.remove(s);
      this.onFinished(done);
    }
    if (this.drainAt < order.length) return false;
    this.drainOrder = undefined;
    return this.first === NIL;
  }

  /** Takes a slot for the segment's tuple and links it everywhere; the caller stores its flow. */
  private insert(hash: number, seg: Segment, v4: boolean, src4: number, dst4: number, now: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    if (v4) {
      this.aV4[slot] = src4;
      this.bV4[slot] = dst4;
      this.bits[slot] = V4;
    } else {
      this.otherAddrs.set(slot, [seg.src, seg.dst]);
      this.bits[slot] = 0;
    }
    this.ports[slot] = (seg.srcPort << 16) | seg.dstPort;
    this.last[slot] = now;
    this.due[slot] = NONE;
    if (this.count >= this.bucketMask + 1) this.rehash(2 * (this.bucketMask + 1));
    const bucket = hash & this.bucketMask;
    this.chain[slot] = this.buckets[bucket]!;
    this.buckets[bucket] = slot;
    this.prev[slot] = this.lastSeen;
    this.next[slot] = NIL;
    if (this.lastSeen === NIL) this.first = slot;
    else this.next[this.lastSeen] = slot;
    this.lastSeen = slot;
    this.idlePrev[slot] = NIL;
    this.idleNext[slot] = NIL;
    if (this.maxFlows !== undefined) this.linkIdle(slot);
    this.count++;
    this.schedule(slot, now);
    return slot;
  }

  private remove(slot: number): void {
    const b = this.slotHash(slot) & this.bucketMask;
    let s = this.buckets[b]!;
    if (s === slot) this.buckets[b] = this.chain[slot]!;
    else {
      while (s !== NIL && this.chain[s]! !== slot) s = this.chain[s]!;
      if (s !== NIL) this.chain[s] = this.chain[slot]!;
    }
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NIL) this.first = n;
    else this.next[p] = n;
    if (n === NIL) this.lastSeen = p;
    else this.prev[n] = p;
    if (this.maxFlows !== undefined) this.unlinkIdle(slot);
    this.setCompact(slot, false);
    // The wheel may still list the slot until its second comes: it must not hold the flow.
    this.flows[slot] = undefined;
    if ((this.bits[slot]! & V4) === 0) this.otherAddrs.delete(slot);
    if (this.due[slot]! >= 0) this.noteStale();
    this.due[slot] = REMOVED;
    this.bits[slot] = 0;
    this.count--;
    this.free.push(slot);
  }

  /** Doubles every per-slot array. */
  private grow(): void {
    const n = this.capacity * 2;
    this.ports = grown(this.ports, new Int32Array(n));
    this.aV4 = grown(this.aV4, new Int32Array(n));
    this.bV4 = grown(this.bV4, new Int32Array(n));
    this.chain = grown(this.chain, new Int32Array(n));
    this.prev = grown(this.prev, new Int32Array(n));
    this.next = grown(this.next, new Int32Array(n));
    this.idlePrev = grown(this.idlePrev, new Int32Array(n));
    this.idleNext = grown(this.idleNext, new Int32Array(n));
    this.last = grown(this.last, new Float64Array(n));
    this.due = grown(this.due, new Float64Array(n));
    this.bits = grown(this.bits, new Uint8Array(n));
    this.ids = grown(this.ids, new Float64Array(n));
    this.capacity = n;
  }

  /** Rebuilds the hash chains over `size` buckets. */
  private rehash(size: number): void {
    this.buckets = new Int32Array(size).fill(NIL);
    this.bucketMask = size - 1;
    // Walking first-seen order and prepending keeps each chain newest first, as inserting does.
    for (let s = this.first; s !== NIL; s = this.next[s]!) {
      const b = this.slotHash(s) & this.bucketMask;
      this.chain[s] = this.buckets[b]!;
      this.buckets[b] = s;
    }
  }

  /** The hash route() files the slot's tuple under. */
  private slotHash(slot: number): number {
    const ports = this.ports[slot]!;
    if ((this.bits[slot]! & V4) !== 0) return v4TupleHash(this.aV4[slot]!, ports >>> 16, this.bV4[slot]!, ports & 0xffff);
    const [a, b] = this.otherAddrs.get(slot)!;
    return tupleHash({ src: a, srcPort: ports >>> 16, dst: b, dstPort: ports & 0xffff }) & HASH_MASK;
  }

  /** True when `seg` (its IPv4 addresses as numbers when `v4`) travels between the slot's two ends, either way. */
  private sameTuple(slot: number, seg: Tuple, v4: boolean, src4: number, dst4: number): boolean {
    const ports = this.ports[slot]!;
    const aPort = ports >>> 16;
    const bPort = ports & 0xffff;
    const forward = aPort === seg.srcPort && bPort === seg.dstPort;
    const reverse = aPort === seg.dstPort && bPort === seg.srcPort;
    if (!forward && !reverse) return false;
    if ((this.bits[slot]! & V4) === 0) {
      if (v4) return false;
      const [a, b] = this.otherAddrs.get(slot)!;
      return (forward && a === seg.src && b === seg.dst) || (reverse && a === seg.dst && b === seg.src);
    }
    if (!v4) return false;
    const a = this.aV4[slot]!;
    const b = this.bV4[slot]!;
    return (forward && a === src4 && b === dst4) || (reverse && a === dst4 && b === src4);
  }
}

/**
 * The table's hash of an IPv4 tuple, the same both ways: a sum of a mix of
 * each end. (Shards use key.ts's tupleHash, which must not change; this one is
 * the table's own and only has to spread.)
 */
function v4TupleHash(a: number, aPort: number, b: number, bPort: number): number {
  return (endMix(a, aPort) + endMix(b, bPort)) & HASH_MASK;
}

function endMix(addr: number, port: number): number {
  let h = Math.imul(addr ^ (port << 16) ^ port, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, into: T): T {
  into.set(from);
  return into;
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
