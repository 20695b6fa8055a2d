/**
 * A flow's few segments as one latin1 string (a char per byte), so the flow
 * table can hold hundreds of thousands of waiting flows (unanswered SYNs,
 * resets, connections in TIME_WAIT) at tens of bytes a segment instead of a
 * Segment object each, and rebuild the very same Segments to replay later.
 * A string rather than a Buffer: V8 keeps a short one-byte string in a single
 * heap object, where every Buffer is a JS object plus a backing store.
 *
 * Layout: the record count, then one record per segment, then a tail with
 * the references the next record's deltas are taken from (below), so an
 * append reads a few chars instead of walking the log. Numbers are
 * unsigned LEB128 varints; "±" marks a signed one (sign in the low bit, then
 * the magnitude: zigzag, built so that any safe integer fits), "±32" the
 * signed 32-bit difference, modulo 2^32, from a reference, zigzagged.
 *
 *   header   byte: 0x01 sent by A, 0x02 IPv6, 0x04 truncated, 0x08 ack ≠ 0,
 *            0x10 urgent ≠ 0, 0x20 the nsec step is whole µs (stored ÷ 1000),
 *            bits 6-7 option shape: 0 none and headerLen 20, 1 timestamps
 *            only and headerLen 32 (Linux once timestamps are agreed),
 *            2 count·16 + headerLen/4 follows, 3 headerLen and count follow
 *   frame, sec, nsec   ± steps from the previous record's (the first: from 0)
 *   seq      ±32 from the sender's next seq (seq + payloadLen + SYN + FIN
 *            of its last segment; before it sent, the peer's last ack, or 0)
 *   ack      ±32 from the peer's next seq, when the header says ack ≠ 0
 *   flags, window, urgent (when ≠ 0), payloadLen
 *   lengths  byte: 0x80 ipLen − (20|40) − headerLen − payloadLen ≠ 0 (IP
 *            options) and its magnitude follows, 0x40 it is negative; low 6
 *            bits frameLen − ipLen (the link header: Ethernet 14, SLL2 20),
 *            or 63 and missingLen (0 when absent) and a ± value follow (a
 *            sliced packet's frameLen − ipLen is below its link header, and
 *            often negative, so it takes this way anyway)
 *   options  per option a tag, then: 0 mss value; 1 wscale shift;
 *            2 sack-permitted; 3 sack: count, per block left ±32 from the
 *            ack, right ±32 from left; 4 timestamps: tsval ±32 from the
 *            sender's last tsval, tsecr ±32 from the peer's; 5 tfo: cookie
 *            length in bytes, then the bytes; 6 unknown: number, length
 *   tail     the last record's frame, sec and nsec, each side's next seq and
 *            last tsval, a byte of which sides have sent, and last the
 *            tail's length in one char (unpacking ignores it)
 *
 * The deltas are what make it small: a SYN-ACK acks the SYN's seq + 1 and
 * echoes its tsval, so after each side's first segment its 32-bit numbers
 * cost a byte or two. Measured on the committed captures: a Linux SYN (mss,
 * sack-permitted, timestamps, nop, wscale) 36 bytes with the count, the bare
 * ACK ending the handshake 12 more, an RST answering a SYN 10 more; 17.5
 * bytes a segment over all their flows.
 *
 * The count leads the log so packedCount reads one char (one byte until 128
 * segments) rather than walking. Appending rewrites the whole log through
 * the scratch buffer into one flat string: concatenating would leave V8
 * ConsStrings of 32 bytes each, half as much again as a 3-segment log (89
 * heap bytes flat, 138 concatenated), and logs are short.
 */

import { IPV4_MIN_HEADER } from '../decode/ipv4.ts';
import { IPV6_HEADER } from '../decode/ipv6.ts';
import { FIN, SYN } from '../decode/segment.ts';
import { TCP_MIN_HEADER } from '../decode/tcp.ts';
import type { Segment, TcpOption } from '../decode/segment.ts';

