/**
 * `--jobs N` (docs/design.md "Speed and memory"): any number of worker threads
 * gives the same bytes as one. Every capture in captures/, and a generated
 * one long enough for the flow table's sweeps and reused tuples, analysed
 * with 1, 2 and 3 jobs, in every format: json and ndjson with each frame's
 * events (ndjson in the order flows end), text, csv and a Zeek conn.log; a
 * capture synfin refuses is refused with the same message.
 *
 * The analysis runs from dist/ (what bin/ and the package run, built by
 * `npm ci`): there a worker starts in ~50 ms, where from the sources each
 * would first compile them with tsx.
 */

import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { analyzeFile as AnalyzeFile } from '../../src/analyze.ts';
import { formatCsv } from '../../src/report/csv.ts';
import { formatJson, formatJsonFlowEntry, formatNdjsonFlow, jsonFormat, ndjsonFormat } from '../../src/report/json.ts';
import { jsonText } from '../../src/report/flow-format.ts';
import { formatText } from '../../src/report/text.ts';
import { formatZeek } from '../../src/report/zeek-flows.ts';
import { generateCapture } from '../../scripts/bench/generate.ts';
import { capturesUnder } from './captures.ts';

const { analyzeFile } = await import('../../dist/index.js' as string) as { analyzeFile: typeof AnalyzeFile };

/** Everything a user could see of one analysis. */
async function outputs(file: string, jobs: number): Promise<Record<string, string>> {
  const ndjson: string[] = [];
  try {
    const result = await analyzeFile(file, { jobs, events: true, onFlow: (f) => ndjson.push(formatNdjsonFlow(f)) });
    const plain = { ...result, flows: result.flows.map(({ events: _e, events_omitted: _o, ...f }) => f) };
    return {
      json: formatJson(result), ndjson: ndjson.join(''), text: formatText(plain), csv: formatCsv(plain), zeek: formatZeek(plain),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'synfin-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const generated = join(dir, 'generated.pcap');
const chunks: Buffer[] = [];
generateCapture({ seed: 11, packets: 40_000, concurrency: 300 }, { pcap: (c) => chunks.push(c) });
writeFileSync(generated, Buffer.concat(chunks));

const files = capturesUnder('captures');

describe('--jobs 1, 2 and 3 print the same bytes', () => {
  it('finds the captures', () => {
    expect(files.length).toBeGreaterThan(150);
  });

  it.each([...files, generated].map((f) => [f]))('%s', async (file) => {
    const one = await outputs(file, 1);
    expect(await outputs(file, 2)).toEqual(one);
    expect(await outputs(file, 3)).toEqual(one);
  });

  // `flows --format json|ndjson` without a filter takes the records it can as
  // their JSON text (AnalyzeOptions.flowText): every record workers send but a
  // reused tuple's, renumbered in the text. The lines, in end order, and the
  // entries, by id, must be those of one thread's records.
  it.each([...files.filter((f) => !f.includes('/bad/')), generated].map((f) => [f]))('%s: records taken as text print the same', async (file) => {
    const expected = await analyzeFile(file, { jobs: 1, events: true });
    const expectedLines: string[] = [];
    await analyzeFile(file, { jobs: 1, events: true, onFlow: (f) => expectedLines.push(formatNdjsonFlow(f)) });
    for (const jobs of [1, 2, 3]) {
      const lines: string[] = [];
      const entries = new Map<number, string>();
      const result = await analyzeFile(file, {
        jobs, events: true,
        flowText: (id, json) => {
          lines.push(jsonText(ndjsonFormat.fromJson!(json)));
          entries.set(id, jsonText(jsonFormat.fromJson!(json)));
        },
        onFlow: (f) => {
          lines.push(formatNdjsonFlow(f));
          entries.set(f.id, formatJsonFlowEntry(f));
        },
      });
      expect(result.summary).toStrictEqual(expected.summary);
      expect(lines.join('')).toBe(expectedLines.join(''));
      expect([...entries.keys()].sort((a, b) => a - b)).toStrictEqual(expected.flows.map((f) => f.id));
      for (const f of expected.flows) expect(entries.get(f.id)).toBe(formatJsonFlowEntry(f));
    }
  });

  it('records made when connections are done settle the same in workers, TIME_WAITs running out by sweep and at the end', async () => {
    // A 50 ms MSL: the generated connections' TIME_WAITs run out within the
    // capture, most found by a sweep, the last ones at the end. Workers hand
    // those records on as text settled in place (tcp/record.ts settleEarlyText).
    const options = { msl: 0.05, events: true };
    const replayed = await analyzeFile(generated, { ...options, jobs: 1, compact: 'never' });
    const expected = formatJson(replayed);
    expect(formatJson(await analyzeFile(generated, { ...options, jobs: 1 }))).toBe(expected);
    expect(formatJson(await analyzeFile(generated, { ...options, jobs: 2 }))).toBe(expected);
    const settled = replayed.flows.filter((f) => f.close.kind === 'four-way' && f.client.final_state === 'CLOSED' && f.server.final_state === 'CLOSED');
    expect(settled.length).toBeGreaterThan(500);
  });

  it('the generated capture has the sweeps, reused tuples and flows that make the merge work', async () => {
    const one = await outputs(generated, 1);
    const flows = JSON.parse(one.json!) as { summary: { frames: number; flows: number } };
    // Sweeps run every 8,192 frames; ids and end order must survive several.
    expect(flows.summary.frames).toBeGreaterThan(4 * 8192);
    expect(flows.summary.flows).toBeGreaterThan(1000);
  });
});
