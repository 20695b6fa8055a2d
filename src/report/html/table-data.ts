/**
 * The flow table's data as the report carries it, and the page's script reads
 * it (page.ts). The block inflates to: a little-endian u32, the
 * length of a JSON head ({n, words, hosts, sets, choices, embedded, cols,
 * durScale}), the head, then one column of n little-endian values per field,
 * each starting at a multiple of 8 bytes, of the type `cols` gives (f64, u32,
 * u16 or u8, the narrowest that holds it): duration (seconds, or whole units
 * of 1/durScale s), id (the difference from the row before), client address
 * and port, server address and port (indices into hosts), handshake, close,
 * client state, server state (indices into words), anomaly list (index into
 * sets), worst severity (none, info, warning, error). Typed arrays over the
 * inflated bytes: nothing to parse but the head. The diagrams' block
 * ({diagrams, accounts}) is JSON, inflated when a flow is first chosen.
 *
 * Nothing from the capture reaches the page as markup: JSON has `<`, `>` and
 * `&` written as \u escapes, and both blocks are gzipped and in base64.
 */

import { gzipSync } from 'node:zlib';

/** JSON that is safe inside a script element and in any HTML context. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A row's worst severity, as the page's column of small numbers gives it (0: none). */
export const SEVERITIES = ['', 'info', 'warning', 'error'];

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

type Typed = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A typed array that grows as values are pushed (doubling). */
export class Column<T extends Typed> {
  values: T;
  length = 0;

  constructor(private readonly make: (size: number) => T) {
    this.values = make(1024);
  }

  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = this.make(this.length * 2);
      grown.set(this.values as never);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }

  /** The first `length` values, in the order `order` gives (row indices). */
  ordered(order: Int32Array): T {
    const out = this.make(order.length);
    for (let i = 0; i < order.length; i++) out[i] = this.values[order[i]!]!;
    return out;
  }
}

export const int32 = (n: number): Int32Array => new Int32Array(n);
export const float64 = (n: number): Float64Array => new Float64Array(n);
export const uint16 = (n: number): Uint16Array => new Uint16Array(n);
export const uint8 = (n: number): Uint8Array => new Uint8Array(n);

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
export function narrowed(values: ArrayLike<number>, type?: string): { type: string; bytes: Buffer } {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  const t = type ?? (max < 256 ? 'u8' : max < 65536 ? 'u16' : 'u32');
  const make = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array }[t]!;
  const out = make.from(values as ArrayLike<number>);
  return { type: t, bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}

/** Gzipped (mtime 0 in the header: the same bytes every run) and in base64: base64 holds no markup. */
function packed(bytes: Buffer): string {
  return gzipSync(bytes, { level: 6 }).toString('base64');
}

/** The table's block: the head, then each column's bytes, each padded to a multiple of 8 bytes, packed. */
export function tableBlock(head: unknown, columns: readonly Buffer[]): string {
  const json = Buffer.from(scriptJson(head));
  const parts: Buffer[] = [];
  let size = 0;
  const add = (b: Buffer): void => {
    parts.push(b);
    size += b.length;
    if (size % 8 !== 0) {
      parts.push(Buffer.alloc(8 - (size % 8)));
      size += 8 - (size % 8);
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
export function jsonBlock(value: unknown): string {
  return packed(Buffer.from(scriptJson(value)));
}
