/**
 * A flow held as its state (tcp/snapshot.ts) must read back as the very flow
 * that was written: every property, the endpoints each other's peers, Zeek's
 * originator the endpoint it was. test/e2e/compact.test.ts holds whole
 * analyses equal with every flow held so after every segment; this holds the
 * state itself equal, for every flow of every committed capture, after every
 * one of its segments.
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeCaptures } from '../../src/capture/merge.ts';
import { readCapture } from '../../src/capture/open.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import { flowKey } from '../../src/flow/key.ts';
import { appendSegment, newPackLog, packLogFrom, packLogText } from '../../src/flow/pack.ts';
import { feedSegment, openFlow } from '../../src/tcp/connection.ts';
import { DEFAULT_LIFECYCLE } from '../../src/tcp/lifecycle.ts';
import { restoreFlow, snapshotFlow } from '../../src/tcp/snapshot.ts';
import type { Flow } from '../../src/tcp/types.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng')).map((f) => `captures/${f}`);

/** Every flow of the capture, replayed with the per-frame timeline, each compared with its own snapshot after each segment. */
async function checkEverySegment(file: string): Promise<number> {
  const opts = { ...DEFAULT_LIFECYCLE, events: true };
  const flows = new Map<string, Flow>();
  let checked = 0;
  for await (const batch of mergeCaptures([readCapture(file, 0)])) {
    for (const frame of batch) {
      const d = decodeFrame(frame);
      if (!d.ok) continue;
      const seg = d.segment;
      const key = flowKey(seg);
      let flow = flows.get(key);
      if (flow === undefined) flows.set(key, (flow = openFlow(seg, flows.size + 1, key, undefined)));
      feedSegment(flow, seg, opts);
      const back = restoreFlow(snapshotFlow(flow));
      expect(back).toStrictEqual(flow);
      expect(back.client.peer).toBe(back.server);
      expect(back.server.peer).toBe(back.client);
      expect(back.zeek.orig === back.zeek.first).toBe(flow.zeek.orig === flow.zeek.first);
      expect(back.zeek.resp === back.zeek.second).toBe(flow.zeek.resp === flow.zeek.second);
      // Read back, it replays on as the original does.
      flows.set(key, back);
      checked++;
    }
  }
  return checked;
}

describe('a flow\'s state, written down and read back', () => {
  for (const file of CAPTURES) {
    it(`${file}: every flow after every segment`, async () => {
      expect(await checkEverySegment(file)).toBeGreaterThan(0);
    });
  }

  it('writes a log of segments being appended to as its text form, which packs on the same', () => {
    const seg = { frame: 1, sec: 1, nsec: 0, ipVersion: 4 as const, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, seq: 1, ack: 0,
      flags: 0x02, window: 64240, urgent: 0, headerLen: 20, payloadLen: 0, frameLen: 54, ipLen: 40, options: [], optionsError: undefined, truncated: false };
    const flow = openFlow(seg, 1, flowKey(seg), undefined);
    feedSegment(flow, seg, DEFAULT_LIFECYCLE);
    const log = newPackLog();
    expect(appendSegment(log, seg, true)).toBe(true);
    flow.packed = log;
    const back = restoreFlow(snapshotFlow(flow));
    expect(back.packed).toBe(packLogText(log));
    expect(packLogText(packLogFrom(back.packed as string))).toBe(packLogText(log));
  });
});
