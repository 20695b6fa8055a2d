/**
 * Which worker owns a segment's flow. Every segment of a connection, in both
 * directions and in every reuse of its tuple, must reach the same worker, so
 * the choice depends on the innermost 4-tuple alone, the same both ways: the
 * tuple hash `--shard` uses (flow/key.ts), mixed again so that a `--shard I/N`
 * run with N workers still spreads its flows over all of them.
 */

import { tupleHash } from '../flow/key.ts';

export function partitionOf(seg: { src: string; srcPort: number; dst: string; dstPort: number }, workers: number): number {
  let h = Math.imul(tupleHash(seg), 0x9e3779b1);
  h ^= h >>> 16;
  return (h >>> 0) % workers;
}
