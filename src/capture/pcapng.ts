/**
 * pcapng (draft-ietf-opsawg-pcapng), read as a stream of blocks. Handled:
 * Section Header (either byte order, several per file, interfaces numbered
 * per section), Interface Description (link type, snaplen, if_tsresol,
 * if_tsoffset), Enhanced Packet, Simple Packet and the obsolete Packet Block.
 * Every other block type is skipped by its length.
 *
 * Memory: a block is held only until it is complete, and a block's length is
 * checked (at most 16 MiB) as soon as its 8- or 12-byte header arrives, so a
 * corrupt length fails at once instead of waiting for gigabytes.
 */
import { CaptureError } from './frame.ts';
import type { CaptureErrorKind, CaptureInfo, Frame, Precision } from './frame.ts';
import { analysedUpTo, precisionForDigits } from './format.ts';
import type { FormatParser } from './format.ts';
import { linktypeName } from './linktypes.ts';

/** Block types. The SHB's type reads the same in both byte orders. */
export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;

/** The SHB's byte-order magic as written in the section's own byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Largest block accepted (Wireshark's limit for blocks other than its own). */
export const MAX_BLOCK_LEN = 16 * 1024 * 1024;

// Option codes (pcapng §4.2).
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

// Fixed part of each block type, trailing length included: the smallest legal block.
const MIN_SHB = 28, MIN_IDB = 20, MIN_EPB = 32, MIN_OPB = 32, MIN_SPB = 16;

/** An interface as its IDB describes it. */
export interface PcapngInterface {
  readonly linktype: number;
  /** 0 means no limit. */
  readonly snaplen: number;
  /** The raw if_tsresol byte (default 6: microseconds). */
  readonly tsresol: number;
  /** if_tsoffset: seconds added to every timestamp. */
  readonly tsoffset: number;
  readonly precision: Precision;
}

/** A timestamp split into whole seconds and nanoseconds. */
export interface SecNsec {
  readonly sec: number;
  readonly nsec: number;
}

/**
 * The precision a Frame gets for an if_tsresol byte: 10^-n with n digits, and
 * 2^-n with the digits needed to tell its ticks apart (ceil(n·log10 2)); see
 * precisionForDigits for the mapping.
 */
export function precisionForTsresol(tsresol: number): Precision {
  const n = tsresol & 0x7f;
  return precisionForDigits(tsresol & 0x80 ? Math.ceil(n * Math.log10(2)) : n);
}

const TWO32 = 0x1_0000_0000;
const TWO16 = 0x1_0000;

/**
 * Splits a 64-bit timestamp (high and low 32-bit words) counted in units of
 * `tsresol` into seconds and nanoseconds, exactly (nanoseconds rounded down
 * when the unit is finer than 1 ns or a power of two).
 */
export function splitTimestamp(hi: number, lo: number, tsresol: number): SecNsec {
  const n = tsresol & 0x7f;
  if ((tsresol & 0x80) === 0 && n >= 3 && n <= 9) {
    // The common case (ms, us, ns) without BigInt: long division of the
    // 64-bit count by 10^n in 32- and 16-bit steps, each exact in a double
    // because every intermediate stays below 2^53. It runs for every packet:
    // powers come from a table and the steps allocate nothing.
    const d = POW10[n]!;
    const hiQ = Math.floor(hi / d);
    if (hiQ < 0x20_0000) {
      const r0 = hi - hiQ * d; // < 2^30
      const x1 = r0 * TWO16 + (lo >>> 16);
      const q1 = quotient(x1, d);
      const x2 = (x1 - q1 * d) * TWO16 + (lo & 0xffff);
      const q2 = quotient(x2, d);
      return { sec: hiQ * TWO32 + q1 * TWO16 + q2, nsec: (x2 - q2 * d) * POW10[9 - n]! };
    }
  }
  const ts = (BigInt(hi) << 32n) | BigInt(lo);
  if (tsresol & 0x80) {
    const shift = BigInt(n);
    const frac = ts & ((1n << shift) - 1n);
    return { sec: Number(ts >> shift), nsec: Number((frac * 1_000_000_000n) >> shift) };
  }
  const d = 10n ** BigInt(n);
  const rem = ts % d;
  const nsec = n <= 9 ? rem * 10n ** BigInt(9 - n) : rem / 10n ** BigInt(n - 9);
  return { sec: Number(ts / d), nsec: Number(nsec) };
}

