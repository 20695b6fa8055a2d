/**
 * IPv4 header decoding (RFC 791), including options and the fragment fields.
 */

import { fail, ok } from './segment.ts';
import type { DecodeResult } from './segment.ts';
import { IPPROTO_AH } from './ipproto.ts';

/** RFC 791 §3.1 field offsets. */
const VERSION_IHL = 0;
const TOTAL_LENGTH = 2;
const IDENTIFICATION = 4;
const FLAGS_FRAGMENT = 6;
const TTL = 8;
const PROTOCOL = 9;
const SRC = 12;
const DST = 16;
/** The header without options (IHL 5). */
export const IPV4_MIN_HEADER = 20;
const MIN_IHL = 5;
/** Flags and fragment offset share one 16-bit field; the offset counts 8-octet units. */
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/** RFC 4302 §2: AH is next header (1), payload length in 4-octet units minus 2 (1), ... */
const AH_NEXT_HEADER = 0;
const AH_PAYLOAD_LEN = 1;

/** The skip reason for every malformed IPv4 header. */
export const BAD_IPV4 = 'bad IPv4 header';

/** A decoded IPv4 header. */
export interface Ipv4Header {
  /** Source address, dotted quad. */
  readonly src: string;
  /** Destination address, dotted quad. */
  readonly dst: string;
  /** IHL × 4: the header with its options. */
  readonly headerLen: number;
  /**
   * Total length of the packet: the header's field, or, when that field is 0
   * (TCP segmentation offload), the length on the wire.
   */
  readonly totalLen: number;
  readonly id: number;
  readonly ttl: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in bytes (the field × 8). */
  readonly fragmentOffset: number;
  /** Upper-layer protocol, after any Authentication Header (the AH's next header). */
  readonly protocol: number;
  /** Frame offset of the upper-layer header: after options and any AH. */
  readonly payloadAt: number;
  /** Frame offset where the packet ends according to its length (may exceed the captured bytes). */
  readonly end: number;
  /** True when fewer bytes were captured than the packet's length says it has. */
  readonly truncated: boolean;
}

/**
 * Text of recently formatted addresses, by value. A capture repeats a few
 * addresses millions of times; formatting each one once saves building a
 * string per packet, and hands every segment of a flow the same string
 * object, so comparing addresses downstream is a pointer comparison.
 * Direct-mapped with a fixed number of slots: memory stays the same whatever
 * the capture holds, and a clash only costs formatting that address again.
 */
const V4_CACHE_SLOTS = 16_384;
const v4CacheKeys = new Int32Array(V4_CACHE_SLOTS);
const v4CacheTexts: (string | undefined)[] = new Array<string | undefined>(V4_CACHE_SLOTS).fill(undefined);

/** Formats 4 bytes at `at` as a dotted quad. */
export function formatIpv4(b: Buffer, at: number): string {
  if (at < 0 || at + 4 > b.length) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const value = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  const slot = Math.imul(value, 0x9e37_79b1) >>> 18;
  const cached = v4CacheTexts[slot];
  if (cached !== undefined && v4CacheKeys[slot] === value) return cached;
  const text = `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  v4CacheKeys[slot] = value;
  v4CacheTexts[slot] = text;
  return text;
}

/**
 * Decodes the IPv4 header at `at`. `wireLen` is the frame's length on the wire
 * (Frame.origLen), used only when the total length field is 0.
 *
 * Failures have kind `bad IPv4 header`. Fragments and non-TCP protocols are
 * decoded, not failed: the caller decides what to skip.
 */
export function decodeIpv4(b: Buffer, at: number, wireLen: number = b.length): DecodeResult<Ipv4Header> {
  const captured = b.length - at;
  if (captured < IPV4_MIN_HEADER) {
    return fail(BAD_IPV4, at, `truncated: header needs ${IPV4_MIN_HEADER} bytes, ${Math.max(captured, 0)} captured`);
  }
  const versionIhl = b.readUInt8(at + VERSION_IHL);
  const version = versionIhl >> 4;
  if (version !== 4) return fail(BAD_IPV4, at + VERSION_IHL, `version ${version} in an IPv4 packet`);
  const ihl = versionIhl & 0x0f;
  if (ihl < MIN_IHL) return fail(BAD_IPV4, at + VERSION_IHL, `IHL ${ihl} < ${MIN_IHL}`);
  const headerLen = ihl * 4;
  if (captured < headerLen) {
    return fail(BAD_IPV4, at, `truncated: header with options needs ${headerLen} bytes, ${captured} captured`);
  }
  let totalLen = b.readUInt16BE(at + TOTAL_LENGTH);
  if (totalLen === 0) {
    // A sending host with TCP segmentation offload (Windows LSO, Linux BIG TCP)
    // hands the capture a super-packet whose length field is 0; Wireshark then
    // takes the length from the frame, and so do we (the wire length, so a
    // snaplen cut still leaves the segment its full sequence space).
    totalLen = Math.max(wireLen, b.length) - at;
  }
  if (totalLen < headerLen) {
    return fail(BAD_IPV4, at + TOTAL_LENGTH, `total length ${totalLen} < header length ${headerLen}`);
  }
  const end = at + totalLen;
  const fragment = b.readUInt16BE(at + FLAGS_FRAGMENT);
  const moreFragments = (fragment & FLAG_MF) !== 0;
  const fragmentOffset = (fragment & FRAGMENT_OFFSET_MASK) * 8;
  let protocol = b.readUInt8(at + PROTOCOL);
  let payloadAt = at + headerLen;

  // RFC 4302 transport mode puts an Authentication Header between IP and TCP;
  // only a first (or whole) packet begins with it.
  if (protocol === IPPROTO_AH && fragmentOffset === 0 && !moreFragments) {
    if (payloadAt + 2 > end) return fail(BAD_IPV4, payloadAt, `AH header runs past total length ${totalLen}`);
    if (payloadAt + 2 > b.length) return fail(BAD_IPV4, payloadAt, 'truncated: AH header not captured');
    const ahLen = (b.readUInt8(payloadAt + AH_PAYLOAD_LEN) + 2) * 4;
    if (payloadAt + ahLen > end) {
      return fail(BAD_IPV4, payloadAt, `AH header of ${ahLen} bytes runs past total length ${totalLen}`);
    }
    protocol = b.readUInt8(payloadAt + AH_NEXT_HEADER);
    payloadAt += ahLen;
  }

  return ok({
    src: formatIpv4(b, at + SRC),
    dst: formatIpv4(b, at + DST),
    headerLen,
    totalLen,
    id: b.readUInt16BE(at + IDENTIFICATION),
    ttl: b.readUInt8(at + TTL),
    dontFragment: (fragment & FLAG_DF) !== 0,
    moreFragments,
    fragmentOffset,
    protocol,
    payloadAt,
    end,
    truncated: b.length < end,
  });
}
