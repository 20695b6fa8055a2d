/**
 * IPv6 header decoding (RFC 8200): the fixed header, the extension header
 * chain up to the upper-layer header, and RFC 5952 address text.
 */

import { fail, ok } from './segment.ts';
import type { DecodeResult } from './segment.ts';
import { formatIpv4 } from './ipv4.ts';
import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HIP,
  IPPROTO_HOPOPTS,
  IPPROTO_MOBILITY,
  IPPROTO_NONE,
  IPPROTO_ROUTING,
  IPPROTO_SHIM6,
} from './ipproto.ts';

/** RFC 8200 §3 field offsets. */
const VERSION = 0;
const PAYLOAD_LENGTH = 4;
const NEXT_HEADER = 6;
const HOP_LIMIT = 7;
const SRC = 8;
const DST = 24;
/** The fixed header. */
export const IPV6_HEADER = 40;

/** Every extension header starts with next header (1) and a length (1). */
const EXT_NEXT_HEADER = 0;
const EXT_LENGTH = 1;
const EXT_MIN = 2;
/** RFC 8200 §4.5: Fragment header is next header, reserved, offset(13 bits)+res(2)+M(1), identification. */
const FRAG_OFFSET_FLAGS = 2;
const FRAG_ID = 4;
const FRAG_HEADER = 8;
const FRAG_M = 0x0001;
/**
 * The chain is already bounded by the payload length (every header is at
 * least 8 bytes), but no real packet comes near this many.
 */
const MAX_EXTENSION_HEADERS = 64;

/** The skip reason for every malformed IPv6 header. */
export const BAD_IPV6 = 'bad IPv6 header';

/** What a Fragment extension header says. */
export interface Ipv6Fragment {
  /** Fragment offset in bytes. */
  readonly offset: number;
  /** The M flag: more fragments follow. */
  readonly more: boolean;
  readonly id: number;
}

/** A decoded IPv6 header with its extension header chain walked. */
export interface Ipv6Header {
  /** Source address, RFC 5952 text. */
  readonly src: string;
  /** Destination address, RFC 5952 text. */
  readonly dst: string;
  readonly hopLimit: number;
  /** The Payload Length field: everything after the fixed 40 bytes. */
  readonly payloadLength: number;
  /**
   * The header that follows the chain: the upper-layer protocol (6 for TCP),
   * 59 for No Next Header, or the next header of a non-atomic fragment.
   */
  readonly protocol: number;
  /** Frame offset of the upper-layer header. */
  readonly payloadAt: number;
  /** Frame offset where the packet ends according to its payload length (may exceed the captured bytes). */
  readonly end: number;
  /** The Fragment header, when the chain has one; the walk stops at a non-atomic one. */
  readonly fragment: Ipv6Fragment | undefined;
  /** True when fewer bytes were captured than the payload length says the packet has. */
  readonly truncated: boolean;
}

/**
 * Formats 16 bytes at `at` per RFC 5952 §4: lowercase hex, no leading zeros,
 * the longest run of two or more zero groups shortened to `::` (the first
 * such run on a tie), and IPv4-mapped addresses as `::ffff:a.b.c.d` (§5).
 */
export function formatIpv6(b: Buffer, at: number): string {
  if (
    b.readUInt32BE(at) === 0 &&
    b.readUInt32BE(at + 4) === 0 &&
    b.readUInt16BE(at + 8) === 0 &&
    b.readUInt16BE(at + 10) === 0xffff
  ) {
    return `::ffff:${formatIpv4(b, at + 12)}`;
  }
  // Longest zero run; a run must beat bestLen strictly, so length 1 never
  // qualifies (§4.2.2) and the leftmost of equal runs wins (§4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (b.readUInt16BE(at + 2 * i) === 0) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && s.charCodeAt(s.length - 1) !== 0x3a /* ':' */) s += ':';
    s += b.readUInt16BE(at + 2 * i).toString(16);
  }
  return s;
}

/**
 * Decodes the IPv6 header at `at` and walks its extension headers (Hop-by-Hop,
 * Routing, Fragment, Destination Options, AH, Mobility, HIP, Shim6) to the
 * upper-layer header. Only the bytes the walk reads must be captured: a
 * snaplen cut inside an option area leaves the chain walkable.
 *
 * Failures have kind `bad IPv6 header`. Fragments, No Next Header and non-TCP
 * protocols are decoded, not failed: the caller decides what to skip.
 */
