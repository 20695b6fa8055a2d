/**
 * A flow held as its packed segments (tcp/compact.ts) is rebuilt by replaying
 * them whenever anything needs it, and a done one is finished when it is done
 * and only settled when printed; a flow held as its state (tcp/snapshot.ts)
 * is read back. That must change nothing: here every flow is compacted after
 * every segment it gets (and, in the second run, its packed form goes through
 * the on-disk stash; in the third, every flow is held as its state), and the
 * whole analysis must equal the one that never compacts, for every committed
 * capture and the crafted ones, with TIME_WAITs outliving the capture and
 * with every one running out.
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { writeTmp } from '../capture/build.ts';
import { synFlood } from '../fixtures/syn-flood.ts';

const CAPTURES = [
  ...readdirSync('captures').filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng')).map((f) => `captures/${f}`),
  // Sliced packets (Segment.missingLen) must come back from the packed form too.
  ...readdirSync('captures/malformed').map((f) => `captures/malformed/${f}`),
  // ICMP errors in flows: one error is both in the flow's list and the attempt's end, and is found by identity.
  ...readdirSync('captures/icmp').filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng')).map((f) => `captures/icmp/${f}`),
];

describe('compact flows', () => {
  it('covers the committed captures', () => {
    expect(CAPTURES.length).toBeGreaterThan(30);
  });

  for (const file of CAPTURES) {
    it(`${file}: compacting every flow after every segment changes no record`, async () => {
      const never = await analyzeFile(file, { compact: 'never', events: true });
      const always = await analyzeFile(file, { compact: 'always', events: true });
      const onDisk = await analyzeFile(file, { compact: 'always-on-disk', events: true });
      // Every flow held as its state (tcp/snapshot.ts) after every segment, and read back for the next.
      const state = await analyzeFile(file, { compact: 'state', events: true });
      const waiting = await analyzeFile(file, { events: true });
      expect(always).toStrictEqual(never);
      expect(onDisk).toStrictEqual(never);
      expect(state).toStrictEqual(never);
      expect(waiting).toStrictEqual(never);
    });

    // A done flow's record is made when it is done and settled when printed:
    // with a 1 ms MSL every TIME_WAIT runs out within the capture, so the
    // settled record (CLOSED, by sweep or at the end) is what is compared.
    it(`${file}: records made when flows are done settle as a replay would, TIME_WAITs run out`, async () => {
      const never = await analyzeFile(file, { compact: 'never', events: true, msl: 0.001 });
      const always = await analyzeFile(file, { compact: 'always', events: true, msl: 0.001 });
      const state = await analyzeFile(file, { compact: 'state', events: true, msl: 0.001 });
      const waiting = await analyzeFile(file, { events: true, msl: 0.001 });
      expect(always).toStrictEqual(never);
      expect(state).toStrictEqual(never);
      expect(waiting).toStrictEqual(never);
    });
  }

  it('--max-flows counts a compact flow as 1/16: 300 unanswered SYNs fit in 20', async () => {
    // crafted-syn-flood: 300 spoofed SYNs, 64 of them answered. Held replayed,
    // 20 flows would evict 280; held compact (they wait for an answer), none.
    const compact = await analyzeFile('captures/crafted-syn-flood.pcap', { maxFlows: 20, compact: 'always' });
    const replayed = await analyzeFile('captures/crafted-syn-flood.pcap', { maxFlows: 20, compact: 'never' });
    expect(compact.summary.anomalies['flow-evicted']).toBeUndefined();
    expect(replayed.summary.anomalies['flow-evicted']).toBeGreaterThan(200);
    expect(compact.summary.flows).toBe(300);
    expect({ ...compact, flows: undefined, summary: { ...compact.summary, anomalies: {} } })
      .toStrictEqual({ ...replayed, flows: undefined, summary: { ...replayed.summary, anomalies: {} } });
  });

  it('by default, unanswered SYNs wait compactly: 40,000 fit in --max-flows 5000', async () => {
    // Compact, they weigh 40,000 / 16 = 2,500. Never compacting, 35,000 are evicted.
    const path = writeTmp('syn-flood-40k.pcap', synFlood(40_000));
    const byDefault = await analyzeFile(path, { maxFlows: 5_000 });
    const never = await analyzeFile(path, { maxFlows: 5_000, compact: 'never' });
    expect(byDefault.summary.flows).toBe(40_000);
    expect(byDefault.summary.anomalies).toEqual({ 'syn-unanswered': 40_000 });
    expect(never.summary.anomalies['flow-evicted']).toBe(35_000);
    expect(byDefault.summary.syn_floods?.[0]).toMatchObject({ flows: 40_000, sources: 157, unanswered: 40_000 });
  }, 60_000);
});
