/**
 * A worker that fails ends the analysis with one line naming the capture and
 * the frame it had reached (docs/design.md "Speed and memory"), never a partial
 * output passed off as whole: here a worker runs out of memory for real, its
 * heap capped while a SYN flood fills its flow table. And a worker run on the
 * reading thread (readerAnalyses, what analyze.ts chooses when there are as
 * many jobs as cores) ends the same flows the same way as one of its own.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeCaptures } from '../../src/capture/merge.ts';
import { readCapture } from '../../src/capture/open.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import { startPool, WorkerError, type PoolOptions } from '../../src/parallel/pool.ts';
import { generateCapture } from '../../scripts/bench/generate.ts';
import { analyzeFile } from '../../src/analyze.ts';
import { DEFAULT_LIFECYCLE } from '../../src/tcp/lifecycle.ts';
import { synFlood } from '../fixtures/syn-flood.ts';

const dir = mkdtempSync(join(tmpdir(), 'synfin-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const flood = join(dir, 'flood.pcap');
writeFileSync(flood, synFlood(600_000));

describe('a parallel analysis whose worker fails', () => {
  it('rejects with the capture, the worker and the frame it reached, and delivers nothing more', async () => {
    const delivered: number[] = [];
    const pool = startPool({
      jobs: 2, input: 'flood.pcap', decode: {},
      engine: { lifecycle: DEFAULT_LIFECYCLE, compact: 'never', maxFlows: 10_000_000, idleTimeout: undefined },
      resourceLimits: { maxOldGenerationSizeMb: 48 },
    }, (r) => delivered.push(r.id));
    const run = async (): Promise<void> => {
      let frames = 0;
      try {
        for await (const batch of mergeCaptures([readCapture(flood, 0)])) {
          for (const frame of batch) {
            frames++;
            const d = decodeFrame(frame);
            if (d.ok) pool.segment(frame, d.segment);
          }
          await pool.batchEnd(frames, 'us');
        }
        await pool.finish(frames, 60, 'us');
      } finally {
        pool.close();
      }
    };
    const error = await run().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    const message = (error as Error).message;
    expect(message).toMatch(/^flood\.pcap: analysis worker [12] of 2 stopped (at frame [1-9]\d*|in its first batch of frames) \(.*\): no output, since it could not be whole/);
    // Every flow of the flood is an unanswered SYN still held: none had ended, so none was passed on.
    expect(delivered).toEqual([]);
  }, 60_000);
});

describe('a worker on the reading thread', () => {
  const generated = join(dir, 'generated.pcap');
  const chunks: Buffer[] = [];
  generateCapture({ seed: 5, packets: 20_000, concurrency: 200 }, { pcap: (c) => chunks.push(c) });
  writeFileSync(generated, Buffer.concat(chunks));

  /** Every flow the pool delivers, in order: its id and record, as JSON text or as an object. */
  async function delivered(options: Pick<PoolOptions, 'jobs' | 'readerAnalyses'>): Promise<string[]> {
    const out: string[] = [];
    const pool = startPool({
      ...options, input: 'generated.pcap', decode: {},
      engine: { lifecycle: DEFAULT_LIFECYCLE, compact: 'waiting', maxFlows: 10_000_000, idleTimeout: undefined },
    }, (r) => out.push(JSON.stringify(r)), (id, json) => out.push(`${id} ${json}`));
    let frames = 0;
    let now = 0;
    try {
      for await (const batch of mergeCaptures([readCapture(generated, 0)])) {
        for (const frame of batch) {
          frames++;
          now = frame.sec + frame.nsec / 1e9;
          const d = decodeFrame(frame);
          if (d.ok) pool.segment(frame, d.segment);
        }
        await pool.batchEnd(frames, 'us');
      }
      await pool.finish(frames, now, 'us');
    } finally {
      pool.close();
    }
    return out;
  }

  it.each([2, 3])('with %i jobs, delivers what as many worker threads do, flow for flow', async (jobs) => {
    const threads = await delivered({ jobs });
    const withReader = await delivered({ jobs, readerAnalyses: true });
    expect(withReader).toEqual(threads);
    // Not vacuous: every flow of the capture came through.
    expect(threads.length).toBe((await analyzeFile(generated)).flows.length);
  }, 60_000);
});
