import { describe, expect, it } from 'vitest';

import { ACK, SYN, type Segment } from '../../src/decode/segment.ts';
import { flowKey } from '../../src/flow/key.ts';
import { FlowTable, type FlowHooks } from '../../src/flow/table.ts';

/** Template segment, overridden per row. */
const SEG: Segment = {
  frame: 0, sec: 0, nsec: 0, ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80,
  seq: 0, ack: 0, flags: ACK, window: 0, urgent: 0, headerLen: 20, payloadLen: 0, frameLen: 54, ipLen: 40,
  options: [], optionsError: undefined, truncated: false,
};

const A = { src: '10.0.0.1', srcPort: 40000, dst: '10.0.0.2', dstPort: 80 };
const A_BACK = { src: '10.0.0.2', srcPort: 80, dst: '10.0.0.1', dstPort: 40000 };
const B = { src: '10.0.0.1', srcPort: 40001, dst: '10.0.0.2', dstPort: 80 };
const C = { src: '2001:db8::1', srcPort: 50000, dst: '2001:db8::2', dstPort: 443, ipVersion: 6 as const };

/** A stand-in for the lifecycle engine's flow: it only remembers what it was given. */
interface FakeFlow {
  readonly id: number;
  readonly key: string;
  readonly previous: FakeFlow | undefined;
  readonly frames: number[];
  done: boolean;
}

let frame = 0;
const seg = (over: Partial<Segment>): Segment => ({ ...SEG, frame: ++frame, ...over });

/**
 * A table over fake hooks: a SYN on a flow that already saw segments starts a
 * new incarnation; `done` flows are finished. `log` records every hook call in order.
 */
function table(withIsFinished = true): { t: FlowTable<FakeFlow>; finished: FakeFlow[]; log: string[] } {
  const finished: FakeFlow[] = [];
  const log: string[] = [];
  const hooks: FlowHooks<FakeFlow> = {
    create(s, id, key, previous) {
      log.push(`create ${id} frame ${s.frame}`);
      return { id, key, previous, frames: [], done: false };
    },
    update(flow, s) {
      log.push(`update ${flow.id} frame ${s.frame}`);
      flow.frames.push(s.frame);
    },
    startsNewIncarnation(flow, s) {
      return (s.flags & SYN) !== 0 && flow.frames.length > 0;
    },
    ...(withIsFinished ? { isFinished: (flow: FakeFlow) => flow.done } : {}),
  };
  const t = new FlowTable<FakeFlow>(hooks, (flow) => {
    log.push(`finished ${flow.id}`);
    finished.push(flow);
  });
  return { t, finished, log };
}

describe('FlowTable.route', () => {
  it('numbers flows 1, 2, 3 in order of their first segment', () => {
    const { t } = table();
    const a = t.route(seg(A));
    const b = t.route(seg(B));
    t.route(seg(A_BACK));
    const c = t.route(seg(C));
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect(t.size).toBe(3);
  });

  it('routes both directions of a tuple to one flow, created once and updated with every segment', () => {
    const { t, log } = table();
    const first = seg(A);
    const f1 = t.route(first);
    const back = seg(A_BACK);
    const f2 = t.route(back);
    const again = seg(A);
    const f3 = t.route(again);
    expect(f2).toBe(f1);
    expect(f3).toBe(f1);
    expect(f1.key).toBe(flowKey(first));
    expect(f1.frames).toEqual([first.frame, back.frame, again.frame]);
    expect(t.size).toBe(1);
    // The first segment is handed to create and then replayed through update.
    expect(log).toEqual([`create 1 frame ${first.frame}`, `update 1 frame ${first.frame}`,
      `update 1 frame ${back.frame}`, `update 1 frame ${again.frame}`]);
  });

  it('routes IPv6 both ways too', () => {
    const { t } = table();
    const f = t.route(seg(C));
    expect(t.route(seg({ src: C.dst, srcPort: C.dstPort, dst: C.src, dstPort: C.srcPort, ipVersion: 6 }))).toBe(f);
  });

  it('starts a new generation when startsNewIncarnation says so, finishing the old one', () => {
    const { t, finished, log } = table();
    const old = t.route(seg(A));
    t.route(seg(A_BACK));
    const syn = seg({ ...A, flags: SYN });
    const next = t.route(syn);
    expect(next).not.toBe(old);
    expect(next.id).toBe(2);
    expect(next.key).toBe(old.key);
    expect(next.previous).toBe(old);
    expect(next.frames).toEqual([syn.frame]);
    expect(finished).toEqual([old]);
    expect(t.size).toBe(1);
    // Built before the old one is finished (taking over the tuple may end its
    // TIME_WAIT), then the SYN is replayed into the new one.
    expect(log.slice(-3)).toEqual([`create 2 frame ${syn.frame}`, 'finished 1', `update 2 frame ${syn.frame}`]);
    // Later segments of the tuple, either way, go to the new generation.
    expect(t.route(seg(A_BACK))).toBe(next);
    expect(old.frames).toHaveLength(2);
  });

  it('gives the next id to a new generation, after flows created in between', () => {
    const { t } = table();
    t.route(seg(A));
    t.route(seg(B));
    expect(t.route(seg({ ...A, flags: SYN })).id).toBe(3);
  });
});

