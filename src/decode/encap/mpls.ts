/**
 * MPLS label stack (RFC 3032): 4-byte entries until the bottom-of-stack bit;
 * under the bottom label, an IPv4/IPv6 packet by its version nibble, or an
 * Ethernet pseudowire (RFC 4448) with or without its control word.
 */

import { fail, ok } from '../segment.ts';
import type { DecodeResult } from '../segment.ts';
import { BAD_ENCAPSULATION } from './result.ts';
import type { Unwrapped } from './result.ts';

/** Label (20), TC (3), S (1), TTL (8). */
const ENTRY = 4;
const BOTTOM_OF_STACK = 0x0100;
const BOS_BYTE = 2;
/** RFC 4385 control word: first nibble 0. */
const CONTROL_WORD = 4;

/** Decodes the label stack at `at`; the payload's kind is guessed from its first nibble, as tshark does. */
export function decodeMpls(b: Buffer, at: number): DecodeResult<Unwrapped> {
  let p = at;
  for (;;) {
    if (b.length - p < ENTRY) return fail(BAD_ENCAPSULATION, p, `MPLS label needs ${ENTRY} bytes, has ${Math.max(0, b.length - p)}`);
    const bottom = (b.readUInt16BE(p + BOS_BYTE) & BOTTOM_OF_STACK) !== 0;
    p += ENTRY;
    if (bottom) break;
  }
  if (p >= b.length) return fail(BAD_ENCAPSULATION, p, 'MPLS payload not captured');
  const nibble = b.readUInt8(p) >> 4;
  if (nibble === 4) return ok({ name: 'MPLS', next: { network: 4, at: p } });
  if (nibble === 6) return ok({ name: 'MPLS', next: { network: 6, at: p } });
  // Ethernet pseudowire: a control word (first nibble 0) then the frame; without one, a MAC address.
  if (nibble === 0) return ok({ name: 'MPLS', next: { network: 'ethernet', at: p + CONTROL_WORD } });
  return ok({ name: 'MPLS', next: { network: 'ethernet', at: p } });
}
