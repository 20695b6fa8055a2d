/**
 * Which encapsulations each flow's segments came through. Only tunnelled
 * segments are remembered, so a capture without tunnels costs nothing.
 * Keyed by the connection's tuple in either direction: a flow is keyed by its
 * innermost addresses and ports, as tshark's tcp.stream is.
 */

import type { Segment } from '../decode/segment.ts';

/** The via names seen per tuple, in the order first seen. */
export class ViaTracker {
  private readonly byTuple = new Map<string, string[]>();

  /** Notes the encapsulations of one segment (nothing for a plain one). */
  note(seg: Segment): void {
    const via = seg.via;
    if (via === undefined || via.length === 0) return;
    const key = tupleKey(seg.src, seg.srcPort, seg.dst, seg.dstPort);
    let names = this.byTuple.get(key);
    if (names === undefined) {
      names = [];
      this.byTuple.set(key, names);
    }
    for (const name of via) if (!names.includes(name)) names.push(name);
  }

  /** The encapsulations seen for a connection, or undefined when none of its segments was tunnelled. */
  viaOf(a: string, aPort: number, b: string, bPort: number): readonly string[] | undefined {
    // A capture without tunnels builds no key per flow.
    if (this.byTuple.size === 0) return undefined;
    const names = this.byTuple.get(tupleKey(a, aPort, b, bPort));
    return names === undefined ? undefined : [...names];
  }
}

function tupleKey(a: string, aPort: number, b: string, bPort: number): string {
  const x = `${a}|${aPort}`;
  const y = `${b}|${bPort}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}
