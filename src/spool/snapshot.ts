/**
 * Plain data written down as a latin1 string and read back: what a flow's
 * replayed state is made of (objects, arrays, Maps, numbers, strings,
 * booleans, undefined, null, bigints). tcp/compact.ts holds a done
 * connection of many segments this way through TIME_WAIT: ~1 KB instead
 * of ~5 KB of objects that the collector would carry into its old generation
 * and sweep there.
 *
 * node:v8's serializer does the same for any value, at ~60 µs a flow; this
 * takes a fraction of that, because it is told what it writes: shape() codecs
 * for objects whose properties are known, and references only where the
 * caller says two places hold one object (ref()). Anything else is a tree:
 * an object met twice is written twice, and a cycle is refused. Property
 * names are written as small numbers from a table of this thread's, so a
 * snapshot is read back only by the thread that wrote it (it is never stored
 * beyond the analysis: the stash file is the thread's own too).
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
/** ref(): an object written before in this snapshot (its index among ref()'s objects), or the first time one is (NEW_REF). */
const REF = 12;
const NEW_REF = 14;
const BIGINT = 13;
/** A string of this thread's table (`known`): its number. */
const KNOWN = 15;

/** Strings numbered in the order this thread first wrote them, up to `most` of them. */
class Numbered {
  private readonly ids = new Map<string, number>();
  readonly list: string[] = [];

  constructor(private readonly most: number) {}

  /** The number of `s`, given it now if it has none and there is room; undefined when there is none. */
  of(s: string): number | undefined {
    let id = this.ids.get(s);
    if (id === undefined && this.list.length < this.most) {
      id = this.list.length;
      this.list.push(s);
      this.ids.set(s, id);
    }
    return id;
  }
}

/** Property names (of the plain objects written: a few dozen). */
const names = new Numbered(Infinity);

/**
 * Short strings, up to 4,096 of them: a flow's state repeats a small
 * vocabulary (state names, events, RFC sections, sides) in every state
 * change, so each is written as a number and read back as the one string,
 * not a copy. Longer or later strings are written out.
 */
const known = new Numbered(4096);
const KNOWN_LENGTH = 32;

/** Scratch the snapshot is written into; grows and stays grown. */
let buf = Buffer.allocUnsafeSlow(4096);
let n = 0;
/** ref()'s objects in the snapshot being written, by when they were first written. */
const seen = new Map<object, number>();
/** Nesting of the generic value being written: past MAX_DEPTH it is a cycle (or no state of ours). */
let depth = 0;
const MAX_DEPTH = 64;

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

/** Any plain value, written as a tree (see ref() for references). */
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
  // A number (most of a flow's state) is written without asking write() what it is.
  const writeBody = names.map((k, i) => (codecs[i] === value
    ? `v = o.${k}; if (typeof v === 'number') wn(v); else w(v);` : `c[${i}].write(o.${k});`)).join('\n');
  const readBody = `return {${names.map((k, i) => (codecs[i] === value ? `${k}: r()` : `${k}: c[${i}].read()`)).join(', ')}};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled from the property names above, checked to be names
  const writer = new Function('w', 'wn', 'c', `return function writeShape(o) {\nlet v;\n${writeBody}\n};`)(write, writeNumber, codecs) as (o: T) => void;
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

/**
 * `codec`'s values as references: a value written a second time in one
 * snapshot is written as its number, and read back as the one object read
 * the first time (an ICMP error in a flow's list and as the one that ended
 * its attempt). Not for cycles: an object is numbered once it is written.
 * Undefined is written as itself.
 */
export function ref<T extends object>(codec: Codec<T>): Codec<T | undefined> {
  return {
    write(v: T | undefined): void {
      ensure(9);
      if (v === undefined) {
        buf[n++] = UNDEFINED;
        return;
      }
      const known = seen.get(v);
      if (known !== undefined) {
        buf[n++] = REF;
        writeVarint(known);
        return;
      }
      buf[n++] = NEW_REF;
      codec.write(v);
      seen.set(v, seen.size);
    },
    read(): T | undefined {
      const tag = src.charCodeAt(at++);
      if (tag === UNDEFINED) return undefined;
      if (tag === REF) {
        const id = readVarint();
        if (id >= objects.length) throw new Error(`snapshot: a reference to object ${id} of ${objects.length}`);
        return objects[id] as T;
      }
      if (tag !== NEW_REF) throw new Error(`snapshot: tag ${tag} where a reference was expected`);
      const v = codec.read();
      objects.push(v);
      return v;
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
    depth = 0;
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
  if (length <= KNOWN_LENGTH) {
    const id = known.of(s);
    if (id !== undefined) {
      ensure(9);
      buf[n++] = KNOWN;
      writeVarint(id);
      return;
    }
  }
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
  ensure(9);
  if (++depth > MAX_DEPTH) throw new Error(`snapshot: a value nested more than ${MAX_DEPTH} deep (a cycle?)`);
  if (Array.isArray(o)) {
    buf[n++] = ARRAY;
    writeVarint(o.length);
    for (let i = 0; i < o.length; i++) write(o[i]);
  } else if (o instanceof Map) {
    buf[n++] = MAP;
    writeVarint(o.size);
    for (const [k, v] of o) {
      write(k);
      write(v);
    }
  } else {
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) throw new Error(`snapshot: cannot write a ${(o.constructor as { name?: string } | undefined)?.name ?? 'non-plain object'}`);
    buf[n++] = OBJECT;
    const keys = Object.keys(o);
    writeVarint(keys.length);
    const record = o as Record<string, unknown>;
    for (const key of keys) {
      ensure(8);
      writeVarint(names.of(key)!);
      write(record[key]);
    }
  }
  depth--;
}

/** The snapshot being read, and the position of its next character. */
let src = '';
let at = 0;
/** ref()'s objects read so far, by when they were first read (what REF points at). */
const objects: unknown[] = [];

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
    case KNOWN: {
      const s = known.list[readVarint()];
      if (s === undefined) throw new Error('snapshot: a string this thread never wrote');
      return s;
    }
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
    case ARRAY: {
      const length = readVarint();
      const out: unknown[] = new Array(length);
      for (let i = 0; i < length; i++) out[i] = read();
      return out;
    }
    case MAP: {
      const size = readVarint();
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < size; i++) {
        const k = read();
        out.set(k, read());
      }
      return out;
    }
    case OBJECT: {
      const count = readVarint();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const name = names.list[readVarint()];
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
