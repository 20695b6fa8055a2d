/**
 * Routes segments to flows: one live flow per 4-tuple, a new generation when a
 * tuple is reused. The table knows nothing of TCP states: the lifecycle engine
 * tells it, through `FlowHooks`, whether a segment begins a new incarnation and
 * when a flow is finished, which keeps imports flowing one way (tcp → flow).
 */

import type { Segment } from '../decode/segment.ts';
import { flowKey } from './key.ts';

/** What the table asks of whoever owns the per-flow state. */
export interface FlowHooks<F> {
  /** Builds the state of a new flow whose first segment is `seg` (which `update` then replays). */
  create(seg: Segment, id: number, key: string, previous: F | undefined): F;
  /** Replays `seg` into an existing flow. */
  update(flow: F, seg: Segment): void;
  /** True when `seg` cannot belong to `flow` and opens a new connection on the same tuple. */
  startsNewIncarnation(flow: F, seg: Segment): boolean;
  /** True when nothing more can happen to the flow before `now` (seconds); it is then finalised. */
  isFinished?(flow: F, now: number): boolean;
}

/** A flow table keyed by canonical 4-tuple. */
export class FlowTable<F> {
  private readonly live = new Map<string, F>();
  private nextId = 1;

  constructor(private readonly hooks: FlowHooks<F>, private readonly onFinished: (flow: F) => void) {}

  /** Number of flows currently held in memory. */
  get size(): number {
    return this.live.size;
  }

  /** Routes one segment, creating or replacing the flow for its tuple. */
  route(seg: Segment): F {
    const key = flowKey(seg);
    const current = this.live.get(key);
    if (current !== undefined && !this.hooks.startsNewIncarnation(current, seg)) {
      this.hooks.update(current, seg);
      return current;
    }
    // The new flow is built first: taking over the tuple may end the old one's TIME_WAIT.
    const flow = this.hooks.create(seg, this.nextId++, key, current);
    if (current !== undefined) this.onFinished(current);
    this.live.set(key, flow);
    this.hooks.update(flow, seg);
    return flow;
  }

  /**
   * Finalises flows that can no longer change (closed, or TIME_WAIT past 2 MSL)
   * so memory follows the connections open at once, not the capture's length.
   */
  sweep(now: number): void {
    const isFinished = this.hooks.isFinished;
    if (isFinished === undefined) return;
    for (const [key, flow] of this.live) {
      if (isFinished(flow, now)) {
        this.live.delete(key);
        this.onFinished(flow);
      }
    }
  }

  /** Finalises every flow still held (end of capture). */
  drain(): void {
    for (const flow of this.live.values()) this.onFinished(flow);
    this.live.clear();
  }
}
