/**
 * Numbers kept a value per row in a typed array: the report's table columns,
 * and what diff and netstat keep in memory of each flow of a capture of any
 * length.
 */

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
export const uint32 = (n: number): Uint32Array => new Uint32Array(n);
export const uint16 = (n: number): Uint16Array => new Uint16Array(n);
export const uint8 = (n: number): Uint8Array => new Uint8Array(n);
