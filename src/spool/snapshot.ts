/**
 * Plain data written down as a latin1 string and read back: what a flow's
 * replayed state is made of (objects, arrays, Maps, numbers, strings,
 * booleans, undefined, null, bigints), with the references inside it (an
 * endpoint and its peer, Zeek's originator and the endpoint it is) kept as
 * references. tcp/compact.ts holds a done connection of many segments this
 * way through TIME_WAIT: a few hundred bytes instead of ~4 KB of objects that
 * the collector would carry into its old generation and sweep there.
 *
 * node:v8's serializer does the same for any value, at ~60 µs a flow; this
 * takes a few, because it knows its values are plain. Property names are
 * written as small numbers from a table of this thread's, so a snapshot is
 * read back only by the thread that wrote it (it is never stored beyond the
 * analysis: the stash file is the thread's own too).
 *
 * Every value comes back as it went: the same keys in the same order (also
 * keys whose value is undefined), integers and doubles (NaN, -0 and the
 * infinities too) exactly, strings of any characters.
 */

const UNDEFINED = 0;
const NULL = 1;
const FALSE = 2;
const TRUE = 3;
/** A non-negative safe integer, as a varint. */
const UINT = 4;
/** A negative safe integer, its magnitude as a varint. */
const NEG_INT = 5;
/** Any other number, as 8 bytes of an IEEE double. */
const DOUBLE = 6;
/** A string of latin1 characters: its length, then itself. */
const LATIN1 = 7;
/** A string with characters beyond latin1: its UTF-8 length, then its UTF-8. */
const UTF8 = 8;
const ARRAY = 9;
const OBJECT = 10;
const MAP = 11;
/** A reference to an object or array written before in this snapshot: its index in the order they began. */
const REF = 12;
const BIGINT = 13;

/** Property names, numbered in the order this thread first wrote them. */
const nameIds = new Map<string, number>();
const names: string[] = [];

/** Scratch the snapshot is written into; grows and stays grown. */
let buf = Buffer.allocUnsafeSlow(4096);
let n = 0;
/** Objects and arrays of the snapshot being written, by when they began. */
const seen = new Map<object, number>();

/**
 * How one kind of value is written and read. `value` (below) writes anything
 * plain, looking at each value and each property name as it goes; shape()
 * builds one for objects whose properties are known, which reads and writes
 * them directly (a few times faster: a flow's state is ~300 values).
 */
export interface Codec<T> {
  readonly write: (v: T) => void;
  readonly read: () => T;
}

/** Any plain value, with the references inside it kept. */
export const value: Codec<unknown> = { write: (v) => write(v), read: () => read() };

/** A property that is not written: read back as undefined, for the caller to set (an endpoint's peer). */
export const SKIP: Codec<never> = { write: () => {}, read: () => undefined as never };

/**
 * Every property of T, in the order the object is to have them, each with the
 * codec of its value ('value': any plain value). Typed so that a property
 * added to T and not here fails the typecheck.
 */
export type ShapeFields<T> = { readonly [K in keyof T]-?: Codec<T[K]> | Codec<never> | 'value' };

/**
 * A codec for objects of one shape: its reader and writer are compiled once
 * from the property names, so that each property is read where the object's
 * hidden class is known (a loop over names reads each through V8's slow,
 * generic path). Such objects are not references (two properties holding one
 * of them read back as two); their values are written by their own codecs.
 */
