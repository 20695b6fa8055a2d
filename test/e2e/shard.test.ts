/**
 * `--shard I/N` (docs/design.md "Scale"): N processes, each keeping the flows whose
 * canonical 4-tuple hashes to its shard, print between them exactly the flows
 * of one run over the whole capture, each once. Flow ids are numbered per
 * process (1, 2, 3… among the flows a shard keeps), so the comparison leaves
 * them out; `first_frame` names a flow the same way in every shard.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { formatNdjsonFlow } from '../../src/report/json.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';
import { generateCapture } from '../../scripts/bench/generate.ts';

const N = 3;

/**
 * A flow as a line, without what depends on the process rather than the
 * capture: its id, and the id of an earlier flow on the same tuple (which
 * tuple-reuse names), replaced by that flow's first frame.
 */
function withoutIds(flow: FlowRecord, firstFrameOf: ReadonlyMap<number, number>): string {
  const { id: _id, ...rest } = flow;
  const anomalies = rest.anomalies.map((a) => {
    const previous = a.details?.previous_flow;
    if (typeof previous !== 'number') return a;
    const first = firstFrameOf.get(previous);
    return { ...a, message: a.message.replace(`flow ${previous}`, `the flow from frame ${first}`), details: { ...a.details, previous_flow: first ?? null } };
  });
  return JSON.stringify({ ...rest, anomalies });
}

/** The ndjson lines of one run (all flows, or one shard's), normalised and sorted. */
function normalised(lines: readonly string[]): string[] {
  const flows = lines.map((l) => JSON.parse(l) as FlowRecord);
  const firstFrameOf = new Map(flows.map((f) => [f.id, f.first_frame]));
  return flows.map((f) => withoutIds(f, firstFrameOf)).sort();
}

async function ndjson(file: string, shard?: { index: number; count: number }): Promise<string[]> {
  const lines: string[] = [];
  await analyzeFile(file, { ...(shard === undefined ? {} : { shard }), keepFlow: () => false, onFlow: (f) => lines.push(formatNdjsonFlow(f).trimEnd()) });
  return lines;
}

const dir = mkdtempSync(join(tmpdir(), 'synfin-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const generated = join(dir, 'generated.pcap');
const chunks: Buffer[] = [];
const expected = generateCapture({ seed: 11, packets: 30_000, concurrency: 300 }, { pcap: (c) => chunks.push(c) });
writeFileSync(generated, Buffer.concat(chunks));

describe(`--shard I/${N}`, () => {
  it.each([['captures/concurrent-200.pcap'], [generated]])('the shards of %s together print the flows of one run, each once', async (file) => {
    const whole = await ndjson(file);
    const shards = await Promise.all(Array.from({ length: N }, (_, index) => ndjson(file, { index, count: N })));
    expect(whole.length).toBeGreaterThan(N * 10);
    // Every shard has work, and none has all of it.
    for (const s of shards) {
      expect(s.length).toBeGreaterThan(0);
      expect(s.length).toBeLessThan(whole.length);
    }
    const together = shards.flatMap((s) => normalised(s)).sort();
    expect(together).toEqual(normalised(whole));
    // Ids restart in each shard; first_frame is the same everywhere.
    for (const s of shards) expect((JSON.parse(s[0]!) as FlowRecord).id).toBe(1);
    expect(new Set(shards.flat().map((l) => (JSON.parse(l) as FlowRecord).first_frame)).size).toBe(whole.length);
  });

  it('keeps every incarnation of a reused tuple in one shard, and tuple-reuse names the same earlier flow', async () => {
    const file = 'captures/tuple-reuse.pcap';
    const whole = await ndjson(file);
    expect(whole.some((l) => l.includes('"tuple-reuse"'))).toBe(true);
    const shards = await Promise.all(Array.from({ length: N }, (_, index) => ndjson(file, { index, count: N })));
    expect(shards.flatMap((s) => normalised(s)).sort()).toEqual(normalised(whole));
  });

  it('holds for the generated capture\'s expected flow count', async () => {
    const counts = await Promise.all(Array.from({ length: N }, async (_, index) => (await ndjson(generated, { index, count: N })).length));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(expected.flows);
  });

  it('holds for the CLI\'s ndjson, the shards run as separate processes', () => {
    const run = (args: string[]): string[] => {
      const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--format', 'ndjson', ...args, 'captures/concurrent-200.pcap'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      return r.stdout.trimEnd().split('\n');
    };
    const whole = run([]);
    const shards = Array.from({ length: N }, (_, i) => run(['--shard', `${i}/${N}`]));
    expect(shards.flatMap((s) => normalised(s)).sort()).toEqual(normalised(whole));
  });
});
