/**
 * Classic libpcap files, read by synfin's own record framer: it walks the
 * 16-byte record headers in each chunk the file is read in and hands every
 * packet on as a view into that chunk (no copy, no event per record); only a
 * record that straddles two chunks is copied, into a buffer of its own.
 *
 * - both byte orders, microsecond and nanosecond magic;
 * - version checked as libpcap does (2.0 to 2.4);
 * - corrupt record lengths: a caplen over MAX_CAPLEN (libpcap's and
 *   tshark's 256 KiB) is refused before any of the record is waited for,
 *   naming record and byte. The file header's snaplen is advisory, as
 *   tcpdump, tshark and capinfos treat it: a record longer than it is read,
 *   with one warning per capture (some writers put a smaller snaplen in the
 *   header than they captured with);
 * - a file cut mid-record: the framer knows how far into which record the
 *   file ended and says so.
 *
 * The `pcap-parser` package is the reference the tests hold this framer to:
 * on every capture in the repository and every fuzz mutant it reads, both
 * yield the same records, byte for byte (test/capture/pcap-reference.test.ts,
 * scripts/fuzz). docs/design.md, "Reading captures", says why synfin does not read
 * through it: a quarter of the speed, and its whole buffer copied again on
 * every chunk.
 */
import { CaptureError } from './frame.ts';
import type { CaptureInfo, Frame, Precision } from './frame.ts';
import { analysedUpTo, MAX_CAPLEN } from './format.ts';
import type { FormatParser } from './format.ts';
import { linktypeName } from './linktypes.ts';

/** Bytes in the pcap file header. */
export const PCAP_HEADER_LEN = 24;
/** Bytes in each record header (ts_sec, ts_usec, caplen, len). */
export const PCAP_RECORD_HEADER_LEN = 16;

/** Magic numbers as read big-endian from the first 4 bytes. */
export const PCAP_MAGIC_US_BE = 0xa1b2c3d4;
export const PCAP_MAGIC_US_LE = 0xd4c3b2a1;
export const PCAP_MAGIC_NS_BE = 0xa1b23c4d;
export const PCAP_MAGIC_NS_LE = 0x4d3cb2a1;

// Offsets in the file header and record header.
const H_MAJOR = 4, H_MINOR = 6, H_SNAPLEN = 16, H_LINKTYPE = 20;
const R_SEC = 0, R_FRAC = 4, R_CAPLEN = 8, R_LEN = 12;

/**
 * The link-type field's upper bits carry FCS information (pcap spec, "LinkType
 * and additional information"); libpcap's LT_LINKTYPE keeps the low 26 bits.
 */
const LINKTYPE_MASK = 0x03ff_ffff;

/** The decoded pcap file header. */
export interface PcapFileHeader {
  readonly byteOrder: 'BE' | 'LE';
  readonly precision: Extract<Precision, 'us' | 'ns'>;
  readonly major: number;
  readonly minor: number;
  /** 0 means "unknown": only MAX_CAPLEN then bounds a record. */
  readonly snaplen: number;
  /** LINKTYPE_* with the FCS bits masked off. */
  readonly linktype: number;
}

/** Result of decoding the file header. */
export type PcapHeaderResult =
  | { readonly ok: true; readonly header: PcapFileHeader }
  | { readonly ok: false; readonly kind: 'bad-magic' | 'bad-version'; readonly offset: number; readonly detail: string };

/** True when these 4 bytes (read big-endian) are one of the classic pcap magics. */
export function isPcapMagic(magic: number): boolean {
  return magic === PCAP_MAGIC_US_BE || magic === PCAP_MAGIC_US_LE || magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE;
}

/**
 * Decodes the 24-byte pcap file header at the start of `b` (which must hold
 * at least 24 bytes). Accepts versions 2.0 to 2.4 as libpcap does.
 */
