/**
 * `explain --flow/--host/--port` keeps a timeline only for the flows its
 * filter can choose by their id and tuple (LifecycleOptions.timelineOf):
 * every record must be the one the whole analysis gives, with its timeline
 * where the choice holds and without one where it does not, on one thread
 * and with workers (which number their own flows, so choose by tuple only).
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { EXPLAIN_EVENTS } from '../../src/tcp/lifecycle.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';
import type { TimelineChoice } from '../../src/tcp/types.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();

function chosen(f: FlowRecord, c: TimelineChoice): boolean {
  return (c.ids === undefined || c.ids.includes(f.id))
    && (c.host === undefined || f.client.addr === c.host || f.server.addr === c.host)
    && (c.port === undefined || f.client.port === c.port || f.server.port === c.port);
}

function withoutTimeline(f: FlowRecord): FlowRecord {
  const { events: _events, events_omitted: _omitted, ...rest } = f;
  return rest;
}

const tally = { chosen: 0, left: 0 };

describe.each(CAPTURES)('%s', (name) => {
  const path = `captures/${name}.pcap`;
  it('keeps the timeline of exactly the flows chosen by id, host and port, and changes nothing else', async () => {
    const whole = await analyzeFile(path, { events: true, eventsKept: EXPLAIN_EVENTS });
    const first = whole.flows[0];
    if (first === undefined) return;
    const choices: TimelineChoice[] = [
      { ids: [1, 3] }, { host: first.server.addr }, { port: first.client.port }, { ids: [2, 4], port: first.server.port },
    ];
    for (const choice of choices) {
      for (const jobs of [1, 2]) {
        // Workers number their own flows: analyze.ts gives them the choice without its ids.
        const effective = jobs === 1 ? choice : { ...choice, ids: undefined };
        const part = await analyzeFile(path, { events: true, eventsKept: EXPLAIN_EVENTS, timelineOf: choice, jobs });
        expect(part.summary).toEqual(whole.summary);
        expect(part.flows).toHaveLength(whole.flows.length);
        whole.flows.forEach((f, i) => {
          const keeps = chosen(f, effective);
          expect(part.flows[i], `${JSON.stringify(choice)} jobs ${jobs} flow ${f.id}`).toEqual(keeps ? f : withoutTimeline(f));
          if (jobs === 1) tally[keeps ? 'chosen' : 'left']++;
        });
      }
    }
  });
});

describe('the choice above', () => {
  it('both kept and left out timelines (so it compared something)', () => {
    expect(tally.chosen).toBeGreaterThan(100);
    expect(tally.left).toBeGreaterThan(100);
  });
});