const FROM_A = 0x01;
const IPV6 = 0x02;
const TRUNCATED = 0x04;
const HAS_ACK = 0x08;
const HAS_URGENT = 0x10;
const MICROS = 0x20;
const SHAPE_SHIFT = 6;
const SHAPE_NONE = 0;
const SHAPE_TIMESTAMPS = 1;
const SHAPE_SHORT = 2;
const SHAPE_LONG = 3;

const TAG_MSS = 0;
const TAG_WSCALE = 1;
const TAG_SACK_PERMITTED = 2;
const TAG_SACK = 3;
const TAG_TIMESTAMPS = 4;
const TAG_TFO = 5;
const TAG_UNKNOWN = 6;

const TCP_HEADER = TCP_MIN_HEADER;
/** NOP, NOP, timestamps (12 bytes of options): the header of every Linux segment once timestamps are agreed. */
const TS_ONLY_HEADER = TCP_MIN_HEADER + 12;
/** The lengths byte: ipLen's excess over its headers follows (0x80), and is negative (0x40). */
const HAS_IP_EXTRA = 0x80;
const IP_EXTRA_NEGATIVE = 0x40;
/** Its low 6 bits hold link lengths from 0 to 62 (Ethernet 14, SLL 16, SLL2 20); 63 says one follows. */
const LINK_ESCAPE = 63;
/** Bytes a record can take before its options (two header bytes and 14 numbers: about 100 at worst). */
const FIXED_MAX = 128;
/** Bytes the tail can take: seven varints of up to 8 bytes, the sent bits and its length. */
const TAIL_MAX = 7 * 8 + 2;
/** Bytes one option needs, save a sack's blocks and a tfo's cookie. */
const OPTION_MAX = 24;

const TWO_32 = 4294967296;

/** packFlow's header byte: a previous incarnation follows; an extra string ends the flow; the log is the flow's state, not its segments. */
const HAS_PREVIOUS = 0x01;
const HAS_EXTRA = 0x02;
const IS_STATE = 0x04;

const NO_OPTIONS: readonly TcpOption[] = Object.freeze([]);
/** What an option read only for its references gives, so that the walk allocates nothing. */
const SKIPPED: TcpOption = Object.freeze({ kind: 'sack-permitted' });

/** Scratch for packSegment; grows when a log outgrows it, and stays grown. */
let buf = Buffer.allocUnsafeSlow(4096);
/** Bytes of buf written. */
let n = 0;
/** The log being read and the position of its next char. */
let text = '';
let at = 0;

// What the deltas of the next record are taken from, for A (index 0) and B (1).
let prevFrame = 0;
let prevSec = 0;
let prevNsec = 0;
const nextSeq = new Uint32Array(2);
const lastTsval = new Uint32Array(2);
const sent = new Uint8Array(2);

/**
 * A log being written, one per replayed flow: its records' bytes and the
 * references the next record's deltas are taken from, so an append writes one
 * record (packSegment on the text form rewrites the whole log, which a flow of
 * 30 segments made cost more than its replay). packLogText gives the text
 * form, byte for byte what packSegment builds.
 */
export interface PackLog {
  /** The records, in bytes[0, length). */
  bytes: Buffer;
  length: number;
  count: number;
  prevFrame: number;
  prevSec: number;
  prevNsec: number;
  nextSeqA: number;
  nextSeqB: number;
  lastTsvalA: number;
  lastTsvalB: number;
  /** Bit 0: A has sent; bit 1: B has. */
  sent: number;
}

/** Records buffers start this big and double. */
const LOG_INITIAL = 256;
const NO_BYTES = Buffer.alloc(0);

/** An empty log. */
export function newPackLog(): PackLog {
  return {
    bytes: NO_BYTES, length: 0, count: 0, prevFrame: 0, prevSec: 0, prevNsec: 0,
    nextSeqA: 0, nextSeqB: 0, lastTsvalA: 0, lastTsvalB: 0, sent: 0,
  };
}

/** The log a text form holds, ready for more appends. */
export function packLogFrom(log: string): PackLog {
  const out = newPackLog();
  if (log.length === 0) return out;
  text = log;
  at = 0;
  out.count = readVarint();
  const start = at;
  const body = log.length - 1 - log.charCodeAt(log.length - 1);
  at = body;
  readTail();
  text = '';
  out.bytes = Buffer.from(log.substring(start, body), 'latin1');
  out.length = out.bytes.length;
  saveReferences(out);
  return out;
}

