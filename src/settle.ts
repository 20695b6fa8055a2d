/**
 * Live output: a connection's line as soon as its story is settled, not when
 * the flow table lets it go.
 *
 * The table keeps an ended flow 2 MSL (60 s) past its last segment, so that a
 * late retransmission, a repeated FIN from a peer whose last ACK was lost, or
 * an RST into TIME_WAIT still lands in it. On a file nobody waits for that;
 * on a live pipe (`tcpdump -w - | synfin flows --format ndjson -`) a line a
 * minute late is of no use. So, when live, a flow whose endpoints both hold
 * nothing any more (CLOSED, LISTEN, or TIME_WAIT) and that has been quiet for
 * the settle time (1 s: past Linux's 200 ms minimum retransmission timeout,
 * so a lost final ACK has shown its repeated FIN by then) is printed at once,
 * finished on a copy; the table keeps the flow as before. When the table
 * finally lets it go, the line is printed again, marked `revised`, only if
 * segments came after it; a TIME_WAIT that merely ran out does not count.
 *
 * "Quiet for" is measured in capture time, advanced by the wall clock while
 * the input is idle (a pipe can go quiet with the last connection's line
 * still owed): see analyzeFiles.
 */

import { isDone } from './tcp/lifecycle.ts';
import { restoreFlow, snapshotFlow } from './tcp/snapshot.ts';
import type { Flow } from './tcp/types.ts';

/** Default seconds a flow that has ended must stay quiet before its live line. */
export const DEFAULT_SETTLE = 1;

/** What happens to a flow the table finalises, when live. */
export type FinalLine = 'print' | 'revised' | 'printed';

/** Flows waiting to settle, and the ones printed early. */
export class Settler<H> {
  /** By flow id, in order of last activity (a routed flow moves to the end): when it will have been quiet for `settle`. */
  private readonly waiting = new Map<number, { held: H; due: number }>();
  /** By flow id: its last frame when it was printed early. */
  private readonly printed = new Map<number, number>();

  constructor(
    private readonly settle: number,
    /** The flow behind what the table holds (it may be shared with the table: never changed here). */
    private readonly full: (held: H) => Flow,
    /** Prints a flow that has settled (a copy, the caller's to finish); `revised` when it was printed before. */
    private readonly emit: (flow: Flow, revised: boolean) => void,
  ) {}

  /** The table now holds `held` for the flow `id`, whose latest segment came at `time`. */
  routed(id: number, held: H, time: number): void {
    this.waiting.delete(id);
    this.waiting.set(id, { held, due: time + this.settle });
  }

  /** Prints every waiting flow that has ended and been quiet for the settle time by `now`. */
  sweep(now: number): void {
    for (const [id, w] of this.waiting) {
      // Segments come in capture-time order, so the rest are due later.
      if (w.due > now) break;
      this.waiting.delete(id);
      const flow = this.full(w.held);
      // Still open: its next segment brings it back here, or the table finalises it.
      if (!isDone(flow.client) || !isDone(flow.server)) continue;
      const before = this.printed.get(id);
      if (before === flow.lastFrame) continue;
      this.printed.set(id, flow.lastFrame);
      // A copy to finish: the table's flow goes on.
      this.emit(restoreFlow(snapshotFlow(flow)), before !== undefined);
    }
  }

  /** The table finalises `flow`: print it, print it again as revised, or leave the early line as it was. */
  finalised(flow: { readonly id: number; readonly lastFrame: number }): FinalLine {
    this.waiting.delete(flow.id);
    const at = this.printed.get(flow.id);
    if (at === undefined) return 'print';
    this.printed.delete(flow.id);
    return at === flow.lastFrame ? 'printed' : 'revised';
  }
}
