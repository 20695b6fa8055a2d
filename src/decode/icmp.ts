/**
 * ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) error messages, and the
 * TCP segment they quote: the IP header (IPv4 with its options, IPv6 with its
 * extension headers) and at least the first 8 bytes of TCP (RFC 792: "the
 * internet header plus the first 64 bits of the original datagram's data";
 * Linux quotes up to 576 bytes for IPv4, 1280 for IPv6).
 *
 * Only the messages that report an error about a packet are decoded:
 * destination unreachable, fragmentation needed / packet too big, time
 * exceeded and parameter problem. Echo, redirects, neighbour discovery and
 * the rest are not errors about a connection; source quench is deprecated
 * (RFC 6633) and Linux ignores it. The engine attaches a decoded error to
 * the flow of the segment it quotes (docs/design.md, "ICMP errors about a
 * connection").
 */

import { fail, ok } from './segment.ts';
import type { DecodeResult } from './segment.ts';
import { decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import { IPPROTO_NONE, IPPROTO_TCP, ipProtocolName } from './ipproto.ts';

/** RFC 792 / RFC 4443 §2.1: type (1), code (1), checksum (2), then 4 bytes the type defines. */
const TYPE = 0;
const CODE = 1;
/** RFC 792: parameter problem's pointer, 1 byte. RFC 4443 §3.4: a 32-bit pointer. */
const POINTER = 4;
/** RFC 1191 §4: fragmentation needed carries the next-hop MTU in the low 16 bits of the second word. */
const NEXT_HOP_MTU = 6;
/** RFC 4443 §3.2: packet too big carries a 32-bit MTU. */
const MTU = 4;
/** The quoted packet starts after the 8-byte ICMP header, in every error message. */
const HEADER = 8;

/** The first 8 bytes of TCP (RFC 9293 §3.1): ports and sequence number; the ack and flags follow. */
const TCP_SRC_PORT = 0;
const TCP_DST_PORT = 2;
const TCP_SEQ = 4;
const TCP_ACK = 8;
const TCP_OFFSET = 12;
const TCP_FLAGS = 13;
const TCP_MIN_QUOTE = 8;

/** Skip-detail kinds of decodeIcmp's failures; a frame failing any of them is counted as `ICMP`/`ICMPv6` as before. */
export const BAD_ICMP = 'bad ICMP message';
/** An informational message (echo, neighbour discovery, …): no quoted packet. */
export const ICMP_NOT_AN_ERROR = 'ICMP not an error';
/** An error quoting something other than a TCP header (UDP, a non-first fragment, …). */
export const ICMP_QUOTES_NO_TCP = 'ICMP quotes no TCP';

/** What an error message reports, across both protocols. */
export type IcmpKind = 'unreachable' | 'packet-too-big' | 'time-exceeded' | 'parameter-problem';

/** One row of a code table: the code's name (RFC words, kebab-case) and the errno Linux maps it to. */
interface CodeRow {
  readonly name: string;
  /**
   * What Linux reports to the application (`sk_err`) for this code: IPv4's
   * `icmp_err_convert` (net/ipv4/icmp.c), IPv6's `tab_unreach` and
   * `icmpv6_err_convert` (net/ipv6/icmp.c), and `tcp_v4_err`'s EHOSTUNREACH
   * for time exceeded. Packet too big / fragmentation needed only lower the
   * path MTU in TCP (`tcp_v4_mtu_reduced`): no errno.
   */
  readonly errno: string | undefined;
}

/** RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1: destination unreachable codes. */
const V4_UNREACHABLE: readonly CodeRow[] = [
  { name: 'net-unreachable', errno: 'ENETUNREACH' },
  { name: 'host-unreachable', errno: 'EHOSTUNREACH' },
  { name: 'protocol-unreachable', errno: 'ENOPROTOOPT' },
  { name: 'port-unreachable', errno: 'ECONNREFUSED' },
  { name: 'fragmentation-needed', errno: undefined },
  { name: 'source-route-failed', errno: 'EOPNOTSUPP' },
  { name: 'net-unknown', errno: 'ENETUNREACH' },
  { name: 'host-unknown', errno: 'EHOSTDOWN' },
  { name: 'source-host-isolated', errno: 'ENONET' },
  { name: 'net-prohibited', errno: 'ENETUNREACH' },
  { name: 'host-prohibited', errno: 'EHOSTUNREACH' },
  { name: 'net-unreachable-for-tos', errno: 'ENETUNREACH' },
  { name: 'host-unreachable-for-tos', errno: 'EHOSTUNREACH' },
  { name: 'admin-prohibited', errno: 'EHOSTUNREACH' },
  { name: 'host-precedence-violation', errno: 'EHOSTUNREACH' },
  { name: 'precedence-cutoff', errno: 'EHOSTUNREACH' },
];
const V4_TIME_EXCEEDED: readonly CodeRow[] = [
  { name: 'ttl-exceeded', errno: 'EHOSTUNREACH' },
  { name: 'reassembly-time-exceeded', errno: 'EHOSTUNREACH' },
];
/** RFC 792 and RFC 1108 (code 1), RFC 1812 §5.2.7.3 (code 2). */
const V4_PARAMETER_PROBLEM: readonly CodeRow[] = [
  { name: 'pointer-indicates-error', errno: 'EPROTO' },
  { name: 'missing-required-option', errno: 'EPROTO' },
  { name: 'bad-length', errno: 'EPROTO' },
];

/** RFC 4443 §3.1, RFC 6550 (7), RFC 8883 (8). */
const V6_UNREACHABLE: readonly CodeRow[] = [
  { name: 'no-route', errno: 'ENETUNREACH' },
  { name: 'admin-prohibited', errno: 'EACCES' },
  { name: 'beyond-scope', errno: 'EHOSTUNREACH' },
  { name: 'address-unreachable', errno: 'EHOSTUNREACH' },
  { name: 'port-unreachable', errno: 'ECONNREFUSED' },
  { name: 'source-address-failed-policy', errno: 'EACCES' },
  { name: 'reject-route', errno: 'EACCES' },
  { name: 'source-routing-header-error', errno: undefined },
  { name: 'headers-too-long', errno: undefined },
];
const V6_PACKET_TOO_BIG: readonly CodeRow[] = [{ name: 'packet-too-big', errno: undefined }];
const V6_TIME_EXCEEDED: readonly CodeRow[] = [
  { name: 'hop-limit-exceeded', errno: 'EHOSTUNREACH' },
  { name: 'reassembly-time-exceeded', errno: 'EHOSTUNREACH' },
];
/** RFC 4443 §3.4, RFC 7112 (3), RFC 8754 (4), RFC 8883 (5-10). */
const V6_PARAMETER_PROBLEM: readonly CodeRow[] = [
  { name: 'erroneous-header-field', errno: 'EPROTO' },
  { name: 'unrecognized-next-header', errno: 'EPROTO' },
  { name: 'unrecognized-option', errno: 'EPROTO' },
  { name: 'incomplete-header-chain', errno: 'EPROTO' },
  { name: 'sr-upper-layer-header-error', errno: 'EPROTO' },
  { name: 'unrecognized-next-header-by-intermediate-node', errno: 'EPROTO' },
  { name: 'extension-header-too-big', errno: 'EPROTO' },
  { name: 'extension-header-chain-too-long', errno: 'EPROTO' },
  { name: 'too-many-extension-headers', errno: 'EPROTO' },
  { name: 'too-many-options-in-extension-header', errno: 'EPROTO' },
  { name: 'option-too-big', errno: 'EPROTO' },
];

/** One error type: its number, what it reports, and its codes. */
interface TypeRow {
  readonly kind: IcmpKind;
  readonly codes: readonly CodeRow[];
}

/** ICMP (IPv4) error types by number. */
export const ICMP_ERRORS: ReadonlyMap<number, TypeRow> = new Map<number, TypeRow>([
  [3, { kind: 'unreachable', codes: V4_UNREACHABLE }],
  [11, { kind: 'time-exceeded', codes: V4_TIME_EXCEEDED }],
  [12, { kind: 'parameter-problem', codes: V4_PARAMETER_PROBLEM }],
]);

/** ICMPv6 error types by number (RFC 4443 §2.1: types 0-127 are errors). */
export const ICMPV6_ERRORS: ReadonlyMap<number, TypeRow> = new Map<number, TypeRow>([
  [1, { kind: 'unreachable', codes: V6_UNREACHABLE }],
  [2, { kind: 'packet-too-big', codes: V6_PACKET_TOO_BIG }],
  [3, { kind: 'time-exceeded', codes: V6_TIME_EXCEEDED }],
  [4, { kind: 'parameter-problem', codes: V6_PARAMETER_PROBLEM }],
]);

/** ICMP destination unreachable, code 4: the IPv4 form of packet too big. */
const V4_UNREACHABLE_TYPE = 3;
const V4_FRAGMENTATION_NEEDED = 4;
const V4_PARAMETER_PROBLEM_TYPE = 12;
const V6_PACKET_TOO_BIG_TYPE = 2;
const V6_PARAMETER_PROBLEM_TYPE = 4;

/** The TCP segment an ICMP error quotes, as far as the quote goes. */
export interface QuotedTcp {
  readonly ipVersion: 4 | 6;
  /** The quoted packet's source: the endpoint that sent the segment. */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  /** Undefined when the quote stops before the acknowledgment number (RFC 792 asks only for 8 bytes). */
  readonly ack: number | undefined;
  /** FIN..CWR and AE as segment.ts has them; undefined when the quote stops before byte 13. */
  readonly flags: number | undefined;
  /**
   * Payload bytes the quoted segment carried, from its IP length and data
   * offset; undefined when the quote stops before the data offset. Linux
   * resends smaller after a packet too big: this says how big the refused one was.
   */
  readonly payloadLen: number | undefined;
  /** The quoted packet's IP length as its header states it (IPv4 total length; IPv6 40 + payload length). */
  readonly ipLen: number;
  /** The quoted header's TTL / hop limit, as the reporting hop received it (1 or 0 for a time exceeded). */
  readonly ttl: number;
  /** Bytes of TCP header quoted (8 at least; often all of it, and payload too). */
  readonly tcpQuoted: number;
}

/** An ICMP or ICMPv6 error message and the TCP segment it quotes. */
export interface IcmpMessage {
  /** `ICMP` for ICMP over IPv4, `ICMPv6` for ICMPv6. */
  readonly protocol: 'ICMP' | 'ICMPv6';
  readonly type: number;
  readonly code: number;
  readonly kind: IcmpKind;
  /** The code's name (`port-unreachable`, `fragmentation-needed`, `admin-prohibited`, …), or `code N` for one no RFC names. */
  readonly name: string;
  /** The errno Linux reports to the application for this code; undefined where it reports none. */
  readonly errno: string | undefined;
  /**
   * Fragmentation needed's next-hop MTU (RFC 1191; undefined when the
   * router sent 0, as pre-RFC 1191 routers do) or packet too big's MTU.
   * Undefined for the other messages.
   */
  readonly mtu: number | undefined;
  /** Parameter problem's pointer: the byte offset in the quoted packet of the fault; undefined for the others. */
  readonly pointer: number | undefined;
  /** What the message quotes. */
  readonly quoted: QuotedTcp;
}

/**
 * An ICMP error in a frame, as decodeFrame returns it beside the `ICMP` /
 * `ICMPv6` skip: the message with who sent it (the outer source: the peer
 * itself or a router on the path) and where it was in the capture.
 */
export interface IcmpError extends IcmpMessage {
  /** Frame number (1-based, Wireshark's `frame.number`). */
  readonly frame: number;
  readonly sec: number;
  readonly nsec: number;
  readonly ipVersion: 4 | 6;
  /** The ICMP packet's source: the host that reports the error. */
  readonly src: string;
  /** The ICMP packet's destination: normally the quoted segment's sender. */
  readonly dst: string;
  /** Length of the frame on the wire. */
  readonly frameLen: number;
  /** Encapsulations the message came through, outermost first; absent for a plain frame. */
  readonly via?: readonly string[];
}

/**
 * Decodes the ICMP (`protocol` 'ICMP') or ICMPv6 message at `at`, which the
 * IP header says ends at `end` (the captured bytes bound it too: a quote cut
 * by the snaplen decodes as far as it goes).
 *
 * Fails with kind `ICMP not an error` for informational messages (and the
 * error types synfin does not decode), `ICMP quotes no TCP` for an error
 * about anything but a TCP segment's first fragment, and `bad ICMP message`
 * when the message or its quote is malformed or shorter than the IP header
 * plus 8 bytes of TCP. It never reads past `end` or the buffer.
 */
export function decodeIcmp(b: Buffer, at: number, end: number, protocol: 'ICMP' | 'ICMPv6'): DecodeResult<IcmpMessage> {
  const limit = Math.min(end, b.length);
  if (limit - at < HEADER) {
    return fail(BAD_ICMP, at, `truncated: ${protocol} header needs ${HEADER} bytes, ${Math.max(limit - at, 0)} there`);
  }
  const type = b[at + TYPE]!;
  const code = b[at + CODE]!;
  const v6 = protocol === 'ICMPv6';
  const row = (v6 ? ICMPV6_ERRORS : ICMP_ERRORS).get(type);
  if (row === undefined) return fail(ICMP_NOT_AN_ERROR, at + TYPE, `${protocol} type ${type} is not an error message synfin decodes`);
  const codeRow = row.codes[code];
  const name = codeRow?.name ?? `code ${code}`;
  let mtu: number | undefined;
  if (v6 && type === V6_PACKET_TOO_BIG_TYPE) mtu = b.readUInt32BE(at + MTU);
  else if (!v6 && type === V4_UNREACHABLE_TYPE && code === V4_FRAGMENTATION_NEEDED) mtu = b.readUInt16BE(at + NEXT_HOP_MTU);
  if (mtu === 0) mtu = undefined;
  let pointer: number | undefined;
  if (v6 && type === V6_PARAMETER_PROBLEM_TYPE) pointer = b.readUInt32BE(at + POINTER);
  else if (!v6 && type === V4_PARAMETER_PROBLEM_TYPE) pointer = b[at + POINTER]!;

  const quoted = decodeQuote(b.subarray(0, limit), at + HEADER, v6 ? 6 : 4, protocol);
  if (!quoted.ok) return quoted;
  return ok({
    protocol,
    type,
    code,
    kind: row.kind,
    name,
    errno: codeRow?.errno,
    mtu,
    pointer,
    quoted: quoted.value,
  });
}

/**
 * The quoted IP header and TCP's first bytes at `at`; `q` ends where the
 * message does, so the IP decoders' "captured" checks bound the quote.
 */
function decodeQuote(q: Buffer, at: number, version: 4 | 6, protocol: string): DecodeResult<QuotedTcp> {
  if (q.length - at < 1) return fail(BAD_ICMP, at, `truncated: ${protocol} error quotes no packet`);
  const quotedVersion = q[at]! >> 4;
  // RFC 4443 §2.4 / RFC 792: the quote is a packet of the same IP version as the error's.
  if (quotedVersion !== version) {
    return fail(BAD_ICMP, at, `${protocol} error quotes an IP version ${quotedVersion} packet, expected ${version}`);
  }
  let src: string;
  let dst: string;
  let tcpAt: number;
  let ipLen: number;
  let ttl: number;
  let packetEnd: number;
  if (version === 4) {
    const ip = decodeIpv4(q, at);
    if (!ip.ok) return fail(BAD_ICMP, ip.error.offset, `quoted ${ip.error.message}`);
    const h = ip.value;
    if (h.protocol !== IPPROTO_TCP) return fail(ICMP_QUOTES_NO_TCP, at + 9, `${protocol} error quotes ${ipProtocolName(h.protocol)}`);
    // Only a first fragment (or a whole packet) begins with the TCP header.
    if (h.fragmentOffset !== 0) return fail(ICMP_QUOTES_NO_TCP, at + 6, `${protocol} error quotes a fragment at offset ${h.fragmentOffset}`);
    ({ src, dst, ttl } = h);
    tcpAt = h.payloadAt;
    ipLen = h.totalLen;
    packetEnd = h.end;
  } else {
    const ip = decodeIpv6(q, at);
    if (!ip.ok) return fail(BAD_ICMP, ip.error.offset, `quoted ${ip.error.message}`);
    const h = ip.value;
    if (h.fragment !== undefined && h.fragment.offset !== 0) {
      return fail(ICMP_QUOTES_NO_TCP, at, `${protocol} error quotes a fragment at offset ${h.fragment.offset}`);
    }
    if (h.protocol !== IPPROTO_TCP) {
      const what = h.protocol === IPPROTO_NONE ? 'no next header' : ipProtocolName(h.protocol);
      return fail(ICMP_QUOTES_NO_TCP, at + 6, `${protocol} error quotes ${what}`);
    }
    ({ src, dst } = h);
    ttl = h.hopLimit;
    tcpAt = h.payloadAt;
    ipLen = 40 + h.payloadLength;
    packetEnd = h.end;
  }
  const tcpQuoted = Math.min(q.length, packetEnd) - tcpAt;
  if (tcpQuoted < TCP_MIN_QUOTE) {
    return fail(BAD_ICMP, tcpAt, `truncated: quoted TCP header has ${Math.max(tcpQuoted, 0)} of the ${TCP_MIN_QUOTE} bytes an error must quote`);
  }
  const hasAck = tcpQuoted >= TCP_ACK + 4;
  const hasFlags = tcpQuoted > TCP_FLAGS;
  const headerLen = hasFlags ? (q[tcpAt + TCP_OFFSET]! >> 4) * 4 : undefined;
  // A data offset under 5 or past the quoted packet's length leaves the payload length unknown, not negative.
  const payloadLen = headerLen !== undefined && headerLen >= 20 && tcpAt + headerLen <= packetEnd ? packetEnd - tcpAt - headerLen : undefined;
  return ok({
    ipVersion: version,
    src,
    dst,
    srcPort: q.readUInt16BE(tcpAt + TCP_SRC_PORT),
    dstPort: q.readUInt16BE(tcpAt + TCP_DST_PORT),
    seq: q.readUInt32BE(tcpAt + TCP_SEQ),
    ack: hasAck ? q.readUInt32BE(tcpAt + TCP_ACK) : undefined,
    flags: hasFlags ? ((q[tcpAt + TCP_OFFSET]! & 0x01) << 8) | q[tcpAt + TCP_FLAGS]! : undefined,
    payloadLen,
    ipLen,
    ttl,
    tcpQuoted,
  });
}