describe('FlowTable.sweep', () => {
  it('finalises the flows isFinished says are done, and only those', () => {
    const { t, finished } = table();
    const a = t.route(seg(A));
    const b = t.route(seg(B));
    const c = t.route(seg(C));
    a.done = true;
    c.done = true;
    t.sweep(100);
    expect(finished).toEqual([a, c]);
    expect(t.size).toBe(1);
    t.sweep(200);
    expect(finished).toEqual([a, c]);
    // A swept tuple starts afresh, with no previous generation.
    const a2 = t.route(seg(A_BACK));
    expect(a2).not.toBe(a);
    expect(a2.previous).toBeUndefined();
    expect(a2.id).toBe(4);
    expect(t.route(seg(B))).toBe(b);
  });

  it('passes the time it is given to isFinished', () => {
    const seen: number[] = [];
    const t = new FlowTable<FakeFlow>({
      create: (_, id, key, previous) => ({ id, key, previous, frames: [], done: false }),
      update: () => {},
      startsNewIncarnation: () => false,
      isFinished: (_, now) => {
        seen.push(now);
        return now >= 60;
      },
    }, () => {});
    t.route(seg(A));
    t.sweep(59);
    expect(t.size).toBe(1);
    t.sweep(60);
    expect(t.size).toBe(0);
    expect(seen).toEqual([59, 60]);
  });

  it('does nothing without an isFinished hook', () => {
    const { t, finished } = table(false);
    t.route(seg(A)).done = true;
    t.sweep(1e9);
    expect(finished).toEqual([]);
    expect(t.size).toBe(1);
  });
});

describe('FlowTable.drain', () => {
  it('finalises every flow still held, in creation order, once', () => {
    const { t, finished } = table();
    const a = t.route(seg(A));
    const b = t.route(seg(B));
    const c = t.route(seg(C));
    b.done = true;
    t.sweep(1);
    t.drain();
    expect(finished).toEqual([b, a, c]);
    expect(t.size).toBe(0);
    t.drain();
    expect(finished).toHaveLength(3);
  });
});

describe('FlowTable end order', () => {
  it('drains in id order, so a reused tuple\'s new flow comes after a later tuple\'s (the same for any split of the tuples)', () => {
    const { t, finished } = table();
    const first = t.route(seg({ ...A, flags: SYN }));
    t.route(seg(A_BACK));
    const b = t.route(seg({ ...B, flags: SYN }));
    // A new incarnation on A's slot, which the table took before B's.
    const again = t.route(seg({ ...A, flags: SYN }));
    expect(again.id).toBe(3);
    t.drain();
    expect(finished).toEqual([first, b, again]);
  });

  it('numbers flows by their first frame when asked (a parallel analysis\'s workers)', () => {
    const finished: FakeFlow[] = [];
    const t = new FlowTable<FakeFlow>({
      create: (_s, id, key, previous) => ({ id, key, previous, frames: [], done: false }),
      update: () => undefined,
      startsNewIncarnation: () => false,
    }, (f) => finished.push(f), { ids: 'first-frame' });
    const a = t.route({ ...SEG, ...A, frame: 17 });
    const b = t.route({ ...SEG, ...B, frame: 40 });
    expect([a.id, b.id]).toEqual([17, 40]);
    expect(t.route({ ...SEG, ...A_BACK, frame: 41 })).toBe(a);
  });
});

describe('FlowTable slots', () => {
  it('routes like a plain map of tuples through growth, slot reuse and both address families, and drains in id order', () => {
    // 20,000 tuples (every seventh IPv6, some sharing addresses or ports),
    // segments in both directions at random, flows finished at random: each
    // segment must reach the flow a reference Map says it belongs to.
    const { t, finished } = table();
    const reference = new Map<string, FakeFlow>();
    const done = new Set<FakeFlow>();
    let seed = 12345;
    const rand = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const tuple = (i: number): Pick<Segment, 'src' | 'srcPort' | 'dst' | 'dstPort' | 'ipVersion'> => (i % 7 === 0
      ? { src: `2001:db8::${(i % 300).toString(16)}`, srcPort: 1024 + (i % 5000), dst: '2001:db8::ffff', dstPort: 443 + (i % 3), ipVersion: 6 }
      : { src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, srcPort: 1024 + (i % 977), dst: '192.0.2.1', dstPort: 80, ipVersion: 4 });
    for (let n = 0; n < 60_000; n++) {
      const i = n < 20_000 ? n : rand(20_000);
      const tu = tuple(i);
      const s = rand(2) === 0 ? seg(tu) : seg({ ...tu, src: tu.dst, srcPort: tu.dstPort, dst: tu.src, dstPort: tu.srcPort });
      const key = flowKey(s);
      const flow = t.route(s);
      const known = reference.get(key);
      if (known === undefined) reference.set(key, flow);
      else expect(flow).toBe(known);
      expect(flow.key).toBe(key);
      if (rand(50) === 0) {
        // Finished: the tuple's next segment starts a new flow.
        flow.done = true;
        done.add(flow);
        reference.delete(key);
      }
    }
    const doneHeld = [...done].filter((f) => !finished.includes(f));
    expect(finished.every((f) => f.done)).toBe(true);
    expect(t.size).toBe(reference.size + doneHeld.length);
    finished.length = 0;
    t.drain();
    expect(new Set(finished)).toEqual(new Set([...reference.values(), ...doneHeld]));
    // In the order the table took each tuple (a finished one's successor is taken anew): by id.
    const ids = finished.map((f) => f.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(t.size).toBe(0);
  });
});
