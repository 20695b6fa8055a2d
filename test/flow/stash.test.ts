import { afterEach, describe, expect, it } from 'vitest';
import { createStash } from '../../src/flow/stash.ts';

const tmp = process.env.TMPDIR;
afterEach(() => {
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
});

/** Pieces of every size around the 1 MiB block, bytes and text (multi-byte too). */
function pieces(): (Buffer | string)[] {
  const out: (Buffer | string)[] = [];
  let seed = 7;
  for (const n of [0, 1, 7, 1000, 65_536, 1024 * 1024 - 3, 1024 * 1024, 1024 * 1024 + 5, 3 * 1024 * 1024, 12]) {
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
});
