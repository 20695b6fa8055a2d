/**
 * The decoder's fast path, the common case in one pass: an untagged Ethernet
 * frame carrying an IPv4 header without options, or an IPv6 header without
 * extension headers, then TCP. Nearly every frame of a busy server's capture
 * is one of these, and decodeFrame's general path (link → IP → TCP, each a
 * DecodeResult) builds half a dozen objects per frame to say so. This reads
 * the same fields in place and builds only the Segment.
 *
 * It answers only when the general path would decode the frame to a Segment,
 * and then with the same Segment (test/decode/fast-path.test.ts holds it to
 * that on every capture and on mutated frames). Anything else (VLAN tags,
 * other link types, IP options, fragments, extension headers, a zero IPv4
 * length, an IP length past the frame's wire length, any header the general
 * path would reject) is left to the general path, which says precisely why.
 */

import type { Frame } from '../capture/frame.ts';
import { LINKTYPE_EN10MB } from '../capture/linktypes.ts';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethertype.ts';
import { IPPROTO_TCP } from './ipproto.ts';
import { formatIpv4, IPV4_MIN_HEADER as IPV4_HEADER } from './ipv4.ts';
import { formatIpv6, IPV6_HEADER } from './ipv6.ts';
import { ETH_HEADER } from './link.ts';
import type { Segment, TcpOption } from './segment.ts';
import { decodeTcpOptions, TCP_MIN_HEADER as TCP_HEADER } from './tcp.ts';

/** Version 4, IHL 5: the only first byte of an IPv4 header without options. */
const IPV4_NO_OPTIONS = 0x45;
/** MF and the fragment offset: any of them set makes a fragment. */
const FRAGMENT_BITS = 0x3fff;
/** NOP, NOP, timestamps (kind 8, length 10): the option list Linux puts on every segment once timestamps are agreed. */
const TS_ONLY_HEADER = 32;

/**
 * The Segment of a plain Ethernet/IPv4/TCP or Ethernet/IPv6/TCP frame, or
 * undefined when the frame is anything else (decodeFrame's general path then
 * decodes it or says why it is not a segment).
 */
export function decodeFastPath(frame: Frame, into?: ScratchSegment): Segment | undefined {
  if (frame.linktype !== LINKTYPE_EN10MB) return undefined;
  const b = frame.data;
  if (b.length < ETH_HEADER + IPV4_HEADER + TCP_HEADER) return undefined;
  const type = (b[12]! << 8) | b[13]!;
  if (type === ETHERTYPE_IPV4) {
    const at = ETH_HEADER;
    if (b[at] !== IPV4_NO_OPTIONS || b[at + 9] !== IPPROTO_TCP) return undefined;
    const totalLen = (b[at + 2]! << 8) | b[at + 3]!;
    // Zero (segmentation offload) takes the wire length, and too short fails: both the general path's to say.
    if (totalLen < IPV4_HEADER + TCP_HEADER) return undefined;
    if ((((b[at + 6]! << 8) | b[at + 7]!) & FRAGMENT_BITS) !== 0) return undefined;
    // A length past the frame's wire length (a sliced or forged packet, Segment.missingLen): the general path's.
    if (at + totalLen > frame.origLen && at + totalLen > b.length) return undefined;
    return tcp(frame, b, 4, formatIpv4(b, at + 12), formatIpv4(b, at + 16), at + IPV4_HEADER, at + totalLen, totalLen, into);
  }
  if (type === ETHERTYPE_IPV6) {
    const at = ETH_HEADER;
    if (b.length < at + IPV6_HEADER + TCP_HEADER || b[at]! >> 4 !== 6 || b[at + 6] !== IPPROTO_TCP) return undefined;
    const payloadLength = (b[at + 4]! << 8) | b[at + 5]!;
    if (payloadLength < TCP_HEADER) return undefined;
    if (at + IPV6_HEADER + payloadLength > frame.origLen && at + IPV6_HEADER + payloadLength > b.length) return undefined;
    return tcp(frame, b, 6, formatIpv6(b, at + 8), formatIpv6(b, at + 24), at + IPV6_HEADER, at + IPV6_HEADER + payloadLength, IPV6_HEADER + payloadLength, into);
  }
  return undefined;
}

