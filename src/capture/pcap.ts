/**
 * Classic libpcap files, read by the `pcap-parser` package (the project's
 * libpcap reader), with this wrapper covering its gaps:
 *
 * - nanosecond magic: pcap-parser knows only the microsecond magics, so the
 *   wrapper hands it the microsecond magic of the same byte order and reads
 *   its `timestampMicroseconds` as nanoseconds;
 * - version: pcap-parser's check (`major != 2 && minor != 4`) lets 3.4 and 2.9
 *   through, so the wrapper checks the version as libpcap does;
 * - corrupt record lengths: pcap-parser believes any caplen and would buffer
 *   forever waiting for 4 GB, so a framing pass in front of it reads each
 *   16-byte record header, rejects a caplen over the snaplen before
 *   pcap-parser sees the record, and knows every record's byte offset;
 * - a file cut mid-record: pcap-parser just stops; the framing pass knows how
 *   far into which record the file ended and says so.
 *
 * The framing pass reads the record headers only to validate framing; the
 * records themselves (timestamps, lengths, bytes) come from pcap-parser.
 */
import { EventEmitter } from 'node:events';
import pcapParser from 'pcap-parser';
import type { PcapParserGlobalHeader, PcapParserInput, PcapParserPacket } from 'pcap-parser';
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
const R_CAPLEN = 8;

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

/** What the framing pass lets through for one chunk. */
export interface PcapFramingStep {
  /** The 24-byte file header (a private copy), exactly once, when it completes. */
  readonly header: Buffer | undefined;
  /** Bytes after the file header that pcap-parser may see. */
  readonly body: Buffer;
  /** The fault that ends the file at the end of `body`. */
  readonly error: CaptureError | undefined;
}

/** The framing pass: see {@link createPcapFraming}. */
export interface PcapFraming {
  /** Validates the framing of the next chunk. */
  scan(chunk: Buffer): PcapFramingStep;
  /**
   * At end of input: where the file was cut, or undefined when it ended on a
   * record boundary. Throws CaptureError when the file header is incomplete.
   */
  finish(): PcapCut | undefined;
  /** The file header once read. */
  readonly header: PcapFileHeader | undefined;
}

/**
 * A lightweight pass in front of pcap-parser that follows record boundaries:
 * it reads the file header and each 16-byte record header, checks caplen
 * against the snaplen (or MAX_CAPLEN) before the record's bytes go on, and
 * counts bytes so every message names the record and its offset.
 */
export function createPcapFraming(file: string): PcapFraming {
  const fileHeader = Buffer.alloc(PCAP_HEADER_LEN);
  const recordHeader = Buffer.alloc(PCAP_RECORD_HEADER_LEN);
  let header: PcapFileHeader | undefined;
  let fileHeaderHave = 0;
  let recordHeaderHave = 0;
  /** Bytes of the current record's body still to come; -1 while in a record header. */
  let bodyLeft = -1;
  let caplen = 0;
  /** Bytes consumed before the current chunk. */
  let consumed = 0;
  let records = 0; // records whose header has been read (the current one included)
  let recordOffset = PCAP_HEADER_LEN;

  function scan(chunk: Buffer): PcapFramingStep {
    let pos = 0;
    let headerOut: Buffer | undefined;
    if (header === undefined) {
      const n = Math.min(PCAP_HEADER_LEN - fileHeaderHave, chunk.length);
      chunk.copy(fileHeader, fileHeaderHave, 0, n);
      fileHeaderHave += n;
      pos = n;
      if (fileHeaderHave < PCAP_HEADER_LEN) {
        consumed += chunk.length;
        return { header: undefined, body: chunk.subarray(0, 0), error: undefined };
      }
      const decoded = decodePcapFileHeader(fileHeader);
      if (!decoded.ok) {
        return { header: undefined, body: chunk.subarray(0, 0), error: new CaptureError(decoded.kind, file, decoded.offset, undefined, decoded.detail) };
      }
      header = decoded.header;
      headerOut = Buffer.from(fileHeader);
    }
    const h = header;
    const be = h.byteOrder === 'BE';
    const limit = h.snaplen > 0 && h.snaplen < MAX_CAPLEN ? h.snaplen : MAX_CAPLEN;
    const bodyStart = pos;
    while (pos < chunk.length) {
      if (bodyLeft >= 0) {
        const n = Math.min(bodyLeft, chunk.length - pos);
        bodyLeft -= n;
        pos += n;
        if (bodyLeft === 0) {
          bodyLeft = -1;
          recordOffset += PCAP_RECORD_HEADER_LEN + caplen;
        }
        continue;
      }
      if (recordHeaderHave === 0 && pos + PCAP_RECORD_HEADER_LEN <= chunk.length) {
        // The whole record header is in this chunk (all but one per chunk): read caplen in place.
        records++;
        caplen = be ? chunk.readUInt32BE(pos + R_CAPLEN) : chunk.readUInt32LE(pos + R_CAPLEN);
        pos += PCAP_RECORD_HEADER_LEN;
      } else {
        if (recordHeaderHave === 0) records++;
        const n = Math.min(PCAP_RECORD_HEADER_LEN - recordHeaderHave, chunk.length - pos);
        chunk.copy(recordHeader, recordHeaderHave, pos, pos + n);
        recordHeaderHave += n;
        pos += n;
        if (recordHeaderHave < PCAP_RECORD_HEADER_LEN) break;
        recordHeaderHave = 0;
        caplen = be ? recordHeader.readUInt32BE(R_CAPLEN) : recordHeader.readUInt32LE(R_CAPLEN);
      }
      if (caplen > limit) {
        const what = limit === h.snaplen ? `snaplen ${h.snaplen}` : `the maximum ${MAX_CAPLEN}`;
        const error = new CaptureError('caplen-too-large', file, recordOffset, records, `caplen ${caplen} > ${what}`);
        // Stop pcap-parser at the end of the previous record: none of this record's bytes go on.
        const end = Math.max(bodyStart, recordOffset - consumed);
        return { header: headerOut, body: chunk.subarray(bodyStart, end), error };
      }
      if (caplen === 0) recordOffset += PCAP_RECORD_HEADER_LEN;
      else bodyLeft = caplen;
    }
    consumed += chunk.length;
    return { header: headerOut, body: chunk.subarray(bodyStart), error: undefined };
  }

  function finish(): PcapCut | undefined {
    if (header === undefined) {
      throw new CaptureError('bad-block', file, 0, undefined, `file ends inside the pcap file header (${fileHeaderHave} of ${PCAP_HEADER_LEN} bytes)`);
    }
    if (bodyLeft >= 0) {
      const need = PCAP_RECORD_HEADER_LEN + caplen;
      return { record: records, offset: recordOffset, have: need - bodyLeft, need };
    }
    if (recordHeaderHave > 0) return { record: records, offset: recordOffset, have: recordHeaderHave, need: undefined };
    return undefined;
  }

  return {
    scan,
    finish,
    get header() {
      return header;
    },
  };
}

