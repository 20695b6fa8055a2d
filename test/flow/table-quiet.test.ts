/**
 * The flow table with FlowTableOptions.stableAfter, as the analysis runs it:
 * sweeps look only at flows that have been quiet long enough, finish those
 * that are done, park the rest (handing them to FlowHooks.park) and never ask
 * again until their next segment; a segment on a tuple whose flow is finished
 * starts a new flow whether or not a sweep ran first.
 */

import { describe, expect, it } from 'vitest';
import { ACK, SYN, type Segment } from '../../src/decode/segment.ts';
import { FlowTable, type FlowHooks } from '../../src/flow/table.ts';

const SEG: Segment = {
  frame: 0, sec: 0, nsec: 0, ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80,
  seq: 0, ack: 0, flags: ACK, window: 0, urgent: 0, headerLen: 20, payloadLen: 0, frameLen: 54, ipLen: 40,
  options: [], optionsError: undefined, truncated: false,
};

interface FakeFlow {
  readonly id: number;
  readonly frames: number[];
  /** Finished once quiet (the fake's stand-in for CLOSED/TIME_WAIT). */
  done: boolean;
  last: number;
}

let frame = 0;
const at = (sec: number, over: Partial<Segment> = {}): Segment => ({ ...SEG, frame: ++frame, sec, ...over });
const B = { srcPort: 40001 };
const C = { src: '2001:db8::1', dst: '2001:db8::2', ipVersion: 6 as const };

function table(stableAfter = 60) {
  const log: string[] = [];
  const finished: FakeFlow[] = [];
  const asked: number[] = [];
  const hooks: FlowHooks<FakeFlow> = {
    create: (_, id) => ({ id, frames: [], done: false, last: 0 }),
    update(flow, s) {
      flow.frames.push(s.frame);
      flow.last = s.sec;
    },
    startsNewIncarnation: (flow, s) => (s.flags & SYN) !== 0 && flow.frames.length > 0,
    isFinished(flow, now) {
      asked.push(flow.id);
      return now - flow.last >= stableAfter && flow.done;
    },
    park(flow) {
      log.push(`park ${flow.id}`);
      return { kept: flow };
    },
    wake(parked) {
      const flow = (parked as { kept: FakeFlow }).kept;
      log.push(`wake ${flow.id}`);
      return flow;
    },
  };
  const t = new FlowTable<FakeFlow>(hooks, (f) => finished.push(f), { stableAfter });
  return { t, log, finished, asked };
}

describe('FlowTable with stableAfter', () => {
  it('asks only about flows quiet for stableAfter, finishing or parking each', () => {
    const { t, log, finished, asked } = table();
    const a = t.route(at(0));
    const b = t.route(at(0, B));
    const c = t.route(at(50, C));
    a.done = true;
    t.sweep(59);
    expect(asked).toEqual([]);
    t.sweep(61);
    // a and b have been quiet 61 s: a is done, b is parked; c is too recent to ask about.
    expect(finished).toEqual([a]);
    expect(log).toEqual(['park 2']);
    expect(t.size).toBe(2);
    asked.length = 0;
    t.sweep(200);
    // b is parked: never asked again; c is asked once it has been quiet long enough.
    expect(asked).toEqual([c.id]);
    expect(log).toEqual(['park 2', 'park 3']);
    expect(b.frames).toHaveLength(1);
  });

  it('wakes a parked flow for its next segment, and at drain', () => {
    const { t, log, finished } = table();
    const a = t.route(at(0));
    t.route(at(0, B));
    t.sweep(100);
    expect(log).toEqual(['park 1', 'park 2']);
    expect(t.route(at(150))).toBe(a);
    expect(a.frames).toHaveLength(2);
    expect(log).toEqual(['park 1', 'park 2', 'wake 1']);
    // Awake again, a is swept again once quiet.
    t.sweep(300);
    expect(log).toEqual(['park 1', 'park 2', 'wake 1', 'park 1']);
    t.drain();
    expect(log.slice(-2)).toEqual(['wake 1', 'wake 2']);
    expect(finished.map((f) => f.id)).toEqual([1, 2]);
  });

  it('puts back a flow not yet quiet when its time comes, for when it will be', () => {
    const { t, finished, asked } = table();
    const a = t.route(at(0));
    a.done = true;
    t.route(at(40));
    asked.length = 0; // (route asks too, at each segment)
    t.sweep(61);
    expect(asked).toEqual([]);
    expect(finished).toEqual([]);
    t.sweep(100);
    expect(finished).toEqual([a]);
  });

  it('finishes a done flow when its tuple\'s next segment comes, whether a sweep ran or not', () => {
    const { t, finished } = table();
    const a = t.route(at(0));
    a.done = true;
    const next = t.route(at(500));
    expect(next).not.toBe(a);
    expect(next.id).toBe(2);
    expect(finished).toEqual([a]);
  });
});