/**
 * Appends `seg` to the log; false when it cannot be packed exactly (then the
 * caller keeps the full flow, and the log is as it was).
 */
export function appendSegment(log: PackLog, seg: Segment, fromA: boolean): boolean {
  if (seg.optionsError !== undefined) return false;
  loadReferences(log);
  n = 0;
  ensure(FIXED_MAX);
  if (!writeRecord(seg, fromA ? 0 : 1)) return false;
  prevFrame = seg.frame;
  prevSec = seg.sec;
  prevNsec = seg.nsec;
  if (log.length + n > log.bytes.length) {
    const bigger = Buffer.allocUnsafe(Math.max(LOG_INITIAL, log.bytes.length * 2, log.length + n));
    log.bytes.copy(bigger, 0, 0, log.length);
    log.bytes = bigger;
  }
  // A record is ~17 bytes: a loop, where Buffer.copy's checks cost more than the copy (0.4 s of a 2 M-segment run).
  const into = log.bytes;
  for (let i = 0, j = log.length; i < n; i++, j++) into[j] = buf[i]!;
  log.length += n;
  log.count++;
  saveReferences(log);
  return true;
}

/** The log as packSegment's flat string: the count, the records, the tail. */
export function packLogText(log: PackLog): string {
  if (log.count === 0) return '';
  loadReferences(log);
  n = 0;
  ensure(10 + log.length + TAIL_MAX);
  writeVarint(log.count);
  n += log.bytes.copy(buf, n, 0, log.length);
  return writeTail(0);
}

function loadReferences(log: PackLog): void {
  prevFrame = log.prevFrame;
  prevSec = log.prevSec;
  prevNsec = log.prevNsec;
  nextSeq[0] = log.nextSeqA;
  nextSeq[1] = log.nextSeqB;
  lastTsval[0] = log.lastTsvalA;
  lastTsval[1] = log.lastTsvalB;
  sent[0] = log.sent & 1;
  sent[1] = log.sent >> 1;
}

function saveReferences(log: PackLog): void {
  log.prevFrame = prevFrame;
  log.prevSec = prevSec;
  log.prevNsec = prevNsec;
  log.nextSeqA = nextSeq[0]!;
  log.nextSeqB = nextSeq[1]!;
  log.lastTsvalA = lastTsval[0]!;
  log.lastTsvalB = lastTsval[1]!;
  log.sent = sent[0]! | (sent[1]! << 1);
}

/**
 * Appends `seg` to a packed log in its text form; undefined when it cannot be
 * packed exactly. Rewrites the whole log: flows append to a PackLog instead.
 */
export function packSegment(log: string, seg: Segment, fromA: boolean): string | undefined {
  const l = packLogFrom(log);
  return appendSegment(l, seg, fromA) ? packLogText(l) : undefined;
}

/** Writes the tail after buf[0, n) (the references as they stand), returns buf[from, end) as a string. */
function writeTail(from: number): string {
  ensure(TAIL_MAX);
  const tailStart = n;
  writeVarint(prevFrame);
  writeVarint(prevSec);
  writeVarint(prevNsec);
  writeVarint(nextSeq[0]!);
  writeVarint(nextSeq[1]!);
  writeVarint(lastTsval[0]!);
  writeVarint(lastTsval[1]!);
  buf[n++] = sent[0]! | (sent[1]! << 1);
  buf[n] = n - tailStart;
  const end = n + 1;
  n = 0;
  return buf.toString('latin1', from, end);
}

/** The references as they stood after the last record (writeTail wrote them). */
function readTail(): void {
  prevFrame = readVarint();
  prevSec = readVarint();
  prevNsec = readVarint();
  nextSeq[0] = readVarint();
  nextSeq[1] = readVarint();
  lastTsval[0] = readVarint();
  lastTsval[1] = readVarint();
  const bits = text.charCodeAt(at++);
  sent[0] = bits & 1;
  sent[1] = bits >> 1;
}

