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

/**
 * A 32-bit hash of the segment's 4-tuple, the same in both directions: the
 * sum of a hash of each (address, port) end. The flow table looks flows up
 * by it and `--shard I/N` keeps the flows with `tupleHash % N === I`; like
 * keyHash it depends on nothing but the tuple, so a flow lands in the same
 * shard on every machine and run. It is built from the address text and the
 * port numbers without making any string, since it runs for every segment.
 */
export function tupleHash(seg: Pick<Segment, 'src' | 'srcPort' | 'dst' | 'dstPort'>): number {
  return (endHash(seg.src, seg.srcPort) + endHash(seg.dst, seg.dstPort)) >>> 0;
}

/** FNV-1a over the address's characters, then the port, with a final avalanche so that nearby ports spread. */
function endHash(addr: string, port: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < addr.length; i++) {
    h ^= addr.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= port;
  h = Math.imul(h, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** A dotted-quad IPv4 address as a signed 32-bit number; undefined for anything else (IPv6). */
export function ipv4Number(addr: string): number | undefined {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      n = (n << 8) | octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      if (octet > 255) return undefined;
      digits++;
    } else return undefined;
  }
  if (digits === 0 || dots !== 3) return undefined;
  return (n << 8) | octet;
}
