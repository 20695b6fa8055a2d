/**
 * entryFromJson lays out JSON.stringify's compact text as the json document
 * prints a flow (nested two arrays deep at a 2-space indent) without parsing
 * it: it must give exactly what JSON.stringify gives, for any value.
 */

import { describe, expect, it } from 'vitest';
import { jsonText } from '../../src/report/flow-format.ts';
import { entryFromJson, formatJsonFlowEntry, jsonEntry } from '../../src/report/json.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';

/** What JSON.stringify gives for `v` inside `"flows": [...]`. */
function entryOf(v: unknown): string {
  const nested = JSON.stringify([[v]], null, 2);
  return nested.slice('[\n  [\n'.length, nested.length - '\n  ]\n]'.length);
}

/** A random JSON value of at most `depth` levels, with strings full of JSON's own punctuation. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 0 ? 8 : 5));
  const chars = ['a', '{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '\u0001', 'é', 'ÿ', '\\"', '":"'];
  const str = (): string => Array.from({ length: Math.floor(next() * 6) }, () => chars[Math.floor(next() * chars.length)]).join('');
  switch (pick) {
    case 0: return Math.floor(next() * 2000) - 1000;
    case 1: return next() * 1e6;
    case 2: return str();
    case 3: return next() < 0.5 ? null : next() < 0.5;
    case 4: return -0.000001 * next();
    case 5: return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) o[str()] = randomValue(next, depth - 1);
      return o;
    }
  }
}

describe('entryFromJson', () => {
  it('lays out a record as JSON.stringify does, empty lists and objects on their line', () => {
    const record = { id: 1, client: { addr: '10.0.0.1', options: {} }, anomalies: [], events: [[1, 2], { a: [] }], via: ['GRE'], n: null };
    expect(entryFromJson(JSON.stringify(record))).toBe(entryOf(record));
  });

  it('leaves strings as they are, whatever punctuation and escapes they hold', () => {
    const record = { message: 'a "quoted" {brace}, [list]: colon \\ backslash', tab: '\t', ctl: '\u0001', latin: 'é ÿ' };
    expect(entryFromJson(JSON.stringify(record))).toBe(entryOf(record));
  });

  it('equals JSON.stringify on 3,000 random values', () => {
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 3000; i++) {
      const v = { id: i, value: randomValue(next, 5) };
      expect(entryFromJson(JSON.stringify(v))).toBe(entryOf(v));
    }
  });

  it('lays out a record far larger than its scratch, and deeper than a flow', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { level: i, inner: deep, list: [i] };
    const big = { rows: Array.from({ length: 20_000 }, (_, i) => ({ i, s: 'y'.repeat(i % 7) })), deep };
    expect(entryFromJson(JSON.stringify(big))).toBe(entryOf(big));
  });
});

describe('jsonEntry (the json format from a record\'s text)', () => {
  /** What the CLI writes for `v`: jsonEntry's bytes are the UTF-8 a string's would be. */
  const written = (v: unknown): Buffer => {
    const entry = jsonEntry(JSON.stringify(v));
    return Buffer.from(typeof entry === 'string' ? entry : Buffer.from(entry));
  };
  const expected = (v: unknown): Buffer => Buffer.from(formatJsonFlowEntry(v as FlowRecord), 'utf8');

  it('gives the bytes of a plain ASCII record, as formatJsonFlowEntry writes it', () => {
    const record = { id: 7, client: { addr: '10.0.0.1' }, anomalies: [], message: 'a "quoted" \\ tab\t' };
    const entry = jsonEntry(JSON.stringify(record));
    expect(Buffer.isBuffer(entry)).toBe(true);
    expect(written(record)).toStrictEqual(expected(record));
  });

  it('writes latin1 letters as UTF-8, and DEL and C1 controls escaped, as the text path does', () => {
    for (const s of ['caf\u00e9', 'del \u007f', 'nel \u0085 csi \u009b', '\u00ff']) {
      const record = { id: 1, comment: s };
      expect(written(record)).toStrictEqual(expected(record));
      expect(jsonText(jsonEntry(JSON.stringify(record)))).toBe(formatJsonFlowEntry(record as unknown as FlowRecord));
    }
  });

  it('leaves the bytes it gave alone until its next call, and a second call overwrites them', () => {
    const a = jsonEntry(JSON.stringify({ id: 1 }));
    const copy = Buffer.from(a);
    jsonEntry(JSON.stringify({ id: 2 }));
    expect(copy.toString()).toBe('    {\n      "id": 1\n    }');
  });
});