function resetReferences(): void {
  prevFrame = 0;
  prevSec = 0;
  prevNsec = 0;
  // Stores, not fill(): a builtin call per array costs more than the walk of a short log.
  nextSeq[0] = nextSeq[1] = 0;
  lastTsval[0] = lastTsval[1] = 0;
  sent[0] = sent[1] = 0;
}

/** What a packed flow says before its log: who it is, and its two ends (the records say only which way each went). */
export interface PackedFlowHeader {
  readonly id: number;
  /** The incarnation of the tuple before it: its id and the time of its last segment. */
  readonly previous: { readonly id: number; readonly endTime: number } | undefined;
  readonly aAddr: string;
  readonly aPort: number;
  readonly bAddr: string;
  readonly bPort: number;
}

/**
 * A flow as one flat string: the header (id as a varint, a byte saying
 * whether a previous incarnation follows as its id and end time, a double,
 * whether an extra string ends the flow, and whether the log is the flow's
 * state rather than its segments; then each end as its address's length, its
 * text and the port; then the extra's length), the log, and the extra. The
 * extra is the caller's (latin1): the lifecycle keeps a done flow's finished
 * record there (tcp/compact.ts), so the log is replayed again only if the
 * flow hears more. In place of the segments, the log can be the flow's whole
 * replayed state (`state`: tcp/snapshot.ts), for a flow of too many segments
 * to replay.
 */
export function packFlow(h: PackedFlowHeader, log: string, extra?: string, state = false): string {
  n = 0;
  ensure(40 + 2 * (4 + Math.max(h.aAddr.length, h.bAddr.length)) + log.length + (extra?.length ?? 0));
  writeVarint(h.id);
  const prev = h.previous;
  buf[n++] = (prev === undefined ? 0 : HAS_PREVIOUS) | (extra === undefined ? 0 : HAS_EXTRA) | (state ? IS_STATE : 0);
  if (prev !== undefined) {
    writeVarint(prev.id);
    n = buf.writeDoubleLE(prev.endTime, n);
  }
  writeEnd(h.aAddr, h.aPort);
  writeEnd(h.bAddr, h.bPort);
  if (extra !== undefined) writeVarint(extra.length);
  n += buf.write(log, n, 'latin1');
  if (extra !== undefined) n += buf.write(extra, n, 'latin1');
  const end = n;
  n = 0;
  return buf.toString('latin1', 0, end);
}

/** What packFlow wrote: the header, the log (segments, or the flow's state when `state`), and the extra when there is one. */
export interface UnpackedFlow {
  readonly header: PackedFlowHeader;
  readonly log: string;
  readonly state: boolean;
  readonly extra?: string;
}

/** The header, the log and the extra (when there is one) of a string packFlow made. */
export function unpackFlow(packed: string): UnpackedFlow {
  text = packed;
  at = 0;
  const id = readVarint();
  let previous: PackedFlowHeader['previous'];
  const has = text.charCodeAt(at++);
  if ((has & HAS_PREVIOUS) !== 0) {
    const prevId = readVarint();
    for (let i = 0; i < 8; i++) buf[i] = text.charCodeAt(at++);
    previous = { id: prevId, endTime: buf.readDoubleLE(0) };
  }
  const aAddr = readText();
  const aPort = readPort();
  const bAddr = readText();
  const bPort = readPort();
  const extraLength = (has & HAS_EXTRA) === 0 ? -1 : readVarint();
  const header = { id, previous, aAddr, aPort, bAddr, bPort };
  const state = (has & IS_STATE) !== 0;
  text = '';
  if (extraLength < 0) return { header, log: packed.slice(at), state };
  const logEnd = packed.length - extraLength;
  return { header, log: packed.slice(at, logEnd), state, extra: packed.slice(logEnd) };
}

function writeEnd(addr: string, port: number): void {
  buf[n++] = addr.length;
  n += buf.write(addr, n, 'latin1');
  buf[n++] = port >>> 8;
  buf[n++] = port & 0xff;
}