/**
 * A streaming reader of one classic pcap file. Frames are numbered by record
 * (frame.number = frame.record); their `data` are views into pcap-parser's
 * buffer, valid until copied.
 */
export function createPcapParser(file: string, source: number, info: CaptureInfo): FormatParser {
  const framing = createPcapFraming(file);
  // pcap-parser subscribes to a stream's events; this emitter is that stream,
  // fed synchronously from push(), so every record of a chunk is out before
  // push() returns and nothing depends on flowing-mode timing.
  const input: PcapParserInput = Object.assign(new EventEmitter(), {
    pause: (): void => {},
    resume: (): void => {},
  });
  const parser = pcapParser.parse(input);
  let precision: Precision = 'us';
  let linktype = 0;
  let records = 0;
  let sink: Frame[] = [];
  let parserError: Error | undefined;

  parser.on('globalHeader', (h: PcapParserGlobalHeader) => {
    linktype = h.linkLayerType & LINKTYPE_MASK;
    const name = linktypeName(linktype);
    if (!info.linktypes.includes(name)) info.linktypes.push(name);
  });
  parser.on('packet', (p: PcapParserPacket) => {
    records++;
    let sec = p.header.timestampSeconds;
    // In a nanosecond file the field pcap-parser calls microseconds holds nanoseconds.
    let nsec = precision === 'ns' ? p.header.timestampMicroseconds : p.header.timestampMicroseconds * 1000;
    if (nsec >= 1e9) {
      // A writer that did not normalise (fraction >= 1 s): carry, as the time it means.
      sec += Math.floor(nsec / 1e9);
      nsec %= 1e9;
    }
    sink.push({
      number: records,
      source,
      record: records,
      sec,
      nsec,
      precision,
      linktype,
      data: p.data,
      origLen: p.header.originalLength,
    });
    info.frames = records;
  });
  parser.on('error', (err: Error) => {
    parserError = err;
  });

  function push(chunk: Buffer, out: Frame[]): void {
    const step = framing.scan(chunk);
    sink = out;
    if (step.header !== undefined) {
      const h = framing.header;
      if (h !== undefined) {
        precision = h.precision;
        info.precision ??= h.precision;
        if (h.precision === 'ns') {
          // pcap-parser rejects the nanosecond magics: give it the microsecond
          // magic of the same byte order (the rest of the layout is identical).
          step.header.writeUInt32BE(h.byteOrder === 'BE' ? PCAP_MAGIC_US_BE : PCAP_MAGIC_US_LE, 0);
        }
      }
      input.emit('data', step.header);
    }
    if (step.body.length > 0) input.emit('data', step.body);
    if (parserError !== undefined) {
      // Unreachable after the framing pass's own magic and version checks; kept so
      // a pcap-parser complaint can never be swallowed.
      const kind = /version/i.test(parserError.message) ? 'bad-version' : 'bad-magic';
      throw new CaptureError(kind, file, 0, undefined, `pcap-parser: ${parserError.message}`);
    }
    if (step.error !== undefined) throw step.error;
  }

  function end(): void {
    const cut = framing.finish();
    input.emit('end');
    if (cut === undefined) return;
    info.truncated = true;
    const size = cut.need === undefined ? `${cut.have} of at least ${PCAP_RECORD_HEADER_LEN} bytes` : `${cut.have} of ${cut.need} bytes`;
    info.warnings.push(CaptureError.format(file, cut.offset, cut.record, `file ends mid-record (${size}): ${analysedUpTo(cut.record - 1)}`));
  }

  return { push, end };
}
