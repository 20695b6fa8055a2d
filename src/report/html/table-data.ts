/**
 * The report's two blocks of data, written as blocks.ts lays them out: the
 * table's columns (numbers in typed arrays, strings as indices into one
 * table) and the diagrams. Nothing from the capture reaches the page as
 * markup: JSON has `<`, `>` and `&` written as \u escapes, and both blocks
 * are gzipped and in base64.
 */

import { gzipSync } from 'node:zlib';
import { COLUMN_ARRAYS, columnStart, type ColumnType, type DiagramsBlock, type TableHead } from './blocks.ts';

/** JSON that is safe inside a script element and in any HTML context. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Strings numbered in order of first use, so rows can carry indices. */
export class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  at(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}


/**
 * Durations in seconds as whole milli-, micro- or nanoseconds when every one
 * is exactly one of them (units / scale, a correctly rounded division, gives
 * back the same number), for a column of 4 bytes a row or less rather than 8;
 * scale 0: as they are.
 */
export function wholeUnits(seconds: Float64Array): { values: Float64Array; scale: number } {
  for (const scale of [1e3, 1e6, 1e9]) {
    const units = new Float64Array(seconds.length);
    let exact = true;
    for (let i = 0; i < seconds.length && exact; i++) {
      const u = Math.round(seconds[i]! * scale);
      units[i] = u;
      exact = u >= 0 && u < 2 ** 32 && u / scale === seconds[i];
    }
    if (exact) return { values: units, scale };
  }
  return { values: seconds, scale: 0 };
}

/** Non-negative whole numbers in the narrowest of u8, u16 and u32 (or as `type` says), as little-endian bytes. */
export function narrowed(values: ArrayLike<number>, type?: ColumnType): { type: ColumnType; bytes: Buffer } {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  const t = type ?? (max < 256 ? 'u8' : max < 65536 ? 'u16' : 'u32');
  const out = COLUMN_ARRAYS[t].from(values);
  return { type: t, bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}

/** Gzipped (mtime 0 in the header: the same bytes every run) and in base64: base64 holds no markup. */
function packed(bytes: Buffer): string {
  return gzipSync(bytes, { level: 6 }).toString('base64');
}

/** The table's block: the head's length, the head, then the columns' bytes, each column starting where columnStart says. */
export function tableBlock(head: TableHead, columns: readonly Buffer[]): string {
  const json = Buffer.from(scriptJson(head));
  const parts: Buffer[] = [];
  let size = 0;
  const add = (b: Buffer): void => {
    parts.push(b);
    size += b.length;
    const pad = columnStart(size) - size;
    if (pad !== 0) {
      parts.push(Buffer.alloc(pad));
      size += pad;
    }
  };
  const lead = Buffer.alloc(4);
  lead.writeUInt32LE(json.length, 0);
  parts.push(lead);
  size += 4;
  add(json);
  for (const c of columns) add(c);
  return packed(Buffer.concat(parts));
}

/** The diagrams' block. */
export function diagramsBlock(value: DiagramsBlock): string {
  return packed(Buffer.from(scriptJson(value)));
}
