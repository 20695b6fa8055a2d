/**
 * GRE (RFC 2784, RFC 2890 key and sequence number; RFC 2637 enhanced GRE for
 * PPTP): flags and version, a protocol type (an EtherType), then the optional
 * checksum, key, sequence and acknowledgement fields the flags announce.
 * ERSPAN type II and III (0x88BE, 0x22EB) carry a mirrored Ethernet frame
 * after their own header.
 */

import { ETHERTYPE_ERSPAN_II, ETHERTYPE_ERSPAN_III, ETHERTYPE_PPP } from '../ethertype.ts';
import { fail, ok } from '../segment.ts';
import type { DecodeResult } from '../segment.ts';
import { BAD_ENCAPSULATION } from './result.ts';
import type { Unwrapped } from './result.ts';
import { pppProtocol } from './ppp.ts';

const FLAGS = 0;
const PROTOCOL = 2;
const HEADER = 4;
const FLAG_CHECKSUM = 0x8000;
const FLAG_ROUTING = 0x4000;
const FLAG_KEY = 0x2000;
const FLAG_SEQUENCE = 0x1000;
const FLAG_ACK = 0x0080;
const VERSION_MASK = 0x0007;
/** Enhanced GRE (PPTP, RFC 2637) is version 1 and carries PPP. */
const VERSION_PPTP = 1;
const OPTIONAL_FIELD = 4;

/** ERSPAN type II header (8 bytes); type III is 12, plus 8 when its O bit says a platform subheader follows. */
const ERSPAN_II_HEADER = 8;
const ERSPAN_III_HEADER = 12;
const ERSPAN_III_FLAGS = 11;
const ERSPAN_III_O = 0x01;
const ERSPAN_III_SUBHEADER = 8;

/** Decodes a GRE header at `at`. */
export function decodeGre(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < HEADER) return fail(BAD_ENCAPSULATION, at, `GRE header needs ${HEADER} bytes, has ${Math.max(0, b.length - at)}`);
  const flags = b.readUInt16BE(at + FLAGS);
  const protocol = b.readUInt16BE(at + PROTOCOL);
  const version = flags & VERSION_MASK;
  if (version > VERSION_PPTP) return fail(BAD_ENCAPSULATION, at + FLAGS, `GRE version ${version}`);
  if ((flags & FLAG_ROUTING) !== 0) return fail(BAD_ENCAPSULATION, at + FLAGS, 'GRE source routing (RFC 1701) is not decoded');
  let p = at + HEADER;
  // RFC 2784: checksum and reserved share one 4-byte word when either is present.
  if ((flags & FLAG_CHECKSUM) !== 0) p += OPTIONAL_FIELD;
  if ((flags & FLAG_KEY) !== 0) p += OPTIONAL_FIELD;
  if ((flags & FLAG_SEQUENCE) !== 0) p += OPTIONAL_FIELD;
  if (version === VERSION_PPTP && (flags & FLAG_ACK) !== 0) p += OPTIONAL_FIELD;
  if (p > b.length) return fail(BAD_ENCAPSULATION, at, `GRE header with its fields needs ${p - at} bytes, has ${b.length - at}`);
  // EtherTypes GRE carries that need more than an EtherType lookup.
  if (protocol === ETHERTYPE_ERSPAN_II || protocol === ETHERTYPE_ERSPAN_III) return decodeErspan(b, p, protocol === ETHERTYPE_ERSPAN_III);
  if (protocol === ETHERTYPE_PPP) {
    // PPP in GRE: address and control bytes (0xFF 0x03) may be present, then the PPP protocol (one byte if compressed).
    if (b.length - p >= 2 && b.readUInt8(p) === 0xff && b.readUInt8(p + 1) === 0x03) p += 2;
    const ppp = pppProtocol(b, p);
    if (ppp === undefined) return fail(BAD_ENCAPSULATION, p, 'PPP protocol in GRE not captured');
    return ok({ name: 'GRE', next: { network: 'ppp', protocol: ppp.protocol, typeAt: p, at: ppp.at } });
  }
  return ok({ name: 'GRE', next: { network: 'ethertype', type: protocol, typeAt: at + PROTOCOL, at: p } });
}

/** ERSPAN II or III header at `at` (after GRE), then the mirrored Ethernet frame. */
function decodeErspan(b: Buffer, at: number, typeIII: boolean): DecodeResult<Unwrapped> {
  let len = typeIII ? ERSPAN_III_HEADER : ERSPAN_II_HEADER;
  if (b.length - at < len) return fail(BAD_ENCAPSULATION, at, `ERSPAN header needs ${len} bytes, has ${Math.max(0, b.length - at)}`);
  if (typeIII && (b.readUInt8(at + ERSPAN_III_FLAGS) & ERSPAN_III_O) !== 0) len += ERSPAN_III_SUBHEADER;
  return ok({ name: 'ERSPAN', next: { network: 'ethernet', at: at + len } });
}