/** The TCP header at `at`, which the IP header says ends the packet at `end` (at least 20 bytes on, and 20 captured). */
function tcp(frame: Frame, b: Buffer, ipVersion: 4 | 6, src: string, dst: string, at: number, end: number, ipLen: number, into?: ScratchSegment): Segment | undefined {
  const offsetByte = b[at + 12]!;
  const headerLen = (offsetByte >> 4) * 4;
  if (headerLen < TCP_HEADER || headerLen > end - at) return undefined;
  let options: readonly TcpOption[];
  let optionsError: string | undefined;
  if (headerLen === TS_ONLY_HEADER && b.length >= at + TS_ONLY_HEADER &&
    b[at + 20] === 1 && b[at + 21] === 1 && b[at + 22] === 8 && b[at + 23] === 10) {
    if (into === undefined) options = [{ kind: 'timestamps', tsval: b.readUInt32BE(at + 24), tsecr: b.readUInt32BE(at + 28) }];
    else {
      const ts = into.timestamps;
      ts.tsval = b.readUInt32BE(at + 24);
      ts.tsecr = b.readUInt32BE(at + 28);
      options = into.tsOnly;
    }
    optionsError = undefined;
  } else {
    const parsed = decodeTcpOptions(b, at, headerLen);
    options = parsed.options;
    optionsError = parsed.error;
  }
  if (into !== undefined) {
    const s = into.segment;
    s.frame = frame.number; s.sec = frame.sec; s.nsec = frame.nsec; s.ipVersion = ipVersion; s.src = src; s.dst = dst;
    s.srcPort = (b[at]! << 8) | b[at + 1]!; s.dstPort = (b[at + 2]! << 8) | b[at + 3]!;
    s.seq = b.readUInt32BE(at + 4); s.ack = b.readUInt32BE(at + 8); s.flags = ((offsetByte & 0x01) << 8) | b[at + 13]!;
    s.window = (b[at + 14]! << 8) | b[at + 15]!; s.urgent = (b[at + 18]! << 8) | b[at + 19]!; s.headerLen = headerLen;
    s.payloadLen = end - at - headerLen; s.frameLen = frame.origLen; s.ipLen = ipLen; s.options = options as TcpOption[];
    s.optionsError = optionsError; s.truncated = b.length < end;
    return s;
  }
  // Field for field, and in the same order, as decodeFrame builds it.
  return {
    frame: frame.number,
    sec: frame.sec,
    nsec: frame.nsec,
    ipVersion,
    src,
    dst,
    srcPort: (b[at]! << 8) | b[at + 1]!,
    dstPort: (b[at + 2]! << 8) | b[at + 3]!,
    seq: b.readUInt32BE(at + 4),
    ack: b.readUInt32BE(at + 8),
    flags: ((offsetByte & 0x01) << 8) | b[at + 13]!,
    window: (b[at + 14]! << 8) | b[at + 15]!,
    urgent: (b[at + 18]! << 8) | b[at + 19]!,
    headerLen,
    payloadLen: end - at - headerLen,
    frameLen: frame.origLen,
    ipLen,
    options,
    optionsError,
    truncated: b.length < end,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What decodeFastPath fills instead of allocating, for a caller that is done
 * with each segment before it decodes the next (the analysis loop: the flow
 * table and the replay copy what they keep). A Segment and its timestamps
 * option per packet were most of what the collector swept.
 */
export interface ScratchSegment {
  readonly segment: Mutable<Segment>;
  readonly timestamps: { kind: 'timestamps'; tsval: number; tsecr: number };
  readonly tsOnly: readonly TcpOption[];
}

/** A scratch segment for decodeFastPath. */
export function scratchSegment(): ScratchSegment {
  const timestamps = { kind: 'timestamps' as const, tsval: 0, tsecr: 0 };
  return {
    segment: {
      frame: 0, sec: 0, nsec: 0, ipVersion: 4, src: '', dst: '', srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0,
      headerLen: 0, payloadLen: 0, frameLen: 0, ipLen: 0, options: [], optionsError: undefined, truncated: false,
    },
    timestamps,
    tsOnly: [timestamps],
  };
}
