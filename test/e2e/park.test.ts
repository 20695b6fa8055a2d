/**
 * A flow the table parks (analyze.ts keeps it on disk through v8.serialize)
 * and wakes again must go on exactly as if it had stayed in memory. Here every
 * flow is parked and woken between every two of its segments, and the records
 * must equal those of the ordinary analysis, for every committed capture.
 */

import { readdirSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { mergeCaptures } from '../../src/capture/merge.ts';
import { readCapture } from '../../src/capture/open.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import { FlowTable } from '../../src/flow/table.ts';
import { feedSegment, openFlow } from '../../src/tcp/connection.ts';
import { DEFAULT_LIFECYCLE, isOver, startsNewIncarnation } from '../../src/tcp/lifecycle.ts';
import type { Flow } from '../../src/tcp/types.ts';
import { finishFlow, type FlowRecord } from '../../src/tcp/record.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => `captures/${f}`);

/** analyzeFiles' replay, with a sweep after every segment that parks every flow not finished. */
async function parkedEverywhere(file: string): Promise<FlowRecord[]> {
  const lc = { ...DEFAULT_LIFECYCLE, events: true };
  const records: FlowRecord[] = [];
  let now = 0;
  let parks = 0;
  const table = new FlowTable<Flow>({
    create: openFlow,
    update: (flow, seg) => feedSegment(flow, seg, lc),
    startsNewIncarnation,
    isFinished: (flow, t) => t - (flow.lastSec + flow.lastNsec / 1e9) >= 2 * lc.msl && isOver(flow, t, lc),
    park: (flow) => {
      parks++;
      return serialize(flow);
    },
    wake: (parked) => deserialize(parked as Buffer) as Flow,
  }, (flow) => records.push(finishFlow(flow, { options: lc, precision: 'us', captureEnd: now })), { stableAfter: -1 });
  for await (const batch of mergeCaptures([readCapture(file, 0)])) {
    for (const frame of batch) {
      const d = decodeFrame(frame);
      if (!d.ok) continue;
      now = d.segment.sec + d.segment.nsec / 1e9;
      table.route(d.segment);
      table.sweep(now);
    }
  }
  table.drain();
  expect(parks).toBeGreaterThan(0);
  return records.sort((a, b) => a.id - b.id);
}

describe('a parked and woken flow', () => {
  it.each(CAPTURES)('tells the same story: %s', async (file) => {
    const ordinary = await analyzeFile(file, { events: true });
    const parked = await parkedEverywhere(file);
    // Precision is the file's (all these are microsecond pcaps), as analyzeFile gives it.
    expect(ordinary.captures[0]!.precision).toBe('us');
    expect(JSON.stringify(parked)).toBe(JSON.stringify(ordinary.flows));
  });
});
