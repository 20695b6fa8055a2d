/**
 * A flow the table parks (tcp/compact.ts setAside: as its packed segments, or
 * as its state written down by tcp/snapshot.ts) and wakes again must go on
 * exactly as if it had stayed in memory. Here every flow is parked as its
 * state and woken between every two of its segments, and the records must
 * equal those of the ordinary analysis, for every committed capture.
 * (test/e2e/compact.test.ts does the same through the analysis's own hooks,
 * packed segments and state alike.)
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { mergeCaptures } from '../../src/capture/merge.ts';
import { readCapture } from '../../src/capture/open.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import type { Segment } from '../../src/decode/segment.ts';
import { FlowTable } from '../../src/flow/table.ts';
import { feedSegment, openFlow } from '../../src/tcp/connection.ts';
import { DEFAULT_LIFECYCLE, isOver, startsNewIncarnation } from '../../src/tcp/lifecycle.ts';
import { restoreFlow, snapshotFlow } from '../../src/tcp/snapshot.ts';
import type { Flow } from '../../src/tcp/types.ts';
import { finishFlow, type FlowRecord } from '../../src/tcp/record.ts';
import { createEngine } from '../../src/engine.ts';
import type { CompactPolicy } from '../../src/tcp/compact.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => `captures/${f}`);

/** Each TCP segment of the capture, in order. */
async function eachSegment(file: string, visit: (seg: Segment) => void): Promise<void> {
  for await (const batch of mergeCaptures([readCapture(file, 0)])) {
    for (const frame of batch) {
      const d = decodeFrame(frame);
      if (d.ok) visit(d.segment);
    }
  }
}

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
      return snapshotFlow(flow);
    },
    wake: (parked) => restoreFlow(parked as string),
  }, (flow) => records.push(finishFlow(flow, { options: lc, precision: 'us', captureEnd: now })), { stableAfter: -1 });
  await eachSegment(file, (seg) => {
    now = seg.sec + seg.nsec / 1e9;
    table.route(seg);
    table.sweep(now);
  });
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

/**
 * The analysis's own engine, swept after every segment with a 1 ms MSL: every
 * flow quiet for 2 ms and not over is parked by its hooks (compact.ts
 * setAside: its packed segments, or its state when it packs none).
 */
async function engineParkingEverywhere(file: string, compact: CompactPolicy): Promise<FlowRecord[]> {
  const records: FlowRecord[] = [];
  let now = 0;
  const engine = createEngine({
    lifecycle: { ...DEFAULT_LIFECYCLE, msl: 0.001, events: true }, compact, maxFlows: 1_000_000, idleTimeout: undefined,
    now: () => now, precision: () => 'us', ended: (record) => records.push(record),
  });
  try {
    await eachSegment(file, (seg) => {
      now = seg.sec + seg.nsec / 1e9;
      engine.route(seg);
      engine.sweep(now);
    });
    while (!engine.drain(1024));
  } finally {
    engine.close();
  }
  return records.sort((a, b) => a.id - b.id);
}

describe('a flow parked by the analysis\'s own hooks', () => {
  // `never` packs nothing, so every parked flow is held as its state; `waiting` parks short ones as their segments.
  it.each(CAPTURES.flatMap((f) => [[f, 'never'], [f, 'waiting']] as const))('tells the same story: %s (%s)', async (file, compact) => {
    const ordinary = await analyzeFile(file, { events: true, msl: 0.001 });
    expect(JSON.stringify(await engineParkingEverywhere(file, compact))).toBe(JSON.stringify(ordinary.flows));
  });
});
