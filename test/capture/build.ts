/**
 * Byte builders for capture-file fixtures: small pcap and pcapng files made in
 * code, each field written where the format puts it, so a test reads as the
 * file it describes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError } from '../../src/capture/frame.ts';
import type { CaptureInfo, Frame } from '../../src/capture/frame.ts';
import type { FormatParser } from '../../src/capture/format.ts';
import type { CaptureReader } from '../../src/capture/open.ts';

/** A writer of fixed-width fields in one byte order. */
function fields(le: boolean) {
  const parts: Buffer[] = [];
  const w = {
    u8(v: number) { parts.push(Buffer.from([v])); return w; },
    u16(v: number) { const b = Buffer.alloc(2); if (le) b.writeUInt16LE(v); else b.writeUInt16BE(v); parts.push(b); return w; },
    u32(v: number) { const b = Buffer.alloc(4); if (le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); parts.push(b); return w; },
    i64(v: bigint) { const b = Buffer.alloc(8); if (le) b.writeBigInt64LE(v); else b.writeBigInt64BE(v); parts.push(b); return w; },
    bytes(b: Buffer) { parts.push(b); return w; },
    pad4() { const n = (4 - (length() % 4)) % 4; parts.push(Buffer.alloc(n)); return w; },
    done: () => Buffer.concat(parts),
  };
  const length = () => parts.reduce((n, p) => n + p.length, 0);
  return w;
}

export interface PcapHeaderSpec {
  le?: boolean;
  ns?: boolean;
  major?: number;
  minor?: number;
  snaplen?: number;
  linktype?: number;
}

export interface PcapRecordSpec {
  sec: number;
  /** Microseconds, or nanoseconds in an ns file. */
  frac: number;
  data: Buffer;
  /** Defaults to data.length. */
  origLen?: number;
  /** Overrides the caplen field (to corrupt it). */
  caplen?: number;
}

/** The 24-byte pcap file header. */
export function pcapHeader(h: PcapHeaderSpec = {}): Buffer {
  const le = h.le ?? true;
  return fields(le)
    .u32(h.ns ? 0xa1b23c4d : 0xa1b2c3d4) // magic, in the file's byte order
    .u16(h.major ?? 2).u16(h.minor ?? 4) // version
    .u32(0) // thiszone
    .u32(0) // sigfigs
    .u32(h.snaplen ?? 262144) // snaplen (tcpdump's default)
    .u32(h.linktype ?? 1) // EN10MB
    .done();
}

/** One record: the 16-byte header, then the data. */
export function pcapRecord(r: PcapRecordSpec, le = true): Buffer {
  return fields(le)
    .u32(r.sec).u32(r.frac)
    .u32(r.caplen ?? r.data.length)
    .u32(r.origLen ?? r.data.length)
    .bytes(r.data)
    .done();
}

/** A whole pcap file. */
export function pcapFile(h: PcapHeaderSpec, records: readonly PcapRecordSpec[]): Buffer {
  const le = h.le ?? true;
  return Buffer.concat([pcapHeader(h), ...records.map((r) => pcapRecord(r, le))]);
}

/** A pcapng block: type, total length, body padded to 4, total length again. */
export function block(le: boolean, type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const total = 12 + padded.length;
  return fields(le).u32(type).u32(total).bytes(padded).u32(total).done();
}

/** pcapng options, each code/length/value padded, ending with opt_endofopt. */
export function options(le: boolean, opts: readonly (readonly [code: number, value: Buffer])[]): Buffer {
  const w = fields(le);
  for (const [code, value] of opts) w.u16(code).u16(value.length).bytes(value).pad4();
  if (opts.length > 0) w.u16(0).u16(0);
  return w.done();
}

/** Section Header Block, version 1.0, section length unknown (-1). */
export function shb(le: boolean, major = 1): Buffer {
  return block(le, 0x0a0d0d0a, fields(le).u32(0x1a2b3c4d).u16(major).u16(0).i64(-1n).done());
}