/** 10^0 … 10^9, exact. */
const POW10: readonly number[] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/** Exact floor division of a non-negative integer below 2^53 by d. */
function quotient(x: number, d: number): number {
  const q = Math.floor(x / d);
  const r = x - q * d;
  // x / d is rounded; at most one step off.
  if (r < 0) return q - 1;
  if (r >= d) return q + 1;
  return q;
}

function read16(b: Buffer, le: boolean, at: number): number {
  return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
}

function read32(b: Buffer, le: boolean, at: number): number {
  return le ? b.readUInt32LE(at) : b.readUInt32BE(at);
}

/** A CaptureError located by block: `file: block N at byte M: detail`. */
function blockError(kind: CaptureErrorKind, file: string, block: number, offset: number, detail: string): CaptureError {
  const err = new CaptureError(kind, file, offset, block, detail);
  // CaptureError.format says "record"; in pcapng the unit of framing is the block.
  err.message = `${file}: block ${block} at byte ${offset}: ${detail}`;
  return err;
}

interface Section {
  readonly le: boolean;
  readonly interfaces: PcapngInterface[];
}

/**
 * A streaming reader of one pcapng file. Frames are numbered by packet in
 * file order (frame.record counts packet blocks, as Wireshark's frame.number
 * does); errors and warnings name the block number (SHB = block 1) and its
 * byte offset, and CaptureError.record holds that block number.
 */