export function decodeIpv6(b: Buffer, at: number): DecodeResult<Ipv6Header> {
  const captured = b.length - at;
  if (captured < IPV6_HEADER) {
    return fail(BAD_IPV6, at, `truncated: header needs ${IPV6_HEADER} bytes, ${Math.max(captured, 0)} captured`);
  }
  const version = b.readUInt8(at + VERSION) >> 4;
  if (version !== 6) return fail(BAD_IPV6, at + VERSION, `version ${version} in an IPv6 packet`);
  const payloadLength = b.readUInt16BE(at + PAYLOAD_LENGTH);
  let protocol = b.readUInt8(at + NEXT_HEADER);
  if (payloadLength === 0 && protocol !== IPPROTO_NONE) {
    // RFC 2675 jumbograms (and Linux BIG TCP) carry the real length elsewhere; not supported.
    return fail(BAD_IPV6, at + PAYLOAD_LENGTH, 'payload length 0 (jumbogram) is not supported');
  }
  const end = at + IPV6_HEADER + payloadLength;
  let p = at + IPV6_HEADER;
  let fragment: Ipv6Fragment | undefined;

  for (let n = 0; isExtensionHeader(protocol); n++) {
    if (n === MAX_EXTENSION_HEADERS) {
      return fail(BAD_IPV6, p, `more than ${MAX_EXTENSION_HEADERS} extension headers`);
    }
    const name = extensionName(protocol);
    const fixedLen = protocol === IPPROTO_FRAGMENT ? FRAG_HEADER : undefined;
    const need = fixedLen ?? EXT_MIN;
    if (p + need > end) return fail(BAD_IPV6, p, `${name} header runs past payload length ${payloadLength}`);
    if (p + need > b.length) return fail(BAD_IPV6, p, `truncated: ${name} header not captured`);
    const next = b.readUInt8(p + EXT_NEXT_HEADER);
    let len: number;
    if (protocol === IPPROTO_FRAGMENT) {
      len = FRAG_HEADER;
      const v = b.readUInt16BE(p + FRAG_OFFSET_FLAGS);
      fragment = { offset: v & ~7, more: (v & FRAG_M) !== 0, id: b.readUInt32BE(p + FRAG_ID) };
      if (fragment.offset !== 0 || fragment.more) {
        // A real fragment: what follows is only part of the upper-layer
        // packet; stop here. An atomic fragment (RFC 6946: offset 0, M 0)
        // is a whole packet and the walk goes on.
        return ok(header(b, at, payloadLength, next, p + len, end, fragment));
      }
    } else if (protocol === IPPROTO_AH) {
      len = (b.readUInt8(p + EXT_LENGTH) + 2) * 4; // RFC 4302 §2.2: 4-octet units, minus 2
    } else {
      len = (b.readUInt8(p + EXT_LENGTH) + 1) * 8; // RFC 8200 §4.3: 8-octet units, not counting the first 8
    }
    if (p + len > end) {
      return fail(BAD_IPV6, p, `${name} header of ${len} bytes runs past payload length ${payloadLength}`);
    }
    protocol = next;
    p += len;
  }
  return ok(header(b, at, payloadLength, protocol, p, end, fragment));
}

function header(
  b: Buffer,
  at: number,
  payloadLength: number,
  protocol: number,
  payloadAt: number,
  end: number,
  fragment: Ipv6Fragment | undefined,
): Ipv6Header {
  return {
    src: formatIpv6(b, at + SRC),
    dst: formatIpv6(b, at + DST),
    hopLimit: b.readUInt8(at + HOP_LIMIT),
    payloadLength,
    protocol,
    payloadAt,
    end,
    fragment,
    truncated: b.length < end,
  };
}

/** HIP (RFC 7401) and Shim6 (RFC 5533) use the generic RFC 6564 extension header format too. */
function isExtensionHeader(protocol: number): boolean {
  switch (protocol) {
    case IPPROTO_HOPOPTS:
    case IPPROTO_ROUTING:
    case IPPROTO_FRAGMENT:
    case IPPROTO_DSTOPTS:
    case IPPROTO_AH:
    case IPPROTO_MOBILITY:
    case IPPROTO_HIP:
    case IPPROTO_SHIM6:
      return true;
    default:
      return false;
  }
}

function extensionName(protocol: number): string {
  switch (protocol) {
    case IPPROTO_HOPOPTS: return 'Hop-by-Hop Options';
    case IPPROTO_ROUTING: return 'Routing';
    case IPPROTO_FRAGMENT: return 'Fragment';
    case IPPROTO_DSTOPTS: return 'Destination Options';
    case IPPROTO_AH: return 'AH';
    case IPPROTO_MOBILITY: return 'Mobility';
    case IPPROTO_HIP: return 'HIP';
    default: return 'Shim6';
  }
}