function readText(): string {
  const length = text.charCodeAt(at++);
  at += length;
  return text.slice(at - length, at);
}

function readPort(): number {
  at += 2;
  return text.charCodeAt(at - 2) * 256 + text.charCodeAt(at - 1);
}

/** The segments of a log, in order, rebuilt exactly; `a`/`b` are the tuple's two ends as the table recorded them (A = the first segment's sender). */
export function unpackSegments(log: string, aAddr: string, aPort: number, bAddr: string, bPort: number): Segment[] {
  const out: Segment[] = [];
  walk(log, out, aAddr, aPort, bAddr, bPort);
  return out;
}

/** Number of segments in a log (cheap). */
export function packedCount(log: string): number {
  if (log.length === 0) return 0;
  text = log;
  at = 0;
  const count = readVarint();
  text = '';
  return count;
}

/** Writes one record at n, or says the segment cannot be packed exactly. */
function writeRecord(seg: Segment, d: number): boolean {
  const o = d ^ 1;
  const { frame, sec, nsec, seq, ack, flags, window, urgent, headerLen, payloadLen, frameLen, ipLen, options } = seg;
  if (!isCount(frame) || !isCount(sec) || !isCount(nsec) || !isCount(flags) || !isCount(window) || !isCount(urgent) ||
    !isCount(headerLen) || !isCount(payloadLen) || !isCount(frameLen) || !isCount(ipLen) || !isU32(seq) || !isU32(ack)) {
    return false;
  }
  // Absent and 0 would both come back absent: only a positive count packs exactly.
  const missingLen = seg.missingLen ?? 0;
  if (seg.missingLen !== undefined && (!isCount(missingLen) || missingLen === 0)) return false;
  if ((seg.ipVersion !== 4 && seg.ipVersion !== 6) || typeof seg.truncated !== 'boolean') return false;
  const frameDelta = frame - prevFrame;
  const secDelta = sec - prevSec;
  const nsecDelta = nsec - prevNsec;
  const ipBase = (seg.ipVersion === 4 ? IPV4_MIN_HEADER : IPV6_HEADER) + headerLen + payloadLen;
  if (!Number.isSafeInteger(ipBase)) return false;
  const ipExtra = ipLen - ipBase;
  const linkLen = frameLen - ipLen;

  let shape: number;
  const first = options[0];
  if (options.length === 0 && headerLen === TCP_HEADER) shape = SHAPE_NONE;
  else if (options.length === 1 && first?.kind === 'timestamps' && headerLen === TS_ONLY_HEADER) shape = SHAPE_TIMESTAMPS;
  else if (headerLen % 4 === 0 && headerLen <= 60) shape = SHAPE_SHORT;
  else shape = SHAPE_LONG;
  const micros = nsecDelta % 1000 === 0;
  buf[n++] = (d === 0 ? FROM_A : 0) | (seg.ipVersion === 6 ? IPV6 : 0) | (seg.truncated ? TRUNCATED : 0) |
    (ack !== 0 ? HAS_ACK : 0) | (urgent !== 0 ? HAS_URGENT : 0) | (micros ? MICROS : 0) | (shape << SHAPE_SHIFT);
  writeSigned(frameDelta);
  writeSigned(secDelta);
  writeSigned(micros ? nsecDelta / 1000 : nsecDelta);
  writeDelta32(seq, nextSeq[d]!);
  if (ack !== 0) writeDelta32(ack, nextSeq[o]!);
  writeVarint(flags);
  writeVarint(window);
  if (urgent !== 0) writeVarint(urgent);
  writeVarint(payloadLen);
  const linkCode = linkLen >= 0 && linkLen < LINK_ESCAPE && missingLen === 0 ? linkLen : LINK_ESCAPE;
  buf[n++] = (ipExtra !== 0 ? HAS_IP_EXTRA : 0) | (ipExtra < 0 ? IP_EXTRA_NEGATIVE : 0) | linkCode;
  if (ipExtra !== 0) writeVarint(Math.abs(ipExtra));
  if (linkCode === LINK_ESCAPE) {
    writeVarint(missingLen);
    writeSigned(linkLen);
  }

  if (shape === SHAPE_TIMESTAMPS) {
    if (!writeOption(first!, d, ack, false)) return false;
  } else if (shape === SHAPE_SHORT) {
    writeVarint(options.length * 16 + headerLen / 4);
  } else if (shape === SHAPE_LONG) {
    writeVarint(headerLen);
    writeVarint(options.length);
  }
  if (shape >= SHAPE_SHORT) {
    for (const opt of options) if (!writeOption(opt, d, ack, true)) return false;
  }
  advance(d, seq, ack, flags, payloadLen);
  return true;
}

