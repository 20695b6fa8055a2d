/**
 * scanSavedJson must hand on exactly the document's members and flows, at any
 * chunking, and say `invalid` rather than guess at anything else (diff then
 * reads the file whole for readSavedOutput's message).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanSavedJson, type ScannedPart } from '../../src/report/json-scan.ts';

async function scan(text: string | Buffer, chunk: number): Promise<ScannedPart[]> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  const out: ScannedPart[] = [];
  for await (const p of scanSavedJson(chunks())) out.push(p);
  return out;
}

/** The document rebuilt from its parts, for comparison with JSON.parse of the whole. */
function rebuilt(parts: readonly ScannedPart[]): unknown {
  const doc: Record<string, unknown> = {};
  for (const p of parts) {
    if (p.kind === 'member') doc[p.key] = JSON.parse(p.text);
    else if (p.kind === 'flows') doc['flows'] = [];
    else if (p.kind === 'flow') (doc['flows'] as unknown[]).push(JSON.parse(p.text));
  }
  return doc;
}

describe('scanSavedJson', () => {
  const goldens = readdirSync('test/golden').filter((f) => f.endsWith('.json')).sort();
  it.each(goldens)('%s: every member and flow, at chunks of 1, 7 and 64 KiB bytes', async (name) => {
    const text = readFileSync(`test/golden/${name}`);
    const whole = JSON.parse(text.toString('utf8')) as { flows: unknown[] };
    for (const chunk of name === goldens[0] ? [1, 7, 65_536] : [7, 65_536]) {
      const parts = await scan(text, chunk);
      expect(parts.some((p) => p.kind === 'invalid')).toBe(false);
      expect(parts.filter((p) => p.kind === 'flow')).toHaveLength(whole.flows.length);
      expect(rebuilt(parts)).toEqual(whole);
    }
  });

  it('follows strings holding brackets, commas, quotes, escapes and a key named like a member', async () => {
    const doc = {
      'we"ird': 'a ] } , " \\ \u2028 é',
      schema: 2,
      flows: [{ id: 1, note: '{"flows": [1, 2]}', nested: [[], {}, [{ a: [1, { b: ']' }] }]] }, { id: 2, s: '\\"' }],
      summary: { flows: 2, x: [] },
      warnings: [],
    };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2), `\ufeff  ${JSON.stringify(doc, null, 1)}\n\n`]) {
      for (const chunk of [1, 3, 1000]) {
        const parts = await scan(text, chunk);
        expect(rebuilt(parts)).toEqual(doc);
      }
    }
  });

  it.each([
    ['ndjson (two objects)', '{"id":1}\n{"id":2}\n'],
    ['cut short', '{"schema":2,"flows":[{"id":1},'],
    ['an array at the top', '[{"id":1}]'],
    ['garbage after the object', '{"schema":2,"flows":[]} x'],
    ['a key without a colon', '{"schema" 2}'],
    ['not JSON at all', 'hello'],
  ])('%s: invalid', async (_, text) => {
    const parts = await scan(text, 5);
    expect(parts[parts.length - 1]).toEqual({ kind: 'invalid' });
  });
});