/** Interface Description Block; tsresol/tsoffset become if_tsresol / if_tsoffset options. */
export function idb(le: boolean, linktype: number, opts: { snaplen?: number; tsresol?: number; tsoffset?: bigint } = {}): Buffer {
  const o: [number, Buffer][] = [];
  if (opts.tsresol !== undefined) o.push([9, Buffer.from([opts.tsresol])]);
  if (opts.tsoffset !== undefined) o.push([14, fields(le).i64(opts.tsoffset).done()]);
  return block(le, 1, fields(le).u16(linktype).u16(0).u32(opts.snaplen ?? 0).bytes(options(le, o)).done());
}

/** Enhanced Packet Block; `ts` counts units of the interface's if_tsresol. */
export function epb(le: boolean, iface: number, ts: bigint, data: Buffer, origLen = data.length): Buffer {
  return block(le, 6, fields(le)
    .u32(iface)
    .u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn))
    .u32(data.length).u32(origLen)
    .bytes(data).pad4()
    .done());
}

/** Obsolete Packet Block (type 2): 16-bit interface id and drop count. */
export function opb(le: boolean, iface: number, ts: bigint, data: Buffer): Buffer {
  return block(le, 2, fields(le)
    .u16(iface).u16(0)
    .u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn))
    .u32(data.length).u32(data.length)
    .bytes(data).pad4()
    .done());
}

/** Simple Packet Block: original length and data, nothing else. */
export function spb(le: boolean, data: Buffer, origLen = data.length): Buffer {
  return block(le, 3, fields(le).u32(origLen).bytes(data).done());
}

/** Recognisable packet bytes: `n` bytes all equal to `fill`. */
export function bytes(n: number, fill: number): Buffer {
  return Buffer.alloc(n, fill);
}

const dir = mkdtempSync(join(tmpdir(), 'synfin-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a fixture to a fresh temporary directory and returns its path. */
export function writeTmp(name: string, content: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A temporary path that does not exist. */
export function missingPath(name: string): string {
  return join(dir, 'missing', name);
}

/** The temporary directory itself (a path that is a directory). */
export function tmpDir(): string {
  return dir;
}

export interface ReadResult {
  frames: Frame[];
  batches: number;
  error: CaptureError | undefined;
}

/** Reads a whole reader (or merged stream), keeping the error if one ends it. */
export async function readAll(source: CaptureReader | AsyncIterable<Frame[]>): Promise<ReadResult> {
  const it = 'batches' in source ? source.batches() : source;
  const frames: Frame[] = [];
  let batches = 0;
  try {
    for await (const b of it) {
      batches++;
      // Copy: data may be a view into a buffer the reader reuses.
      for (const f of b) frames.push({ ...f, data: Buffer.from(f.data) });
    }
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    return { frames, batches, error: err };
  }
  return { frames, batches, error: undefined };
}

/** A fresh CaptureInfo, for driving a FormatParser directly. */
export function newInfo(file: string): CaptureInfo {
  return { file, format: undefined, gzip: false, linktypes: [], precision: undefined, frames: 0, truncated: false, warnings: [] };
}

/**
 * Feeds a FormatParser `content` in chunks of `size` bytes (as a pipe may
 * deliver them) and ends it; returns the frames and the error that stopped it.
 */
export function feed(parser: FormatParser, content: Buffer, size = content.length): { frames: Frame[]; error: CaptureError | undefined } {
  const frames: Frame[] = [];
  try {
    for (let at = 0; at < content.length; at += size) parser.push(content.subarray(at, at + size), frames);
    parser.end();
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    return { frames, error: err };
  }
  return { frames, error: undefined };
}

/** sec.nsec of each frame, for comparing timelines. */
export function times(frames: readonly Frame[]): string[] {
  return frames.map((f) => `${f.sec}.${String(f.nsec).padStart(9, '0')}`);
}