export function shape<T extends object>(fields: ShapeFields<T>): Codec<T> {
  const names = Object.keys(fields);
  const codecs: Codec<unknown>[] = names.map((k) => {
    const c = (fields as Record<string, Codec<unknown> | 'value'>)[k]!;
    return c === 'value' ? value : c;
  });
  for (const name of names) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`snapshot: shape property ${JSON.stringify(name)} is not a plain name`);
  }
  // Plain values go straight to write()/read(); the rest through their codec.
  const writeBody = names.map((k, i) => (codecs[i] === value ? `w(o.${k});` : `c[${i}].write(o.${k});`)).join('\n');
  const readBody = `return {${names.map((k, i) => (codecs[i] === value ? `${k}: r()` : `${k}: c[${i}].read()`)).join(', ')}};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled from the property names above, checked to be names
  const writer = new Function('w', 'c', `return function writeShape(o) {\n${writeBody}\n};`)(write, codecs) as (o: T) => void;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const reader = new Function('r', 'c', `return function readShape() {\n${readBody}\n};`)(read, codecs) as () => T;
  return { write: writer, read: reader };
}

/** A list whose items have one codec. */
export function listOf<T>(item: Codec<T>): Codec<T[]> {
  return {
    write(list: T[]): void {
      ensure(8);
      writeVarint(list.length);
      for (let i = 0; i < list.length; i++) item.write(list[i]!);
    },
    read(): T[] {
      const length = readVarint();
      const out = new Array<T>(length);
      for (let i = 0; i < length; i++) out[i] = item.read();
      return out;
    },
  };
}

/** `v` written down with `codec` (`value` by default); read it back with restore() and the same codec. */
export function snapshot<T>(v: T, codec: Codec<T> = value as Codec<T>): string {
  n = 0;
  try {
    codec.write(v);
    return buf.toString('latin1', 0, n);
  } finally {
    seen.clear();
  }
}

/** What snapshot() wrote with `codec`, as a new value. */
export function restore<T>(text: string, codec: Codec<T> = value as Codec<T>): T {
  src = text;
  at = 0;
  try {
    const v = codec.read();
    if (at !== src.length) throw new Error(`snapshot: ${src.length - at} bytes left after its value`);
    return v;
  } finally {
    src = '';
    objects.length = 0;
  }
}

function ensure(more: number): void {
  if (n + more <= buf.length) return;
  const bigger = Buffer.allocUnsafeSlow(Math.max(buf.length * 2, n + more));
  buf.copy(bigger, 0, 0, n);
  buf = bigger;
}

function write(value: unknown): void {
  // The common kinds first, each by its own test (a flow's state is mostly numbers, then undefined and booleans).
  if (typeof value === 'number') {
    writeNumber(value);
    return;
  }
  ensure(1);
  if (value === undefined) buf[n++] = UNDEFINED;
  else if (value === true) buf[n++] = TRUE;
  else if (value === false) buf[n++] = FALSE;
  else if (value === null) buf[n++] = NULL;
  else if (typeof value === 'string') writeString(value);
  else if (typeof value === 'object') writeObject(value);
  else if (typeof value === 'bigint') {
    buf[n++] = BIGINT;
    writeString(value.toString());
  } else throw new Error(`snapshot: cannot write a ${typeof value}`);
}

function writeNumber(v: number): void {
  ensure(10);
  // Small non-negative integers (counts, ports, frames) in two bytes; -0 is not one of them.
  if (v >= 0 && v < 0x80 && (v | 0) === v && (v !== 0 || 1 / v > 0)) {
    buf[n++] = UINT;
    buf[n++] = v;
    return;
  }
  if (Number.isSafeInteger(v) && v !== 0) {
    buf[n++] = v < 0 ? NEG_INT : UINT;
    writeVarint(v < 0 ? -v : v);
    return;
  }
  buf[n++] = DOUBLE;
  f64[0] = v;
  buf[n++] = f64Bytes[0]!; buf[n++] = f64Bytes[1]!; buf[n++] = f64Bytes[2]!; buf[n++] = f64Bytes[3]!;
  buf[n++] = f64Bytes[4]!; buf[n++] = f64Bytes[5]!; buf[n++] = f64Bytes[6]!; buf[n++] = f64Bytes[7]!;
}

/** A double's bytes, in this machine's order (a snapshot is read back by the thread that wrote it). */
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** Writes a non-negative safe integer; the caller has made room for 8 bytes. */
function writeVarint(v: number): void {
  while (v >= 0x80) {
    buf[n++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[n++] = v;
}

function writeString(s: string): void {
  const length = s.length;
  let latin1 = true;
  for (let i = 0; i < length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      latin1 = false;
      break;
    }
  }
  if (latin1) {
    ensure(9 + length);
    buf[n++] = LATIN1;
    writeVarint(length);
    // Byte by byte: Buffer#write's checks cost more than a short string's copy.
    for (let i = 0; i < length; i++) buf[n++] = s.charCodeAt(i);
    return;
  }
  const bytes = Buffer.byteLength(s, 'utf8');
  ensure(9 + bytes);
  buf[n++] = UTF8;
  writeVarint(bytes);
  n += buf.write(s, n, 'utf8');
}

function writeObject(o: object): void {
  const ref = seen.get(o);
  ensure(9);
  if (ref !== undefined) {
    buf[n++] = REF;
    writeVarint(ref);
    return;
  }
  seen.set(o, seen.size);
  ensure(9);
  if (Array.isArray(o)) {
    buf[n++] = ARRAY;
    writeVarint(o.length);
    for (let i = 0; i < o.length; i++) write(o[i]);
    return;
  }
  if (o instanceof Map) {
    buf[n++] = MAP;
    writeVarint(o.size);
    for (const [k, v] of o) {
      write(k);
      write(v);
    }
    return;
  }
  const proto = Object.getPrototypeOf(o);
  if (proto !== Object.prototype && proto !== null) throw new Error(`snapshot: cannot write a ${(o.constructor as { name?: string } | undefined)?.name ?? 'non-plain object'}`);
  buf[n++] = OBJECT;
  const keys = Object.keys(o);
  writeVarint(keys.length);
  const record = o as Record<string, unknown>;
  for (const key of keys) {
    ensure(8);
    let id = nameIds.get(key);
    if (id === undefined) {
      id = names.length;
      names.push(key);
      nameIds.set(key, id);
    }
    writeVarint(id);
    write(record[key]);
  }
}

/** The snapshot being read, and the position of its next character. */
let src = '';
let at = 0;
/** Objects and arrays read so far, by when they began (what REF points at). */
const objects: object[] = [];

function read(): unknown {
  const tag = src.charCodeAt(at++);
  switch (tag) {
    case UNDEFINED:
      return undefined;
    case NULL:
      return null;
    case FALSE:
      return false;
    case TRUE:
      return true;
    case UINT:
      return readVarint();
    case NEG_INT:
      return -readVarint();
    case DOUBLE:
      for (let i = 0; i < 8; i++) f64Bytes[i] = src.charCodeAt(at++);
      return f64[0];
    case LATIN1: {
      const length = readVarint();
      at += length;
      return src.slice(at - length, at);
    }
    case UTF8: {
      const length = readVarint();
      at += length;
      return Buffer.from(src.slice(at - length, at), 'latin1').toString('utf8');
    }
    case BIGINT:
      return BigInt(read() as string);
    case REF:
      return objects[readVarint()];
    case ARRAY: {
      const length = readVarint();
      const out: unknown[] = new Array(length);
      objects.push(out);
      for (let i = 0; i < length; i++) out[i] = read();
      return out;
    }
    case MAP: {
      const size = readVarint();
      const out = new Map<unknown, unknown>();
      objects.push(out);
      for (let i = 0; i < size; i++) {
        const k = read();
        out.set(k, read());
      }
      return out;
    }
    case OBJECT: {
      const count = readVarint();
      const out: Record<string, unknown> = {};
      objects.push(out);
      for (let i = 0; i < count; i++) {
        const name = names[readVarint()];
        if (name === undefined) throw new Error('snapshot: a property name this thread never wrote');
        // As a data property whatever its name (an assignment to `__proto__` would set the prototype).
        if (name === '__proto__') Object.defineProperty(out, name, { value: read(), enumerable: true, writable: true, configurable: true });
        else out[name] = read();
      }
      return out;
    }
    default:
      throw new Error(`snapshot: unknown tag ${tag} at ${at - 1}`);
  }
}

function readVarint(): number {
  let v = 0;
  let scale = 1;
  for (;;) {
    const b = src.charCodeAt(at++);
    v += (b & 0x7f) * scale;
    if (b < 0x80) return v;
    scale *= 0x80;
  }
}