export function decodePcapFileHeader(b: Buffer): PcapHeaderResult {
  const magic = b.readUInt32BE(0);
  let byteOrder: 'BE' | 'LE';
  let precision: 'us' | 'ns';
  switch (magic) {
    case PCAP_MAGIC_US_BE: byteOrder = 'BE'; precision = 'us'; break;
    case PCAP_MAGIC_US_LE: byteOrder = 'LE'; precision = 'us'; break;
    case PCAP_MAGIC_NS_BE: byteOrder = 'BE'; precision = 'ns'; break;
    case PCAP_MAGIC_NS_LE: byteOrder = 'LE'; precision = 'ns'; break;
    default:
      return { ok: false, kind: 'bad-magic', offset: 0, detail: `unknown pcap magic 0x${magic.toString(16).padStart(8, '0')}` };
  }
  const u16 = (at: number): number => (byteOrder === 'BE' ? b.readUInt16BE(at) : b.readUInt16LE(at));
  const u32 = (at: number): number => (byteOrder === 'BE' ? b.readUInt32BE(at) : b.readUInt32LE(at));
  const major = u16(H_MAJOR);
  const minor = u16(H_MINOR);
  // libpcap's sf-pcap.c: major 2, minor up to 4 (older minors have the same record layout).
  if (major !== 2 || minor > 4) {
    return { ok: false, kind: 'bad-version', offset: H_MAJOR, detail: `unsupported pcap version ${major}.${minor} (expected 2.4)` };
  }
  return {
    ok: true,
    header: { byteOrder, precision, major, minor, snaplen: u32(H_SNAPLEN), linktype: u32(H_LINKTYPE) & LINKTYPE_MASK },
  };
}

/** Where a pcap file ended inside a record. */
export interface PcapCut {
  /** 1-based number of the record that is cut. */
  readonly record: number;
  /** Byte offset of its record header. */
  readonly offset: number;
  /** Bytes of it the file holds. */
  readonly have: number;
  /** Bytes it needs (header + caplen), or undefined when even the header is cut. */
  readonly need: number | undefined;
}

/**
 * A streaming reader of one classic pcap file. Frames are numbered by record
 * (frame.number = frame.record); their `data` are views into the chunk they
 * arrived in (or, for a record split across two chunks, into a copy of it):
 * valid as long as the chunk is, copy before keeping.
 */
