/**
 * TCP header decoding (RFC 9293 §3.1) and its options.
 */

import { fail, ok } from './segment.ts';
import type { DecodeResult, TcpOption } from './segment.ts';

/** RFC 9293 §3.1 field offsets. */
const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK_NUMBER = 8;
/** Data offset (4 bits), reserved (3 bits), AE (1 bit). */
const OFF_DATA_OFFSET = 12;
/** CWR ECE URG ACK PSH RST SYN FIN. */
const OFF_FLAGS = 13;
const WINDOW = 14;
const URGENT = 18;
/** The header without options (data offset 5). */
export const TCP_MIN_HEADER = 20;

/** Option kinds (IANA "TCP Option Kind Numbers"). */
const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMPS = 8;
const OPT_TFO = 34;
/** RFC 6994 shared experimental kind; Linux sent TFO here (ExID 0xF989) before kind 34 was assigned. */
const OPT_EXPERIMENTAL = 254;
const TFO_EXPERIMENTAL_MAGIC = 0xf989;

const LEN_MSS = 4;
const LEN_WSCALE = 3;
const LEN_SACK_PERMITTED = 2;
const LEN_TIMESTAMPS = 10;
/** A SACK option is 2 bytes plus 8 per block (RFC 2018 §3). */
const SACK_BLOCK = 8;

/** The skip reasons this decoder fails with. */
export const BAD_TCP = 'bad TCP header';
export const TRUNCATED_TCP = 'truncated TCP header';

const NO_OPTIONS: readonly TcpOption[] = Object.freeze([]);

/** A decoded TCP header, with the payload length the IP layer gives it. */
export interface TcpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** FIN..CWR from byte 13, AE from the low bit of byte 12 (segment.ts constants). */
  readonly flags: number;
  readonly window: number;
  readonly urgent: number;
  /** Data offset × 4. */
  readonly headerLen: number;
  /** Bytes of payload per the IP length, whatever the capture kept. */
  readonly payloadLen: number;
  readonly options: readonly TcpOption[];
  /** Why option decoding stopped early (malformed list, or cut by the snaplen); undefined when it did not. */
  readonly optionsError: string | undefined;
  /** True when fewer bytes were captured than the IP length says the segment has. */
  readonly truncated: boolean;
}

/**
 * Decodes the TCP header at `at`. `end` is the frame offset where the segment
 * ends according to the IP header (IPv4 total length, IPv6 payload length); it
 * may lie beyond the captured bytes, and defaults to them.
 *
 * Fails with kind `bad TCP header` (data offset under 5, header longer than
 * the IP payload) or `truncated TCP header` (fewer than the 20 fixed bytes
 * captured). Options cut by the snaplen, or malformed, set `optionsError` and
 * keep what was decoded before. Checksums are not verified: on the sending
 * host checksum offload leaves them wrong in the capture.
 */
export function decodeTcp(b: Buffer, at: number, end: number = b.length): DecodeResult<TcpHeader> {
  const segmentLen = end - at;
  if (segmentLen < TCP_MIN_HEADER) {
    return fail(BAD_TCP, at, `IP payload of ${segmentLen} bytes is shorter than the ${TCP_MIN_HEADER}-byte TCP header`);
  }
  const captured = b.length - at;
  if (captured < TCP_MIN_HEADER) {
    return fail(TRUNCATED_TCP, at, `${Math.max(captured, 0)} of ${TCP_MIN_HEADER} fixed header bytes captured`);
  }
  const offsetByte = b.readUInt8(at + OFF_DATA_OFFSET);
  const headerLen = (offsetByte >> 4) * 4;
  if (headerLen < TCP_MIN_HEADER) {
    return fail(BAD_TCP, at + OFF_DATA_OFFSET, `data offset ${headerLen >> 2} < 5 (header length ${headerLen})`);
  }
  if (headerLen > segmentLen) {
    return fail(BAD_TCP, at + OFF_DATA_OFFSET, `header length ${headerLen} exceeds IP payload ${segmentLen}`);
  }

  const { options, error: optionsError } = decodeTcpOptions(b, at, headerLen);

  return ok({
    srcPort: b.readUInt16BE(at + SRC_PORT),
    dstPort: b.readUInt16BE(at + DST_PORT),
    seq: b.readUInt32BE(at + SEQ),
    ack: b.readUInt32BE(at + ACK_NUMBER),
    // RFC 3540 put NS (now AE, RFC 9768) in the last reserved bit, just
    // above CWR: the 9 bits form one number as the segment.ts constants expect.
    flags: ((offsetByte & 0x01) << 8) | b.readUInt8(at + OFF_FLAGS),
    window: b.readUInt16BE(at + WINDOW),
    urgent: b.readUInt16BE(at + URGENT),
    headerLen,
    payloadLen: segmentLen - headerLen,
    options,
    optionsError,
    truncated: b.length < end,
  });
}

/** What {@link decodeTcpOptions} found. */
export interface TcpOptionsResult {
  readonly options: readonly TcpOption[];
  /** Why decoding stopped early (TcpHeader.optionsError). */
  readonly error: string | undefined;
}

const NONE: TcpOptionsResult = Object.freeze({ options: NO_OPTIONS, error: undefined });

