/**
 * The reference synfin's pcap record framer (src/capture/pcap.ts) is held to:
 * the `pcap-parser` package, which docs/design.md names. Both read the same bytes
 * and must yield the same records, byte for byte: timestamp, lengths and
 * captured data. Used by test/capture/pcap-reference.test.ts on every capture
 * in the repository and by the fuzz harness on every mutant.
 *
 * Where they may differ, by design:
 * - pcap-parser knows only the microsecond magics: a nanosecond file is given
 *   to it with the microsecond magic of the same byte order (the layout is
 *   otherwise identical), and its "microseconds" read as nanoseconds;
 * - the framer refuses a corrupt caplen (over the snaplen or MAX_CAPLEN) and a
 *   version libpcap refuses; pcap-parser believes any caplen (and waits for
 *   the bytes) and lets versions 2.9 or 3.4 through. So the framer's records
 *   must be a prefix of pcap-parser's, and all of them when it read the file
 *   to its end without an error.
 */

import { EventEmitter } from 'node:events';
import pcapParser from 'pcap-parser';
import type { PcapParserGlobalHeader, PcapParserInput, PcapParserPacket } from 'pcap-parser';
import { CaptureError, type CaptureInfo, type Frame } from '../../src/capture/frame.ts';
import {
  createPcapParser, isPcapMagic, PCAP_MAGIC_NS_BE, PCAP_MAGIC_NS_LE, PCAP_MAGIC_US_BE, PCAP_MAGIC_US_LE,
} from '../../src/capture/pcap.ts';

/** One record as both readers give it: the Frame fields the analysis reads. */
export interface ReferenceRecord {
  readonly number: number;
  readonly sec: number;
  readonly nsec: number;
  readonly precision: string;
  readonly linktype: number;
  readonly origLen: number;
  readonly data: Buffer;
}

/** The link-type field's FCS bits masked off, as libpcap's LT_LINKTYPE does. */
const LINKTYPE_MASK = 0x03ff_ffff;

/** What pcap-parser makes of a whole pcap file, read synchronously from one buffer. */
export function readWithPcapParser(file: Buffer): ReferenceRecord[] {
  const magic = file.length >= 4 ? file.readUInt32BE(0) : 0;
  const ns = magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE;
  let bytes = file;
  if (ns) {
    bytes = Buffer.from(file);
    bytes.writeUInt32BE(magic === PCAP_MAGIC_NS_BE ? PCAP_MAGIC_US_BE : PCAP_MAGIC_US_LE, 0);
  }
  const input: PcapParserInput = Object.assign(new EventEmitter(), { pause: (): void => {}, resume: (): void => {} });
  const parser = pcapParser.parse(input);
  const records: ReferenceRecord[] = [];
  let linktype = 0;
  parser.on('globalHeader', (h: PcapParserGlobalHeader) => {
    linktype = h.linkLayerType & LINKTYPE_MASK;
  });
  parser.on('packet', (p: PcapParserPacket) => {
    let sec = p.header.timestampSeconds;
    let nsec = ns ? p.header.timestampMicroseconds : p.header.timestampMicroseconds * 1000;
    if (nsec >= 1e9) {
      sec += Math.floor(nsec / 1e9);
      nsec %= 1e9;
    }
    records.push({
      number: records.length + 1, sec, nsec, precision: ns ? 'ns' : 'us', linktype, origLen: p.header.originalLength, data: Buffer.from(p.data),
    });
  });
  parser.on('error', () => {});
  // pcap-parser buffers until a record is whole: one chunk gives it everything.
  input.emit('data', bytes);
  input.emit('end');
  return records;
}

/** What synfin's framer makes of the same file, fed in chunks of `chunk` bytes. */
export function readWithFramer(file: Buffer, chunk = 65_536): { records: ReferenceRecord[]; error: CaptureError | undefined } {
  const info: CaptureInfo = { file: '-', format: 'pcap', gzip: false, linktypes: [], precision: undefined, frames: 0, truncated: false, warnings: [] };
  const parser = createPcapParser('-', 0, info);
  const frames: Frame[] = [];
  const records: ReferenceRecord[] = [];
  let error: CaptureError | undefined;
  try {
    for (let at = 0; at < file.length; at += chunk) {
      parser.push(file.subarray(at, at + chunk), frames);
      // Views are valid while their chunk is: copy, as a consumer that keeps them must.
      for (const f of frames.splice(0)) records.push(recordOf(f));
    }
    parser.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
    for (const f of frames.splice(0)) records.push(recordOf(f));
  }
  return { records, error };
}

/** A Frame's fields, its bytes copied (views are valid while their chunk is, as for any consumer that keeps them). */
function recordOf(f: Frame): ReferenceRecord {
  return { number: f.number, sec: f.sec, nsec: f.nsec, precision: f.precision, linktype: f.linktype, origLen: f.origLen, data: Buffer.from(f.data) };
}

/**
 * Where the framer and pcap-parser disagree on a classic pcap file, in one
 * line; undefined when they agree (or the bytes are not a pcap file).
 */
export function compareWithPcapParser(file: Buffer, chunk?: number): string | undefined {
  if (file.length < 4 || !isPcapMagic(file.readUInt32BE(0))) return undefined;
  const ours = readWithFramer(file, chunk);
  const ref = readWithPcapParser(file);
  const n = ours.records.length;
  if (n > ref.length) return `framer read ${n} records, pcap-parser ${ref.length}`;
  if (ours.error === undefined && n !== ref.length) return `framer read ${n} records without an error, pcap-parser ${ref.length}`;
  for (let i = 0; i < n; i++) {
    const a = ours.records[i]!;
    const b = ref[i]!;
    if (a.number !== b.number) return `record ${i + 1}: numbered ${a.number}, pcap-parser's is ${b.number}`;
    if (a.sec !== b.sec || a.nsec !== b.nsec) return `record ${i + 1}: time ${a.sec}.${a.nsec} != pcap-parser's ${b.sec}.${b.nsec}`;
    if (a.precision !== b.precision || a.linktype !== b.linktype) return `record ${i + 1}: ${a.precision} link type ${a.linktype} != pcap-parser's ${b.precision} ${b.linktype}`;
    if (a.origLen !== b.origLen) return `record ${i + 1}: original length ${a.origLen} != pcap-parser's ${b.origLen}`;
    if (!a.data.equals(b.data)) return `record ${i + 1}: ${a.data.length} captured bytes differ from pcap-parser's ${b.data.length}`;
  }
  return undefined;
}
