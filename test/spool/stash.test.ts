import { afterEach, describe, expect, it } from 'vitest';
import { createStash } from '../../src/spool/stash.ts';

const tmp = process.env.TMPDIR;
afterEach(() => {
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
});

/** Pieces of every size around the 64 KiB page and the 1 MiB block (one over three pages), bytes and text (multi-byte too). */
function pieces(): (Buffer | string)[] {
  const out: (Buffer | string)[] = [];
  let seed = 7;
  for (const n of [0, 1, 7, 1000, 65_536, 200_003, 1024 * 1024 - 3, 1024 * 1024, 1024 * 1024 + 5, 3 * 1024 * 1024, 12]) {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    out.push(b);
    out.push(`flow ${n}: ünïcödé → ${'x'.repeat(n % 5000)}`);
  }
  return out;
}

describe.each([['a temporary file', undefined], ['memory (no temporary directory)', '/nonexistent/synfin-test']])('createStash in %s', (_, dir) => {
  it('gives back every piece byte for byte, in any order, flushed or not', () => {
    if (dir !== undefined) process.env.TMPDIR = dir;
    const stash = createStash();
    const put = pieces();
    const refs = put.map((p) => stash.put(p));
    const expected = put.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    for (const i of [...refs.keys()].reverse()) expect(stash.read(refs[i]!).equals(expected[i]!)).toBe(true);
    // Into a caller's buffer, at an offset.
    const into = Buffer.alloc(expected[3]!.length + 10, 0xee);
    stash.read(refs[3]!, into, 10);
    expect(into.subarray(10).equals(expected[3]!)).toBe(true);
    expect(into.subarray(0, 10).every((b) => b === 0xee)).toBe(true);
    stash.close();
    stash.close();
    expect(() => stash.put('late')).toThrow(/closed/);
  });

  it('readAhead gives back what read does, in order, out of order, and while the stash still grows', () => {
    if (dir !== undefined) process.env.TMPDIR = dir;
    const stash = createStash();
    const put = pieces();
    const refs = put.map((p) => stash.put(p));
    const expected = put.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    for (const order of [[...refs.keys()], [...refs.keys()].reverse()]) {
      for (const i of order) {
        const into = Buffer.alloc(expected[i]!.length + 3, 0xee);
        stash.readAhead(refs[i]!, into, 3);
        expect(into.subarray(3).equals(expected[i]!)).toBe(true);
      }
    }
    // Many small records read back as they are written, across flushes of the block.
    const texts = Array.from({ length: 3000 }, (_, i) => `flow ${i} ${'y'.repeat(i % 700)}`);
    const small0: { offset: number; length: number }[] = [];
    const small = texts.map((t, i) => {
      const ref = stash.put(t);
      if (i > 10) {
        const j = i - 10;
        const into = Buffer.alloc(Buffer.byteLength(texts[j]!));
        expect(stash.readAhead(small0[j]!, into, 0).toString()).toBe(texts[j]);
      }
      small0.push(ref);
      return ref;
    });
    for (const [i, ref] of small.entries()) expect(stash.readAhead(ref, Buffer.alloc(ref.length), 0).toString()).toBe(texts[i]);
    stash.close();
  });

  it('gives back small records read while more are still being set aside (a page read short grows)', () => {
    if (dir !== undefined) process.env.TMPDIR = dir;
    const stash = createStash();
    const texts: string[] = [];
    const positions: number[] = [];
    for (let i = 0; i < 30_000; i++) {
      texts.push(`${i}:${'z'.repeat(i % 300)}`);
      positions.push(stash.putSmall(texts[i]!));
      // Read back one written a little earlier, often from the page the file ends in.
      if (i >= 50 && i % 7 === 0) expect(stash.readSmall(positions[i - 50]!)).toBe(texts[i - 50]);
    }
    for (const i of [...texts.keys()].reverse()) expect(stash.readSmall(positions[i]!)).toBe(texts[i]);
    stash.close();
  });

  it('gives back small records by small-integer position, between puts of any length, across block flushes', () => {
    if (dir !== undefined) process.env.TMPDIR = dir;
    const stash = createStash();
    const texts: string[] = [];
    const positions: number[] = [];
    let seed = 11;
    for (let i = 0; i < 40_000; i++) {
      // Mostly compact-flow sized, some past the first read's 512 bytes, one at the limit.
      const n = i === 777 ? 65_535 : i % 97 === 0 ? 600 + (i % 3000) : 30 + (i % 90);
      let t = '';
      for (let k = 0; k < n; k++) t += String.fromCharCode((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      texts.push(t);
      positions.push(stash.putSmall(t));
      if (i % 1000 === 0) stash.put(Buffer.alloc(i % 13)); // unaligned puts in between
    }
    for (const p of positions) expect(Number.isInteger(p) && p >= 0 && p < 2 ** 31).toBe(true);
    for (const i of [...texts.keys()].reverse()) expect(stash.readSmall(positions[i]!)).toBe(texts[i]);
    expect(() => stash.putSmall('x'.repeat(65_536))).toThrow(/under 65536/);
    stash.close();
  });
});