/** Writes one option (its tag when `tagged`), or says it cannot be packed exactly. */
function writeOption(opt: TcpOption, d: number, ack: number, tagged: boolean): boolean {
  ensure(OPTION_MAX);
  switch (opt.kind) {
    case 'mss':
      if (!isCount(opt.value)) return false;
      buf[n++] = TAG_MSS;
      writeVarint(opt.value);
      return true;
    case 'wscale':
      if (!isCount(opt.shift)) return false;
      buf[n++] = TAG_WSCALE;
      writeVarint(opt.shift);
      return true;
    case 'sack-permitted':
      buf[n++] = TAG_SACK_PERMITTED;
      return true;
    case 'sack': {
      const { blocks } = opt;
      buf[n++] = TAG_SACK;
      writeVarint(blocks.length);
      ensure(blocks.length * 10);
      for (const block of blocks) {
        const [left, right] = block;
        if (block.length !== 2 || !isU32(left) || !isU32(right)) return false;
        // Blocks lie above the ack and span a few segments: both deltas are short.
        writeDelta32(left, ack);
        writeDelta32(right, left);
      }
      return true;
    }
    case 'timestamps': {
      const { tsval, tsecr } = opt;
      if (!isU32(tsval) || !isU32(tsecr)) return false;
      if (tagged) buf[n++] = TAG_TIMESTAMPS;
      // tsval ticks on from the sender's last; tsecr echoes the peer's.
      writeDelta32(tsval, lastTsval[d]!);
      writeDelta32(tsecr, lastTsval[d ^ 1]!);
      lastTsval[d] = tsval;
      return true;
    }
    case 'tfo': {
      const { cookie } = opt;
      // The decoders give the cookie as Buffer hex: lower case, two digits a byte. Anything else would not come back the same.
      if (typeof cookie !== 'string' || cookie.length % 2 !== 0) return false;
      buf[n++] = TAG_TFO;
      writeVarint(cookie.length / 2);
      ensure(cookie.length / 2);
      for (let i = 0; i < cookie.length; i += 2) {
        const hi = hexDigit(cookie.charCodeAt(i));
        const lo = hexDigit(cookie.charCodeAt(i + 1));
        if (hi < 0 || lo < 0) return false;
        buf[n++] = hi * 16 + lo;
      }
      return true;
    }
    case 'unknown':
      if (!isCount(opt.number) || !isCount(opt.length)) return false;
      buf[n++] = TAG_UNKNOWN;
      writeVarint(opt.number);
      writeVarint(opt.length);
      return true;
    default:
      return false;
  }
}

/**
 * Reads a log's records from the start, leaving the delta references at its
 * end, and rebuilds them into `out` when given. Returns the record count.
 */
