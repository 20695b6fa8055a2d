/**
 * Where a segment meets the two analyzers of a flow: the RFC 9293 replay of
 * both endpoints (lifecycle.ts) and Zeek's model of the connection
 * (src/zeek/). They are siblings: each reads the same decoded segment, keeps
 * its own state on the flow, and never looks at the other's. Everything that
 * makes or feeds a flow (the flow table's hooks in compact.ts, a rebuild from
 * packed segments, tests) goes through these two functions, so no flow can
 * see a segment that one of the analyzers missed.
 */

import type { IcmpError } from '../decode/icmp.ts';
import type { Segment } from '../decode/segment.ts';
import { createZeekState, updateZeek } from '../zeek/analyzer.ts';
import { createFlow, replayIcmp, replaySegment } from './lifecycle.ts';
import type { Flow, LifecycleOptions } from './types.ts';

/** A new flow from its first segment (which is then fed like every other). */
export function openFlow(seg: Segment, id: number, key: string, previous: Flow | undefined): Flow {
  return createFlow(seg, id, key, previous, createZeekState(seg));
}

/** Feeds one segment of the flow to both analyzers. */
export function feedSegment(flow: Flow, seg: Segment, opts: LifecycleOptions): void {
  replaySegment(flow, seg, opts);
  updateZeek(flow.zeek, seg, opts.zeek);
}

/**
 * Feeds an ICMP error about one of the flow's segments. Only the replay
 * takes it: Zeek logs ICMP as connections of its own and leaves the TCP
 * connection's row as it is (docs/zeek.md).
 */
export function feedIcmp(flow: Flow, err: IcmpError, opts: LifecycleOptions): void {
  replayIcmp(flow, err, opts);
}