/**
 * The options of the TCP header at `at` whose data offset gives `headerLen`
 * bytes (already checked to be at least 20 and within the IP payload), as
 * decodeTcp reports them: what decoded, and why decoding stopped early when
 * the list is malformed or cut by the snaplen.
 */
export function decodeTcpOptions(b: Buffer, at: number, headerLen: number): TcpOptionsResult {
  if (headerLen <= TCP_MIN_HEADER) return NONE;
  const headerEnd = at + headerLen;
  const limit = Math.min(headerEnd, b.length);
  const parsed = decodeOptions(b, at, limit, headerEnd);
  if (parsed.error === undefined && limit < headerEnd) return { options: parsed.options, error: cutMessage(at, headerLen, limit) };
  return parsed;
}

function cutMessage(at: number, headerLen: number, limit: number): string {
  return `options cut by the capture at TCP header offset ${limit - at}: header has ${headerLen} bytes, ${limit - at} captured`;
}

/** `MSS option at TCP header offset 20`: names the faulty option and where it starts. */
function where(at: number, i: number, kind: number): string {
  return `${optionName(kind)} option at TCP header offset ${i - at}`;
}

/** The name an option goes by in error messages. */
function optionName(kind: number): string {
  switch (kind) {
    case OPT_MSS: return 'MSS';
    case OPT_WSCALE: return 'window scale';
    case OPT_SACK_PERMITTED: return 'SACK-permitted';
    case OPT_SACK: return 'SACK';
    case OPT_TIMESTAMPS: return 'timestamps';
    case OPT_TFO: return 'TFO';
    default: return `kind ${kind}`;
  }
}

/** Expected length of the fixed-length options synfin names; undefined for the others. */
function fixedLength(kind: number): number | undefined {
  switch (kind) {
    case OPT_MSS: return LEN_MSS;
    case OPT_WSCALE: return LEN_WSCALE;
    case OPT_SACK_PERMITTED: return LEN_SACK_PERMITTED;
    case OPT_TIMESTAMPS: return LEN_TIMESTAMPS;
    default: return undefined;
  }
}

/**
 * Walks the option list in [at + 20, limit). `headerEnd` is where the header
 * ends per the data offset; `limit` is smaller when the snaplen cut the header.
 * Stops at EOL, and at the first malformed option (RFC 9293 §3.1 gives no way
 * to resynchronise after a bad length), keeping what came before.
 */
function decodeOptions(
  b: Buffer,
  at: number,
  limit: number,
  headerEnd: number,
): { options: TcpOption[]; error: string | undefined } {
  const options: TcpOption[] = [];
  let i = at + TCP_MIN_HEADER;
  while (i < limit) {
    const kind = b.readUInt8(i);
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= limit) {
      if (limit < headerEnd) return { options, error: cutMessage(at, headerEnd - at, limit) };
      return { options, error: `${where(at, i, kind)}: no length byte before the end of the header` };
    }
    const len = b.readUInt8(i + 1);
    if (len < 2) return { options, error: `${where(at, i, kind)}: length ${len} < 2` };
    if (i + len > headerEnd) {
      return { options, error: `${where(at, i, kind)}: length ${len} runs past the ${headerEnd - at}-byte header` };
    }
    if (i + len > limit) return { options, error: cutMessage(at, headerEnd - at, limit) };
    const fixed = fixedLength(kind);
    if (fixed !== undefined && len !== fixed) {
      return { options, error: `${where(at, i, kind)}: length ${len}, expected ${fixed}` };
    }
    switch (kind) {
      case OPT_MSS:
        options.push({ kind: 'mss', value: b.readUInt16BE(i + 2) });
        break;
      case OPT_WSCALE:
        // Kept as sent; RFC 7323 §2.3 caps the shift used at 14, which the engine applies.
        options.push({ kind: 'wscale', shift: b.readUInt8(i + 2) });
        break;
      case OPT_SACK_PERMITTED:
        options.push({ kind: 'sack-permitted' });
        break;
      case OPT_SACK: {
        if (len < 2 + SACK_BLOCK || (len - 2) % SACK_BLOCK !== 0) {
          return { options, error: `${where(at, i, kind)}: length ${len} is not 2 + 8n (n >= 1)` };
        }
        const blocks: (readonly [number, number])[] = [];
        for (let p = i + 2; p < i + len; p += SACK_BLOCK) {
          blocks.push([b.readUInt32BE(p), b.readUInt32BE(p + 4)]);
        }
        options.push({ kind: 'sack', blocks });
        break;
      }
      case OPT_TIMESTAMPS:
        options.push({ kind: 'timestamps', tsval: b.readUInt32BE(i + 2), tsecr: b.readUInt32BE(i + 6) });
        break;
      case OPT_TFO:
        // RFC 7413 §4.1.1: length 2 is a cookie request, otherwise the cookie follows.
        options.push({ kind: 'tfo', cookie: b.toString('hex', i + 2, i + len) });
        break;
      case OPT_EXPERIMENTAL:
        if (len >= 4 && b.readUInt16BE(i + 2) === TFO_EXPERIMENTAL_MAGIC) {
          options.push({ kind: 'tfo', cookie: b.toString('hex', i + 4, i + len) });
        } else {
          options.push({ kind: 'unknown', number: kind, length: len });
        }
        break;
      default:
        options.push({ kind: 'unknown', number: kind, length: len });
    }
    i += len;
  }
  return { options, error: undefined };
}