export function createPcapParser(file: string, source: number, info: CaptureInfo): FormatParser {
  let header: PcapFileHeader | undefined;
  /** The file header's bytes while it is incomplete. */
  let headerBytes: Buffer | undefined;
  let be = false;
  let ns = false;
  let precision: Precision = 'us';
  let linktype = 0;
  /** The header's snaplen (0: none), and whether a record over it was warned about. */
  let snaplen = 0;
  let warnedSnaplen = false;
  /** Records whose header has been seen (the one in progress included). */
  let records = 0;
  /** File offset of the next record header (of the pending one, while one is pending). */
  let offset = PCAP_HEADER_LEN;
  /**
   * A record that straddles chunks: its bytes so far, in a buffer as long as
   * the whole record once its header is known (16 bytes before).
   */
  let pending: Buffer | undefined;
  let pendingHave = 0;

  function readHeader(b: Buffer): void {
    const decoded = decodePcapFileHeader(b);
    if (!decoded.ok) throw new CaptureError(decoded.kind, file, decoded.offset, undefined, decoded.detail);
    const h = decoded.header;
    header = h;
    be = h.byteOrder === 'BE';
    ns = h.precision === 'ns';
    precision = h.precision;
    info.precision ??= h.precision;
    linktype = h.linktype;
    const name = linktypeName(linktype);
    if (!info.linktypes.includes(name)) info.linktypes.push(name);
    snaplen = h.snaplen;
  }

  /** The caplen of the record header at b[at..], checked; throws for a corrupt one. */
  function caplenAt(b: Buffer, at: number): number {
    const caplen = be ? b.readUInt32BE(at + R_CAPLEN) : b.readUInt32LE(at + R_CAPLEN);
    if (caplen > MAX_CAPLEN) throw new CaptureError('caplen-too-large', file, offset, records, `caplen ${caplen} > the maximum ${MAX_CAPLEN}`);
    if (caplen > snaplen && snaplen > 0 && !warnedSnaplen) {
      warnedSnaplen = true;
      info.warnings.push(CaptureError.format(file, offset, records,
        `caplen ${caplen} > snaplen ${snaplen} in the file header: read anyway, as tcpdump and tshark do (the header understates what was captured); later such records are not reported`));
    }
    return caplen;
  }

  /** Appends the record whose header is at b[at..] and whose data follows it. */
  function emit(b: Buffer, at: number, caplen: number, out: Frame[]): void {
    let sec = be ? b.readUInt32BE(at + R_SEC) : b.readUInt32LE(at + R_SEC);
    const frac = be ? b.readUInt32BE(at + R_FRAC) : b.readUInt32LE(at + R_FRAC);
    let nsec = ns ? frac : frac * 1000;
    if (nsec >= 1e9) {
      // A writer that did not normalise (fraction >= 1 s): carry, as the time it means.
      sec += Math.floor(nsec / 1e9);
      nsec %= 1e9;
    }
    const dataAt = at + PCAP_RECORD_HEADER_LEN;
    out.push({
      number: records, source, record: records, sec, nsec, precision, linktype,
      data: b.subarray(dataAt, dataAt + caplen),
      origLen: be ? b.readUInt32BE(at + R_LEN) : b.readUInt32LE(at + R_LEN),
    });
    offset += PCAP_RECORD_HEADER_LEN + caplen;
    info.frames = records;
  }

  function push(chunk: Buffer, out: Frame[]): void {
    let pos = 0;
    if (header === undefined) {
      const have = headerBytes?.length ?? 0;
      const n = Math.min(PCAP_HEADER_LEN - have, chunk.length);
      headerBytes = headerBytes === undefined ? Buffer.from(chunk.subarray(0, n)) : Buffer.concat([headerBytes, chunk.subarray(0, n)]);
      pos = n;
      if (headerBytes.length < PCAP_HEADER_LEN) return;
      readHeader(headerBytes);
      headerBytes = undefined;
    }
    if (pending !== undefined) pos = continuePending(chunk, pos, out);
    const end = chunk.length;
    // The records wholly inside this chunk: the loop every packet goes through.
    while (pos + PCAP_RECORD_HEADER_LEN <= end) {
      records++;
      const caplen = caplenAt(chunk, pos);
      if (pos + PCAP_RECORD_HEADER_LEN + caplen > end) {
        records--;
        break;
      }
      emit(chunk, pos, caplen, out);
      pos += PCAP_RECORD_HEADER_LEN + caplen;
    }
    if (pos < end) {
      // The start of a record that the next chunk completes.
      records++;
      const haveHeader = end - pos >= PCAP_RECORD_HEADER_LEN;
      const size = haveHeader ? PCAP_RECORD_HEADER_LEN + caplenAt(chunk, pos) : PCAP_RECORD_HEADER_LEN;
      pending = Buffer.allocUnsafe(size);
      pendingHave = chunk.copy(pending, 0, pos, end);
    }
  }

  /** Completes the pending record from the start of `chunk`; returns where the chunk's own records begin. */
  function continuePending(chunk: Buffer, pos: number, out: Frame[]): number {
    let p = pending!;
    if (p.length === PCAP_RECORD_HEADER_LEN && pendingHave < PCAP_RECORD_HEADER_LEN) {
      // Its header is still incomplete: complete it first.
      const n = Math.min(PCAP_RECORD_HEADER_LEN - pendingHave, chunk.length - pos);
      chunk.copy(p, pendingHave, pos, pos + n);
      pendingHave += n;
      pos += n;
      if (pendingHave < PCAP_RECORD_HEADER_LEN) return pos;
      const caplen = caplenAt(p, 0);
      if (caplen > 0) {
        const whole = Buffer.allocUnsafe(PCAP_RECORD_HEADER_LEN + caplen);
        p.copy(whole, 0, 0, PCAP_RECORD_HEADER_LEN);
        pending = p = whole;
      }
    }
    const n = Math.min(p.length - pendingHave, chunk.length - pos);
    chunk.copy(p, pendingHave, pos, pos + n);
    pendingHave += n;
    pos += n;
    if (pendingHave === p.length) {
      pending = undefined;
      pendingHave = 0;
      emit(p, 0, p.length - PCAP_RECORD_HEADER_LEN, out);
    }
    return pos;
  }

  function end(): void {
    if (header === undefined) {
      const have = headerBytes?.length ?? 0;
      throw new CaptureError('bad-block', file, 0, undefined, `file ends inside the pcap file header (${have} of ${PCAP_HEADER_LEN} bytes)`);
    }
    if (pending === undefined) return;
    const headerDone = pending.length > PCAP_RECORD_HEADER_LEN || pendingHave === PCAP_RECORD_HEADER_LEN;
    const cut: PcapCut = { record: records, offset, have: pendingHave, need: headerDone ? pending.length : undefined };
    info.truncated = true;
    const size = cut.need === undefined ? `${cut.have} of at least ${PCAP_RECORD_HEADER_LEN} bytes` : `${cut.have} of ${cut.need} bytes`;
    info.warnings.push(CaptureError.format(file, cut.offset, cut.record, `file ends mid-record (${size}): ${analysedUpTo(cut.record - 1)}`));
  }

  return { push, end };
}