export function createPcapngParser(file: string, source: number, info: CaptureInfo): FormatParser {
  /** Unconsumed bytes, as received (concatenated only when a block spans chunks). */
  let pending: Buffer[] = [];
  let pendingLen = 0;
  /** Byte offset of the first pending byte. */
  let offset = 0;
  /** Number of the next block (1-based). */
  let block = 1;
  let section: Section | undefined;
  let records = 0;
  /** Time of the previous frame, for SPBs which carry none. */
  let lastSec = 0;
  let lastNsec = 0;

  /** The first n pending bytes as one buffer (n <= pendingLen). */
  function head(n: number): Buffer {
    const first = pending[0];
    if (first !== undefined && first.length >= n) return first;
    const joined = Buffer.concat(pending, pendingLen);
    pending = [joined];
    return joined;
  }

  function consume(n: number): void {
    offset += n;
    pendingLen -= n;
    while (n > 0) {
      const first = pending[0];
      if (first === undefined) break;
      if (first.length <= n) {
        pending.shift();
        n -= first.length;
      } else {
        pending[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  function fail(kind: CaptureErrorKind, detail: string): CaptureError {
    return blockError(kind, file, block, offset, detail);
  }

  /**
   * The total length of the block at the head of `pending`, validated, or
   * undefined when too few bytes have arrived to know it. Opens a new section
   * when the block is an SHB.
   */
  function blockLength(): { type: number; length: number; le: boolean } | undefined {
    if (pendingLen < 8) return undefined;
    const b = head(Math.min(pendingLen, 12));
    let le: boolean;
    const typeBE = b.readUInt32BE(0);
    if (typeBE === BT_SHB) {
      if (pendingLen < 12) return undefined;
      const bom = b.readUInt32LE(8);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (b.readUInt32BE(8) === BYTE_ORDER_MAGIC) le = false;
      else {
        const magic = b.readUInt32BE(8).toString(16).padStart(8, '0');
        // In the first block this is a file that merely starts like pcapng.
        throw fail(section === undefined ? 'bad-magic' : 'bad-block', `section header has byte-order magic 0x${magic}, expected 1a2b3c4d in either byte order`);
      }
    } else {
      if (section === undefined) throw fail('no-section-header', `block type 0x${typeBE.toString(16)} before any section header block`);
      le = section.le;
    }
    const type = le ? b.readUInt32LE(0) : typeBE;
    const length = le ? b.readUInt32LE(4) : b.readUInt32BE(4);
    if (length < 12) throw fail('bad-block-length', `block length ${length} is less than 12`);
    if (length % 4 !== 0) throw fail('bad-block-length', `block length ${length} is not a multiple of 4`);
    if (length > MAX_BLOCK_LEN) throw fail('bad-block-length', `block length ${length} exceeds the limit of ${MAX_BLOCK_LEN} (16 MiB)`);
    return { type, length, le };
  }

  function push(chunk: Buffer, out: Frame[]): void {
    if (chunk.length === 0) return;
    pending.push(chunk);
    pendingLen += chunk.length;
    for (;;) {
      const h = blockLength();
      if (h === undefined || pendingLen < h.length) return;
      const b = head(h.length).subarray(0, h.length);
      const trailer = h.le ? b.readUInt32LE(h.length - 4) : b.readUInt32BE(h.length - 4);
      if (trailer !== h.length) throw fail('bad-block-length', `block length ${h.length} does not match its trailing copy ${trailer}`);
      handleBlock(h.type, b, h.le, out);
      consume(h.length);
      block++;
    }
  }

  function handleBlock(type: number, b: Buffer, le: boolean, out: Frame[]): void {
    if (type === BT_EPB) {
      // Enhanced packets are nearly every block: read in place, with no closure made per packet.
      if (b.length < MIN_EPB) throw fail('bad-block', `enhanced packet block is ${b.length} bytes, less than its minimum ${MIN_EPB}`);
      const iface = lookup(read32(b, le, 8));
      const caplen = read32(b, le, 20);
      const room = b.length - MIN_EPB;
      if (caplen > room) throw fail('bad-block', `caplen ${caplen} > the block's ${room} bytes of packet data`);
      const t = splitTimestamp(read32(b, le, 12), read32(b, le, 16), iface.tsresol);
      emit(out, iface, t.sec + iface.tsoffset, t.nsec, b.subarray(28, 28 + caplen), read32(b, le, 24));
      return;
    }
    const u16 = (at: number): number => read16(b, le, at);
    const u32 = (at: number): number => read32(b, le, at);
    const tooShort = (what: string, min: number): CaptureError =>
      fail('bad-block', `${what} is ${b.length} bytes, less than its minimum ${min}`);
    switch (type) {
      case BT_SHB: {
        if (b.length < MIN_SHB) throw tooShort('section header block', MIN_SHB);
        const major = u16(12);
        const minor = u16(14);
        // Version 1.0 is current; 1.2 was written by early tools and differs in no way that matters here.
        if (major !== 1) throw fail('bad-version', `unsupported pcapng version ${major}.${minor} (expected 1.0)`);
        section = { le, interfaces: [] };
        return;
      }
      case BT_IDB: {
        if (b.length < MIN_IDB) throw tooShort('interface description block', MIN_IDB);
        const linktype = u16(8);
        const snaplen = u32(12);
        let tsresol = 6;
        let tsoffset = 0;
        readOptions(b, 16, le, (code, value) => {
          if (code === OPT_IF_TSRESOL && value.length >= 1) tsresol = value.readUInt8(0);
          else if (code === OPT_IF_TSOFFSET && value.length >= 8) {
            tsoffset = Number(le ? value.readBigInt64LE(0) : value.readBigInt64BE(0));
          }
        });
        const precision = precisionForTsresol(tsresol);
        section?.interfaces.push({ linktype, snaplen, tsresol, tsoffset, precision });
        const name = linktypeName(linktype);
        if (!info.linktypes.includes(name)) info.linktypes.push(name);
        info.precision ??= precision;
        return;
      }
      case BT_EPB:
      case BT_OPB: {
        const epb = type === BT_EPB;
        if (b.length < (epb ? MIN_EPB : MIN_OPB)) throw tooShort(epb ? 'enhanced packet block' : 'packet block', epb ? MIN_EPB : MIN_OPB);
        const id = epb ? u32(8) : u16(8);
        const iface = lookup(id);
        const caplen = u32(20);
        const room = b.length - MIN_EPB;
        if (caplen > room) throw fail('bad-block', `caplen ${caplen} > the block's ${room} bytes of packet data`);
        const t = splitTimestamp(u32(12), u32(16), iface.tsresol);
        emit(out, iface, t.sec + iface.tsoffset, t.nsec, b.subarray(28, 28 + caplen), u32(24));
        return;
      }
      case BT_SPB: {
        if (b.length < MIN_SPB) throw tooShort('simple packet block', MIN_SPB);
        const iface = lookup(0);
        const origLen = u32(8);
        const room = b.length - MIN_SPB;
        // The SPB has no caplen: the spec derives it from the original length and the snaplen.
        const caplen = Math.min(origLen, iface.snaplen > 0 ? iface.snaplen : origLen, room);
        // No timestamp either: the previous frame's time keeps the timeline monotonic.
        emit(out, iface, lastSec, lastNsec, b.subarray(12, 12 + caplen), origLen);
        return;
      }
      default:
        // Name resolution, interface statistics, decryption secrets, custom blocks...: not needed.
        return;
    }
  }

  function lookup(id: number): PcapngInterface {
    const interfaces = section?.interfaces ?? [];
    const iface = interfaces[id];
    if (iface === undefined) {
      const known = interfaces.length === 0 ? 'none' : `${interfaces.length} (0..${interfaces.length - 1})`;
      throw fail('unknown-interface', `packet refers to interface ${id}, but this section describes ${known}`);
    }
    return iface;
  }

  function emit(out: Frame[], iface: PcapngInterface, sec: number, nsec: number, data: Buffer, origLen: number): void {
    records++;
    lastSec = sec;
    lastNsec = nsec;
    out.push({ number: records, source, record: records, sec, nsec, precision: iface.precision, linktype: iface.linktype, data, origLen });
    info.frames = records;
  }

  /** Walks a block's options from `at` to the trailing length, calling `each` per option. */
  function readOptions(b: Buffer, at: number, le: boolean, each: (code: number, value: Buffer) => void): void {
    const end = b.length - 4;
    while (at + 4 <= end) {
      const code = le ? b.readUInt16LE(at) : b.readUInt16BE(at);
      const len = le ? b.readUInt16LE(at + 2) : b.readUInt16BE(at + 2);
      if (code === OPT_ENDOFOPT) return;
      if (at + 4 + len > end) {
        // Keep what was read: the packets are still readable, only an option is lost.
        info.warnings.push(`${file}: block ${block} at byte ${offset}: option ${code} at byte ${offset + at} runs past the end of the block; ignored it and the rest`);
        return;
      }
      each(code, b.subarray(at + 4, at + 4 + len));
      at += 4 + ((len + 3) & ~3);
    }
  }

  function end(): void {
    if (pendingLen === 0) return;
    // push() already validated any length that arrived, so this cannot throw.
    const need = blockLength()?.length;
    if (section === undefined) {
      const size = need === undefined ? `${pendingLen} bytes` : `${pendingLen} of ${need} bytes`;
      throw fail('bad-block', `file ends inside the first section header block (${size})`);
    }
    const size = need === undefined ? `${pendingLen} of at least 12 bytes` : `${pendingLen} of ${need} bytes`;
    info.truncated = true;
    info.warnings.push(`${file}: block ${block} at byte ${offset}: file ends mid-block (${size}): ${analysedUpTo(records)}`);
  }

  return { push, end };
}
