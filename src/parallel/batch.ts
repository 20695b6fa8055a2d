/**
 * The frames a worker is given, packed into one buffer per batch so that a
 * batch crosses to the worker as one transferred ArrayBuffer (no copy, no
 * object per frame on the way): each frame's bytes with what a reader knew of
 * it, and the sweeps the analysis made between them.
 *
 * Layout, little-endian, one entry after another:
 *
 *     frame:  u8 FRAME, u8 precision, u16 source, u32 linktype,
 *             f64 number, f64 record, f64 sec, u32 nsec, u32 origLen, u32 length, bytes
 *     sweep:  u8 SWEEP, 7 bytes unused, f64 frame number, f64 now (seconds)
 */

import type { Frame, Precision } from '../capture/frame.ts';

const FRAME = 1;
const SWEEP = 2;
const FRAME_HEAD = 1 + 1 + 2 + 4 + 8 + 8 + 8 + 4 + 4 + 4;
const SWEEP_SIZE = 8 + 8 + 8;
const PRECISIONS: readonly Precision[] = ['s', 'ms', 'us', 'ns'];

/** A batch being filled for one worker. */
export class BatchWriter {
  private buf: Buffer;
  private at = 0;

  /** Buffers the worker has given back, to fill again (allocating a fresh one per batch kept V8's collector busy). */
  private readonly spare: ArrayBuffer[] = [];

  constructor(private readonly initial = 1024 * 1024) {
    this.buf = Buffer.from(new ArrayBuffer(initial));
  }

  /** A buffer a worker has finished with. */
  recycle(buffer: ArrayBuffer): void {
    if (this.spare.length < 2) this.spare.push(buffer);
  }

  /** Bytes added since the last take(). */
  get size(): number {
    return this.at;
  }

  frame(f: Frame): void {
    const n = f.data.length;
    this.room(FRAME_HEAD + n);
    const b = this.buf;
    let at = this.at;
    b[at] = FRAME;
    b[at + 1] = PRECISIONS.indexOf(f.precision);
    b.writeUInt16LE(f.source, at + 2);
    b.writeUInt32LE(f.linktype >>> 0, at + 4);
    b.writeDoubleLE(f.number, at + 8);
    b.writeDoubleLE(f.record, at + 16);
    b.writeDoubleLE(f.sec, at + 24);
    b.writeUInt32LE(f.nsec, at + 32);
    b.writeUInt32LE(f.origLen >>> 0, at + 36);
    b.writeUInt32LE(n, at + 40);
    at += FRAME_HEAD;
    f.data.copy(b, at);
    this.at = at + n;
  }

  sweep(frame: number, now: number): void {
    this.room(SWEEP_SIZE);
    const b = this.buf;
    b[this.at] = SWEEP;
    b.writeDoubleLE(frame, this.at + 8);
    b.writeDoubleLE(now, this.at + 16);
    this.at += SWEEP_SIZE;
  }

  /** The batch so far, as a buffer to transfer (this writer starts a new one). */
  take(): { buffer: ArrayBuffer; length: number } {
    const out = { buffer: this.buf.buffer as ArrayBuffer, length: this.at };
    const spare = this.spare.pop();
    this.buf = Buffer.from(spare ?? new ArrayBuffer(Math.max(this.initial, this.at)));
    this.at = 0;
    return out;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, this.at + n)));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

/** What a worker does with each entry of a batch. */
export interface BatchVisitor {
  frame(f: Frame): void;
  sweep(frame: number, now: number): void;
}

/** Calls `visit` for each entry of a batch, in order; frames' data are views into `buffer`. */
export function readBatch(buffer: ArrayBuffer, length: number, visit: BatchVisitor): void {
  const b = Buffer.from(buffer, 0, length);
  let at = 0;
  while (at < length) {
    const type = b[at];
    if (type === SWEEP) {
      visit.sweep(b.readDoubleLE(at + 8), b.readDoubleLE(at + 16));
      at += SWEEP_SIZE;
      continue;
    }
    if (type !== FRAME) throw new Error(`batch entry of unknown type ${type} at byte ${at}`);
    const n = b.readUInt32LE(at + 40);
    const data = b.subarray(at + FRAME_HEAD, at + FRAME_HEAD + n);
    visit.frame({
      number: b.readDoubleLE(at + 8),
      source: b.readUInt16LE(at + 2),
      record: b.readDoubleLE(at + 16),
      sec: b.readDoubleLE(at + 24),
      nsec: b.readUInt32LE(at + 32),
      precision: PRECISIONS[b[at + 1]!] ?? 'us',
      linktype: b.readUInt32LE(at + 4),
      data,
      origLen: b.readUInt32LE(at + 36),
    });
    at += FRAME_HEAD + n;
  }
}