function walk(log: string, out: Segment[] | undefined, aAddr: string, aPort: number, bAddr: string, bPort: number): number {
  resetReferences();
  if (log.length === 0) return 0;
  text = log;
  at = 0;
  const count = readVarint();
  for (let r = 0; r < count; r++) {
    const header = text.charCodeAt(at++);
    const d = header & FROM_A ? 0 : 1;
    const o = d ^ 1;
    const frame = prevFrame + readSigned();
    const sec = prevSec + readSigned();
    const nsec = prevNsec + (header & MICROS ? readSigned() * 1000 : readSigned());
    const seq = readDelta32(nextSeq[d]!);
    const ack = header & HAS_ACK ? readDelta32(nextSeq[o]!) : 0;
    const flags = readVarint();
    const window = readVarint();
    const urgent = header & HAS_URGENT ? readVarint() : 0;
    const payloadLen = readVarint();
    const ipVersion = header & IPV6 ? 6 : 4;
    const lengths = text.charCodeAt(at++);
    const ipExtra = lengths & HAS_IP_EXTRA ? (lengths & IP_EXTRA_NEGATIVE ? -readVarint() : readVarint()) : 0;
    const escaped = (lengths & LINK_ESCAPE) === LINK_ESCAPE;
    const missingLen = escaped ? readVarint() : 0;
    const linkLen = escaped ? readSigned() : lengths & LINK_ESCAPE;
    let headerLen: number;
    let options: readonly TcpOption[] = NO_OPTIONS;
    const shape = header >> SHAPE_SHIFT;
    if (shape === SHAPE_NONE) {
      headerLen = TCP_HEADER;
    } else if (shape === SHAPE_TIMESTAMPS) {
      headerLen = TS_ONLY_HEADER;
      const ts = readTimestamps(d, out !== undefined);
      if (out !== undefined) options = [ts];
    } else {
      let optionCount: number;
      if (shape === SHAPE_SHORT) {
        const v = readVarint();
        headerLen = (v % 16) * 4;
        optionCount = Math.floor(v / 16);
      } else {
        headerLen = readVarint();
        optionCount = readVarint();
      }
      if (out !== undefined && optionCount > 0) {
        const list: TcpOption[] = [];
        for (let i = 0; i < optionCount; i++) list.push(readOption(d, ack, true));
        options = list;
      } else {
        for (let i = 0; i < optionCount; i++) readOption(d, ack, false);
      }
    }
    prevFrame = frame;
    prevSec = sec;
    prevNsec = nsec;
    advance(d, seq, ack, flags, payloadLen);
    if (out === undefined) continue;
    const ipLen = (ipVersion === 4 ? IPV4_MIN_HEADER : IPV6_HEADER) + headerLen + payloadLen + ipExtra;
    // Field for field, and in the same order, as decode/fast-path.ts builds it.
    const seg: Segment = {
      frame,
      sec,
      nsec,
      ipVersion,
      src: d === 0 ? aAddr : bAddr,
      dst: d === 0 ? bAddr : aAddr,
      srcPort: d === 0 ? aPort : bPort,
      dstPort: d === 0 ? bPort : aPort,
      seq,
      ack,
      flags,
      window,
      urgent,
      headerLen,
      payloadLen,
      frameLen: ipLen + linkLen,
      ipLen,
      options,
      optionsError: undefined,
      truncated: (header & TRUNCATED) !== 0,
    };
    // A sliced packet, as decodeFrame gives it: the one field more, last (a literal with a spread would cost every segment).
    out.push(missingLen === 0 ? seg : { ...seg, missingLen });
  }
  text = '';
  return count;
}

/**
 * One tagged option at the read position, keys in the order decode/tcp.ts
 * gives them; SKIPPED when not `keep`, since packSegment's walk wants only
 * the references.
 */
function readOption(d: number, ack: number, keep: boolean): TcpOption {
  const tag = text.charCodeAt(at++);
  switch (tag) {
    case TAG_MSS: {
      const value = readVarint();
      return keep ? { kind: 'mss', value } : SKIPPED;
    }
    case TAG_WSCALE: {
      const shift = readVarint();
      return keep ? { kind: 'wscale', shift } : SKIPPED;
    }
    case TAG_SACK_PERMITTED:
      return keep ? { kind: 'sack-permitted' } : SKIPPED;
    case TAG_SACK: {
      const count = readVarint();
      const blocks: (readonly [number, number])[] = [];
      for (let i = 0; i < count; i++) {
        const left = readDelta32(ack);
        const right = readDelta32(left);
        if (keep) blocks.push([left, right]);
      }
      return keep ? { kind: 'sack', blocks } : SKIPPED;
    }
    case TAG_TIMESTAMPS:
      return readTimestamps(d, keep);
    case TAG_TFO: {
      const len = readVarint();
      at += len;
      return keep ? { kind: 'tfo', cookie: Buffer.from(text.slice(at - len, at), 'latin1').toString('hex') } : SKIPPED;
    }
    case TAG_UNKNOWN: {
      const number = readVarint();
      const length = readVarint();
      return keep ? { kind: 'unknown', number, length } : SKIPPED;
    }
    default:
      throw new Error(`packed log: option tag ${tag} at char ${at - 1}`);
  }
}

