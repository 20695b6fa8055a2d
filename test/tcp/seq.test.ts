import { describe, expect, it } from 'vitest';

import {
  seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax,
} from '../../src/tcp/seq.ts';

const TOP = 0xffff_ffff; // the last sequence number before the wrap
const HALF = 0x8000_0000; // 2^31: the half-space boundary (RFC 9293 §3.4, RFC 1982 §3.2)

describe('seqAdd', () => {
  it.each([
    ['plain', 1000, 1, 1001],
    ['zero', 0, 0, 0],
    ['to the last number', 0xffff_fff0, 0x0f, TOP],
    ['across 2^32', 0xffff_fff0, 0x20, 0x10],
    ['exactly onto 2^32', TOP, 1, 0],
    ['backwards', 1000, -1, 999],
    ['backwards across 0', 0x10, -0x20, 0xffff_fff0],
    ['0 - 1', 0, -1, TOP],
    ['a whole turn', 1234, 0x1_0000_0000, 1234],
    ['nearly a whole turn', 5, TOP, 4],
    ['two large numbers', TOP, TOP, 0xffff_fffe],
  ])('%s: %d + %d', (_, a, n, expected) => {
    const r = seqAdd(a, n);
    expect(r).toBe(expected);
    expect(Number.isInteger(r) && r >= 0 && r <= TOP).toBe(true);
  });
});

describe('seqDiff', () => {
  it.each([
    ['equal', 5, 5, 0],
    ['after', 1010, 1000, 10],
    ['before', 1000, 1010, -10],
    ['after, across the wrap', 0x10, 0xffff_fff0, 0x20],
    ['before, across the wrap', 0xffff_fff0, 0x10, -0x20],
    ['0 after TOP', 0, TOP, 1],
    ['TOP before 0', TOP, 0, -1],
    ['just under half a space ahead', HALF - 1, 0, HALF - 1],
    ['just over half a space ahead reads as behind', HALF + 1, 0, -(HALF - 1)],
    // Exactly 2^31 apart is the one ambiguous distance (RFC 1982 leaves it
    // undefined); seq.ts documents its range as (-2^31, 2^31], so it is +2^31.
    ['exactly half a space, one way', HALF, 0, HALF],
    ['exactly half a space, the other way', 0, HALF, HALF],
    ['exactly half a space across the wrap', 0x10, HALF + 0x10, HALF],
  ])('%s: diff(%d, %d)', (_, a, b, expected) => {
    expect(seqDiff(a, b)).toBe(expected);
  });

  it('stays in (-2^31, 2^31] and agrees with seqAdd', () => {
    const samples = [0, 1, 2, 0x7fff_ffff, HALF, HALF + 1, 0xffff_fff0, TOP - 1, TOP, 123_456_789];
    for (const a of samples) {
      for (const b of samples) {
        const d = seqDiff(a, b);
        expect(d).toBeGreaterThan(-HALF);
        expect(d).toBeLessThanOrEqual(HALF);
        expect(seqAdd(b, d)).toBe(a);
      }
    }
  });
});

describe('comparisons', () => {
  // [a, b, a<b, a<=b, a>b, a>=b]
  it.each([
    ['equal', 1000, 1000, false, true, false, true],
    ['plain less', 1000, 1001, true, true, false, false],
    ['plain greater', 1001, 1000, false, false, true, true],
    ['less across the wrap', 0xffff_fff0, 0x10, true, true, false, false],
    ['greater across the wrap', 0x10, 0xffff_fff0, false, false, true, true],
    ['TOP < 0', TOP, 0, true, true, false, false],
    ['0 > TOP', 0, TOP, false, false, true, true],
    ['just under half a space: less', 0, HALF - 1, true, true, false, false],
    ['just over half a space: greater (wrapped)', 0, HALF + 1, false, false, true, true],
    ['huge raw gap that is small modulo 2^32', 0xffff_ff00, 0x0000_0100, true, true, false, false],
  ])('%s (%d vs %d)', (_, a, b, lt, le, gt, ge) => {
    expect(seqLt(a, b)).toBe(lt);
    expect(seqLe(a, b)).toBe(le);
    expect(seqGt(a, b)).toBe(gt);
    expect(seqGe(a, b)).toBe(ge);
  });

  it('reads exactly half a space apart as "after" from both sides (range (-2^31, 2^31])', () => {
    expect(seqGt(HALF, 0)).toBe(true);
    expect(seqGt(0, HALF)).toBe(true);
    expect(seqLt(HALF, 0)).toBe(false);
    expect(seqLt(0, HALF)).toBe(false);
  });

  it('is antisymmetric everywhere but the half-space boundary', () => {
    const samples = [0, 1, 0x7fff_ffff, HALF + 1, 0xffff_fff0, TOP, 0x10, 999];
    for (const a of samples) {
      for (const b of samples) {
        if (a === b || seqDiff(a, b) === HALF) continue;
        expect(seqLt(a, b)).toBe(seqGt(b, a));
        expect(seqLt(a, b)).toBe(!seqGe(a, b));
        expect(seqLe(a, b)).toBe(!seqGt(a, b));
      }
    }
  });
});

describe('seqMax', () => {
  it.each([
    ['plain', 1000, 2000, 2000],
    ['plain, reversed', 2000, 1000, 2000],
    ['equal', 7, 7, 7],
    ['the wrapped number is later', 0xffff_fff0, 0x10, 0x10],
    ['the wrapped number is later, reversed', 0x10, 0xffff_fff0, 0x10],
    ['0 is later than TOP', TOP, 0, 0],
  ])('%s: max(%d, %d)', (_, a, b, expected) => {
    expect(seqMax(a, b)).toBe(expected);
  });
});

describe('seqInWindow (lo <= x < lo + size)', () => {
  it.each([
    ['left edge', 1000, 1000, 100, true],
    ['inside', 1050, 1000, 100, true],
    ['last inside', 1099, 1000, 100, true],
    ['right edge is outside', 1100, 1000, 100, false],
    ['just before', 999, 1000, 100, false],
    ['zero window holds nothing', 1000, 1000, 0, false],
    // A window spanning the wrap: [0xFFFFFFF0, 0x30).
    ['wrap: left edge', 0xffff_fff0, 0xffff_fff0, 0x40, true],
    ['wrap: TOP', TOP, 0xffff_fff0, 0x40, true],
    ['wrap: 0', 0, 0xffff_fff0, 0x40, true],
    ['wrap: last inside', 0x2f, 0xffff_fff0, 0x40, true],
    ['wrap: right edge is outside', 0x30, 0xffff_fff0, 0x40, false],
    ['wrap: just before', 0xffff_ffef, 0xffff_fff0, 0x40, false],
    ['far behind', 0x7000_0000, 0xffff_fff0, 0x40, false],
    ['largest scaled window (65535 << 14), last inside', seqAdd(0xffff_0000, 65535 * 2 ** 14 - 1), 0xffff_0000, 65535 * 2 ** 14, true],
    ['largest scaled window (65535 << 14), right edge', seqAdd(0xffff_0000, 65535 * 2 ** 14), 0xffff_0000, 65535 * 2 ** 14, false],
  ])('%s: %d in [%d, +%d)', (_, x, lo, size, expected) => {
    expect(seqInWindow(x, lo, size)).toBe(expected);
  });
});
