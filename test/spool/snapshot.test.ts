import { describe, expect, it } from 'vitest';
import { listOf, ref, restore, shape, SKIP, snapshot, value, type Codec } from '../../src/spool/snapshot.ts';

describe('snapshot', () => {
  it('gives back every kind of plain value exactly', () => {
    const values: unknown[] = [
      undefined, null, true, false, 0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, -1, -128, -(2 ** 40),
      Number.MIN_SAFE_INTEGER, 0.5, 1768471200.056207, -3.25, 2 ** 53, 2 ** 60, NaN, Infinity, -Infinity, 1e-300,
      '', 'ESTABLISHED', 'é § ×', 'μ ✓ 🦀', 'a'.repeat(70_000), 12345678901234567890n, -5n,
      [], [1, [2, [3]]], {}, new Map<string, unknown>([['a', 1], ['b', { c: [2] }]]),
    ];
    for (const v of values) expect(restore(snapshot(v))).toStrictEqual(v);
    // -0 is not 0: a replay that divided by it would see the difference.
    expect(Object.is(restore(snapshot(-0)), -0)).toBe(true);
    expect(Object.is(restore(snapshot(0)), 0)).toBe(true);
  });

  it('keeps keys whose value is undefined, in their order, and any key name', () => {
    const o = JSON.parse('{"z": 1, "__proto__": 2, "a": 3}') as Record<string, unknown>;
    o.u = undefined;
    const back = restore(snapshot(o)) as Record<string, unknown>;
    expect(Object.keys(back)).toStrictEqual(['z', '__proto__', 'a', 'u']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back).toStrictEqual(o);
  });

  it('writes a tree: an object held twice comes back as two, and a cycle is refused', () => {
    const shared = { n: 1 };
    const back = restore(snapshot({ list: [shared, shared] })) as { list: object[] };
    expect(back.list).toStrictEqual([shared, shared]);
    expect(back.list[0]).not.toBe(back.list[1]);
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => snapshot(a)).toThrow('nested more than 64 deep (a cycle?)');
    // The table of names and strings is this thread's: after a refusal the next snapshot is whole.
    expect(restore(snapshot({ name: 'b' }))).toStrictEqual({ name: 'b' });
  });

  it('keeps the references ref() is told of as references, and undefined as itself', () => {
    const note = ref(value as Codec<{ n: number }>);
    const codec = shape<{ list: { n: number }[]; end: { n: number } | undefined; none: { n: number } | undefined }>({
      list: listOf(note) as Codec<{ n: number }[]>, end: note, none: note,
    });
    const shared = { n: 1 };
    const back = restore(snapshot({ list: [{ n: 0 }, shared], end: shared, none: undefined }, codec), codec);
    expect(back).toStrictEqual({ list: [{ n: 0 }, shared], end: shared, none: undefined });
    expect(back.end).toBe(back.list[1]);
    expect(back.end).not.toBe(back.list[0]);
  });

  it('writes a short string once per thread and reads back that one string', () => {
    const text = snapshot(['ESTABLISHED', 'ESTABLISHED', 'x'.repeat(33)]);
    // 'ESTABLISHED' is a number both times; the long one is written out.
    expect(text.length).toBeLessThan(2 * 'ESTABLISHED'.length + 33);
    expect(restore(text)).toStrictEqual(['ESTABLISHED', 'ESTABLISHED', 'x'.repeat(33)]);
  });

  it('refuses what it cannot write back the same, naming it', () => {
    expect(() => snapshot(new Date(0))).toThrow('cannot write a Date');
    expect(() => snapshot(Buffer.alloc(1))).toThrow('cannot write a Buffer');
    expect(() => snapshot(() => 1)).toThrow('cannot write a function');
    expect(() => snapshot(Symbol('x'))).toThrow('cannot write a symbol');
  });

  it('says when a snapshot is not one', () => {
    expect(() => restore(`${snapshot(1)}x`)).toThrow('bytes left after its value');
    expect(() => restore('\u00ff')).toThrow('unknown tag 255');
  });
});

describe('shape', () => {
  interface Point { x: number; y: number | undefined; label: string; peer: Point | undefined; tags: string[] }
  const POINT = shape<Point>({ x: 'value', y: 'value', label: 'value', peer: SKIP, tags: 'value' });

  it('writes the named properties in their order, and SKIP ones come back undefined', () => {
    const p: Point = { x: 1.5, y: undefined, label: 'p', peer: undefined, tags: ['a'] };
    p.peer = p;
    const back = restore(snapshot(p, POINT), POINT);
    expect(Object.keys(back)).toStrictEqual(['x', 'y', 'label', 'peer', 'tags']);
    expect(back).toStrictEqual({ ...p, peer: undefined });
  });

  it('lists of shapes, with plain values inside', () => {
    const list = listOf(POINT);
    const points: Point[] = [
      { x: 1, y: 2, label: 'a', peer: undefined, tags: ['t'] },
      { x: -1, y: NaN, label: 'b', peer: undefined, tags: [] },
    ];
    expect(restore(snapshot(points, list), list)).toStrictEqual(points);
    expect(restore(snapshot([], list), list)).toStrictEqual([]);
  });

  it('takes only plain property names', () => {
    expect(() => shape<Record<string, number>>({ 'a-b': 'value' })).toThrow('is not a plain name');
    expect(() => shape<Record<string, number>>({ 'x; globalThis.hacked = 1; o.y': 'value' })).toThrow('is not a plain name');
  });

  it('value is the plain codec itself', () => {
    expect(restore(snapshot({ a: [1] }, value), value)).toStrictEqual({ a: [1] });
  });
});
