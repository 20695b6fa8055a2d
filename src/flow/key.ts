/**
 * The 4-tuple that names a TCP connection, in a canonical order so both
 * directions of one connection find the same flow.
 */

import type { Segment } from '../decode/segment.ts';

/** One side of a connection: an address and a port. */
export interface EndpointAddr {
  readonly addr: string;
  readonly port: number;
}

/**
 * Canonical key of a segment's 4-tuple: the lower (address, port) first, so
 * `A→B` and `B→A` give the same string. The separator cannot occur in an
 * address, so distinct tuples never collide.
 */
export function flowKey(seg: Segment): string {
  return aFirst(seg.src, seg.srcPort, seg.dst, seg.dstPort)
    ? `${seg.src} ${seg.srcPort} ${seg.dst} ${seg.dstPort}`
    : `${seg.dst} ${seg.dstPort} ${seg.src} ${seg.srcPort}`;
}

function aFirst(a: string, ap: number, b: string, bp: number): boolean {
  return a < b || (a === b && ap <= bp);
}

/**
 * A stable 32-bit FNV-1a hash of the canonical key: the same on every machine
 * and run, so `--shard I/N` puts a flow in the same shard everywhere.
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