function readTimestamps(d: number, keep: boolean): TcpOption {
  const tsval = readDelta32(lastTsval[d]!);
  const tsecr = readDelta32(lastTsval[d ^ 1]!);
  lastTsval[d] = tsval;
  return keep ? { kind: 'timestamps', tsval, tsecr } : SKIPPED;
}

/** Moves the seq references past a record sent by `d` (0 = A). The same on packing and unpacking, which is all that matters. */
function advance(d: number, seq: number, ack: number, flags: number, payloadLen: number): void {
  // Typed array stores reduce modulo 2^32, as sequence space does.
  nextSeq[d] = seq + (payloadLen % TWO_32) + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
  sent[d] = 1;
  // Until the peer speaks, what this side acks is the best guess at its seq (a flow caught midstream).
  if (sent[d ^ 1] === 0 && ack !== 0) nextSeq[d ^ 1] = ack;
}

function ensure(bytes: number): void {
  if (n + bytes <= buf.length) return;
  const bigger = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, n + bytes));
  buf.copy(bigger, 0, 0, n);
  buf = bigger;
}

/**
 * Unsigned LEB128. Shifts only below 2^32, where they are exact; above,
 * division (frame numbers and seconds may pass it), and floor rather than %,
 * which V8 compiles to a C call for doubles.
 */
function writeVarint(v: number): void {
  while (v >= TWO_32) {
    const high = Math.floor(v / 0x80);
    buf[n++] = (v - high * 0x80) | 0x80;
    v = high;
  }
  while (v >= 0x80) {
    buf[n++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[n++] = v;
}

function readVarint(): number {
  let c = text.charCodeAt(at++);
  if (c < 0x80) return c;
  let v = c & 0x7f;
  let scale = 0x80;
  for (;;) {
    // A cut log reads NaN here, which is never < 0x80: stop at the end rather than loop.
    if (at >= text.length) throw new Error(`packed log: varint runs past char ${text.length}`);
    c = text.charCodeAt(at++);
    v += (c & 0x7f) * scale;
    if (c < 0x80) return v;
    scale *= 0x80;
  }
}

/** `cur` as the signed 32-bit step from `ref`, zigzagged: sequence space wraps, so the short way round. */
function writeDelta32(cur: number, ref: number): void {
  const s = (cur - ref) | 0;
  writeVarint(((s << 1) ^ (s >> 31)) >>> 0);
}

function readDelta32(ref: number): number {
  const z = readVarint();
  return (ref + ((z >>> 1) ^ -(z & 1))) >>> 0;
}

/**
 * A signed varint: the sign in the first byte's low bit, then the magnitude.
 * Zigzag in effect, but built a piece at a time: a zigzag number of a
 * difference between two safe integers may not be safe itself.
 */
function writeSigned(d: number): void {
  const m = Math.abs(d);
  const sign = d < 0 ? 1 : 0;
  if (m < 0x40) {
    buf[n++] = m * 2 + sign;
    return;
  }
  const high = Math.floor(m / 0x40);
  buf[n++] = 0x80 | ((m - high * 0x40) * 2) | sign;
  writeVarint(high);
}

function readSigned(): number {
  const c = text.charCodeAt(at++);
  const low = (c >> 1) & 0x3f;
  const m = c & 0x80 ? low + readVarint() * 0x40 : low;
  return c & 1 ? -m : m;
}

/** A non-negative safe integer; -0 is not, since it would come back as 0. */
function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && (v > 0 || (v === 0 && 1 / v > 0));
}

function isU32(v: number): boolean {
  return Object.is(v >>> 0, v);
}

/** The value of a lower-case hex digit, or -1 (upper case would come back lower). */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}
