import { describe, expect, it } from 'vitest';
import { interval, isoTime } from '../../src/capture/time.ts';

describe('isoTime', () => {
  it.each([
    [0, '1970-01-01T00:00:00'],
    [951782400, '2000-02-29T00:00:00'],
    [1795658210, new Date(1795658210 * 1000).toISOString().slice(0, 19)],
    [4107542399, '2100-02-28T23:59:59'],
    [-1, '1969-12-31T23:59:59'],
    [253402300799, '9999-12-31T23:59:59'],
    [253402300800, '+010000-01-01T00:00:00'],
  ])('%i s is %s, as Date writes it', (sec, expected) => {
    expect(isoTime(sec, 0, 's')).toBe(`${expected}Z`);
    if (Math.abs(sec) < 8.64e12) expect(isoTime(sec, 0, 's')).toBe(new Date(sec * 1000).toISOString().replace('.000', ''));
  });

  it('writes the right day when times go back and forth across midnight (the date is kept for its day)', () => {
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const midnight = 1795651200; // 2026-11-26T00:00:00Z
    for (let i = 0; i < 2000; i++) {
      const sec = midnight + Math.floor((next() - 0.5) * 3 * 86400);
      expect(isoTime(sec, 0, 's')).toBe(new Date(sec * 1000).toISOString().replace('.000', ''));
    }
  });

  it('writes a timestamp beyond Date\'s range (a damaged pcapng) instead of throwing', () => {
    expect(isoTime(18_000_000_000_000, 5, 'ns')).toMatch(/^\+\d{6}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000005Z$/);
  });

  it('keeps the capture\'s precision digits exactly', () => {
    expect(isoTime(1795658210, 96536000, 'us')).toBe('2026-11-26T01:56:50.096536Z');
    expect(isoTime(1795658210, 96536123, 'ns')).toBe('2026-11-26T01:56:50.096536123Z');
    expect(isoTime(1795658210, 96536123, 'ms')).toBe('2026-11-26T01:56:50.096Z');
  });
});

describe('interval', () => {
  it('keeps nanoseconds that a float of epoch seconds loses', () => {
    expect(interval(1795658210, 999_999_999, 1795658211, 1)).toBeCloseTo(2e-9, 15);
  });
});
