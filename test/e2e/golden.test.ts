/**
 * Byte-for-byte baselines (Zeek's btest habit): the JSON a regression test
 * diffs and the table a person reads. A change here is a change users see;
 * `npm run golden:update` rewrites them after review, the tests never do.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenCaptures, renderGolden } from './golden-cases.ts';

describe.each(goldenCaptures())('%s', (name) => {
  it('matches its reviewed JSON and text goldens byte for byte', async () => {
    const { json, text } = await renderGolden(name);
    expect(json).toBe(readFileSync(`test/golden/${name}.json`, 'utf8'));
    expect(text).toBe(readFileSync(`test/golden/${name}.txt`, 'utf8'));
  });

  it('prints identical bytes on a second run', async () => {
    const a = await renderGolden(name);
    const b = await renderGolden(name);
    expect(b.json).toBe(a.json);
  });
});
