/**
 * `netstat --at` against the kernel: at the end of each kernel scenario it must
 * list, on each host, the sockets `ss -tanoi` listed there (same 4-tuples, same
 * states), except where the wire cannot know (test/e2e/wire-limits.ts). And the
 * rules of a moment: state after the last frame at or before it, TIME_WAIT gone
 * after 2 MSL, flows not yet begun absent, a reused 4-tuple's latest incarnation.
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import {
  addNs, captureDigits, captureSpan, countStates, filterSockets, formatNetstat, formatOverTime, formatOverTimeStreamed, formatSummary,
  FrameClock, NETSTAT_STATE, overTimeMoments, parseMoment, slimForNetstat, socketsAt, socketsAtStreamed, type FlowSource, type Moment,
} from '../../src/report/netstat.ts';
import { parseStamp } from '../../src/report/text.ts';
import type { EventRecord, FlowRecord } from '../../src/tcp/record.ts';
import { readSs, ssAddr } from '../e2e/ss.ts';
import { WIRE_CANNOT_KNOW } from '../e2e/wire-limits.ts';

const KERNEL = readdirSync('captures').filter((f) => f.endsWith('.ss.txt')).map((f) => f.replace(/\.ss\.txt$/, '')).sort();

/** Which ss namespace a local address belongs to (captures/README.md: client .1, server .2). */
function namespaceOf(addr: string): string {
  return addr === '10.99.0.1' || addr === 'fd00:99::1' ? 'client' : 'server';
}

function key(f: FlowRecord): string {
  return `${f.client.addr} ${f.client.port} ${f.server.addr} ${f.server.port}`;
}

describe.each(KERNEL)('%s: netstat at the last frame', (name) => {
  it('lists on each host the sockets ss listed there, in the same states', async () => {
    const r = await analyzeFile(`captures/${name}.pcap`, { events: true });
    const span = captureSpan(r.flows)!;
    const snap = socketsAt(r.flows, { kind: 'time', at: span.end });
    // What netstat shows, as (host, local, peer, state) rows.
    let ours = snap.sockets.map((s) => ({
      host: namespaceOf(s.host), local: ssAddr(s.localAddr, s.localPort), peer: ssAddr(s.foreignAddr, s.foreignPort), state: s.state as string,
    }));
    // Where the kernel knows better than the wire, take its word, per the shared list.
    const latest = new Map(r.flows.map((f) => [key(f), f]));
    for (const f of latest.values()) {
      const known = WIRE_CANNOT_KNOW[name]?.(f);
      if (known === undefined) continue;
      for (const side of ['client', 'server'] as const) {
        const state = known[side];
        if (state === undefined) continue;
        const local = ssAddr(f[side].addr, f[side].port);
        const other = side === 'client' ? f.server : f.client;
        ours = ours.filter((s) => !(s.local === local && s.peer === ssAddr(other.addr, other.port)));
        if (state !== 'CLOSED') ours.push({ host: namespaceOf(f[side].addr), local, peer: ssAddr(other.addr, other.port), state });
      }
    }
    const theirs = readSs(`captures/${name}.ss.txt`).map((s) => ({ host: s.host, local: s.local, peer: s.peer, state: s.state }));
    const order = (a: { host: string; local: string; peer: string }, b: typeof a): number =>
      `${a.host} ${a.local} ${a.peer}`.localeCompare(`${b.host} ${b.local} ${b.peer}`);
    expect(ours.sort(order)).toEqual(theirs.sort(order));
  });
});

describe('the moment', () => {
  it('parses frame:N, seconds since the first frame, and ISO times to the nanosecond', () => {
    const start = parseStamp('2026-11-26T02:12:34.838938Z')!;
    expect(parseMoment('frame:9', start)).toEqual({ kind: 'frame', frame: 9 });
    expect(parseMoment('0.000026', start)).toEqual({ kind: 'time', at: { sec: start.sec, nsec: 838964000 } });
    expect(parseMoment('1.5s', start)).toEqual({ kind: 'time', at: { sec: start.sec + 2, nsec: 338938000 } });
    expect(parseMoment('2026-11-26T02:12:34.9Z', start)).toEqual({ kind: 'time', at: { sec: start.sec, nsec: 900000000 } });
    expect(parseMoment('2026-11-26T02:12:34.9', start)).toEqual(parseMoment('2026-11-26T02:12:34.9Z', start));
    expect(parseMoment('yesterday', start)).toBeUndefined();
    expect(parseMoment('-1', start)).toBeUndefined();
  });

  it('reads the state after the last frame at or before the moment', async () => {
    const r = await analyzeFile('captures/lost-final-ack.pcap', { events: true });
    const states = (n: number): string[] => socketsAt(r.flows, { kind: 'frame', frame: n }).sockets.map((s) => `${s.side} ${NETSTAT_STATE[s.state]}`);
    expect(states(1)).toEqual(['client SYN_SENT']); // the server is still only a listener
    expect(states(2)).toEqual(['client SYN_SENT', 'server SYN_RECV']);
    expect(states(8)).toEqual(['client FIN_WAIT1', 'server CLOSE_WAIT']);
    expect(states(9)).toEqual(['client FIN_WAIT2', 'server CLOSE_WAIT']);
    expect(states(10)).toEqual(['client TIME_WAIT', 'server LAST_ACK']);
    expect(states(11)).toEqual(['client TIME_WAIT']);
    // By time: just before frame 10 (at 0.152794 s) the server is still in CLOSE_WAIT.
    const start = captureSpan(r.flows)!.start;
    const before = socketsAt(r.flows, { kind: 'time', at: addNs(start, 152_793_000) });
    expect(before.frame).toBe(9);
    expect(before.sockets.map((s) => s.state)).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
    const at = socketsAt(r.flows, { kind: 'time', at: addNs(start, 152_794_000) });
    expect(at.frame).toBe(10);
  });

  it('says how long each socket has been in its state, from the frame that put it there', async () => {
    const r = await analyzeFile('captures/stuck-close-wait.pcap', { events: true });
    const snap = socketsAt(r.flows, { kind: 'frame', frame: 9 });
    const server = snap.sockets.find((s) => s.side === 'server')!;
    expect(server.sinceFrame).toBe(8);
    expect(formatNetstat(snap)).toMatch(/tcp {9}- {7}- {2}10\.99\.0\.2:9505 {2}10\.99\.0\.1:41005 {2}CLOSE_WAIT {2}42\.9 ms \(since frame 8\)/);
  });

  it('lists nothing for a flow whose first frame comes after the moment', async () => {
    const r = await analyzeFile('captures/accept-queue-full.pcap', { events: true });
    const snap = socketsAt(r.flows, { kind: 'frame', frame: 3 });
    expect(new Set(snap.sockets.map((s) => s.flow))).toEqual(new Set([1]));
  });

  it('drops a TIME_WAIT older than 2 MSL', async () => {
    const r = await analyzeFile('captures/normal-close-client.pcap', { events: true });
    const end = captureSpan(r.flows)!.end;
    expect(socketsAt(r.flows, { kind: 'time', at: end }).sockets.map((s) => s.state)).toEqual(['TIME_WAIT']);
    expect(socketsAt(r.flows, { kind: 'time', at: addNs(end, 59e9) }).sockets.map((s) => s.state)).toEqual(['TIME_WAIT']);
    expect(socketsAt(r.flows, { kind: 'time', at: addNs(end, 61e9) }).sockets).toEqual([]);
    expect(socketsAt(r.flows, { kind: 'time', at: addNs(end, 11e9) }, { msl: 5 }).sockets).toEqual([]);
  });

  it('shows only the latest incarnation of a reused 4-tuple', async () => {
    const r = await analyzeFile('captures/tuple-reuse.pcap', { events: true });
    expect(socketsAt(r.flows, { kind: 'frame', frame: 11 }).sockets.map((s) => [s.flow, s.side, s.state])).toEqual([[1, 'server', 'TIME_WAIT']]);
    expect(socketsAt(r.flows, { kind: 'frame', frame: 12 }).sockets.map((s) => [s.flow, s.side, s.state])).toEqual([[2, 'client', 'SYN_SENT']]);
  });
});

describe('tables', () => {
  it('netstat -ant layout, netstat spellings, one table per host, - for the queues', async () => {
    const r = await analyzeFile('captures/accept-queue-full.pcap', { events: true });
    const snap = socketsAt(r.flows, { kind: 'time', at: captureSpan(r.flows)!.end });
    const text = formatNetstat(snap);
    expect(text).toMatch(/^At 2026-11-26T02:12:52\.666905Z \(4\.148775 s into the capture, after frame 15\)\./);
    expect(text).toContain('Active Internet connections on 10.99.0.1\nProto  Recv-Q  Send-Q  Local Address    Foreign Address  State        Time in state\n');
    expect(text).toMatch(/10\.99\.0\.2:9519 {2}10\.99\.0\.1:41219 {2}SYN_RECV/);
    const one = formatNetstat(snap, { filter: { host: '10.99.0.2' } });
    expect(one).not.toContain('on 10.99.0.1');
    expect(filterSockets(snap.sockets, { state: 'SYN_RECEIVED' })).toHaveLength(1);
    expect(filterSockets(snap.sockets, { port: 41019 })).toHaveLength(2);
  });

  it('IPv6 sockets are tcp6 with netstat\'s unbracketed addresses', async () => {
    const r = await analyzeFile('captures/ipv6-normal-close.pcap', { events: true });
    const text = formatNetstat(socketsAt(r.flows, { kind: 'time', at: captureSpan(r.flows)!.end }));
    expect(text).toMatch(/tcp6 +- +- +fd00:99::1:41018 +fd00:99::2:9518 +TIME_WAIT/);
  });

  it('--summary counts per state and host; --over-time shows the TIME_WAIT pile-up', async () => {
    const r = await analyzeFile('captures/concurrent-200.pcap', { events: true });
    const span = captureSpan(r.flows)!;
    const snap = socketsAt(r.flows, { kind: 'time', at: span.end });
    expect(countStates(snap.sockets)).toEqual({ TIME_WAIT: 200 });
    expect(formatSummary(snap)).toMatch(/HOST +TOTAL +TIME_WAIT\n10\.99\.0\.1 +200 +200\n10\.99\.0\.2 +0 +0\nall hosts +200 +200\n$/);
    const moments = overTimeMoments(span.start, span.end);
    expect(moments).toHaveLength(10);
    expect(moments[9]).toEqual(span.end);
    const table = formatOverTime(r.flows, moments).trimEnd().split('\n');
    expect(table[1]).toMatch(/^TIME \(s\) +FRAME +TOTAL +ESTABLISHED +FIN_WAIT1 +CLOSE_WAIT +TIME_WAIT$/);
    expect(table[2]).toMatch(/ 400 +400 +0 +0 +0$/);
    expect(table[11]).toMatch(/2000 +200 +0 +0 +0 +200$/);
    expect(overTimeMoments(span.start, span.end, 0.02)).toHaveLength(4);
  });
});

describe('FrameClock', () => {
  /** `n` frames in flows of 7, added flow by flow out of frame order, times mostly rising (`back`: some go back). */
  function frames(n: number, back: boolean): { frame: number; sec: number; nsec: number }[] {
    let seed = 5;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    return Array.from({ length: n }, (_, i) => {
      const ns = i * 1_300_000 + (back && next() < 0.05 ? -Math.floor(next() * 40_000_000) : 0);
      return { frame: i + 1, sec: 1795651200 + Math.floor(ns / 1e9), nsec: ((ns % 1e9) + 1e9) % 1e9 };
    });
  }
  const iso = (sec: number, nsec: number): string => `${new Date(sec * 1000).toISOString().slice(0, 19)}.${String(nsec).padStart(9, '0')}Z`;
  /** What lastAt must say, from every frame held. */
  function expected(held: readonly { frame: number; sec: number; nsec: number }[], m: Moment): { frame: number; at: { sec: number; nsec: number } } | undefined {
    let best: (typeof held)[number] | undefined;
    for (const f of held) {
      const ok = m.kind === 'frame' ? f.frame <= m.frame : f.sec < m.at.sec || (f.sec === m.at.sec && f.nsec <= m.at.nsec);
      if (ok && (best === undefined || f.frame > best.frame)) best = f;
    }
    if (best === undefined) return undefined;
    return { frame: best.frame, at: m.kind === 'frame' ? { sec: best.sec, nsec: best.nsec } : m.at };
  }

  it.each([[false], [true]])('gives the last frame at or before any moment, over many blocks set aside on disk (times going back: %s)', (back) => {
    const held = frames(30_000, back).filter((f) => f.frame % 11 !== 3); // some frames no flow holds
    const clock = new FrameClock();
    const flows: (typeof held)[] = [];
    for (let i = 0; i < held.length; i += 7) flows.push(held.slice(i, i + 7));
    // Flows end out of order: every third one late.
    for (const flow of [...flows.filter((_, i) => i % 3 !== 0), ...flows.filter((_, i) => i % 3 === 0)]) {
      clock.add(flow.map((f) => ({ frame: f.frame, time: iso(f.sec, f.nsec) }) as EventRecord));
    }
    const first = held[0]!;
    const last = held[held.length - 1]!;
    const moments: Moment[] = [
      { kind: 'frame', frame: 0 }, { kind: 'frame', frame: 3 }, { kind: 'frame', frame: 12_345 }, { kind: 'frame', frame: 40_000 },
      { kind: 'time', at: { sec: first.sec - 1, nsec: 0 } }, { kind: 'time', at: { sec: first.sec, nsec: first.nsec } },
      { kind: 'time', at: { sec: last.sec + 1, nsec: 0 } },
      ...Array.from({ length: 40 }, (_, k) => ({ kind: 'time' as const, at: { sec: first.sec + Math.floor(k * 0.97), nsec: (k * 123_456_789) % 1e9 } })),
    ];
    const each = clock.lastAtEach(moments);
    moments.forEach((m, k) => {
      expect(each[k]).toEqual(expected(held, m));
      expect(clock.lastAt(m)).toEqual(expected(held, m));
    });
    expect(each.filter((x) => x !== undefined).length).toBeGreaterThan(40);
    clock.close();
  });
});

describe('netstat from slimmed flows (what the command holds) answers as from whole records', () => {
  const captures = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();
  it.each(captures)('%s: every frame moment, and over time', async (name) => {
    const r = await analyzeFile(`captures/${name}.pcap`, { events: true });
    const clock = new FrameClock();
    for (const f of [...r.flows].reverse()) clock.add(f.events ?? []);
    const slim = r.flows.map(slimForNetstat);
    expect(slim.reduce((n, f) => n + f.events!.length, 0)).toBeLessThanOrEqual(r.flows.reduce((n, f) => n + f.events!.length, 0));
    const span = captureSpan(r.flows)!;
    const frames = [...new Set(r.flows.flatMap((f) => f.events!.map((e) => e.frame)))].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(frames.length / 40));
    for (const frame of [0, ...frames.filter((_, i) => i % step === 0), frames[frames.length - 1]! + 1]) {
      const moment = { kind: 'frame' as const, frame };
      expect(formatNetstat(socketsAt(slim, moment, { clock }), { start: span.start })).toBe(formatNetstat(socketsAt(r.flows, moment), { start: span.start }));
    }
    const moments = overTimeMoments(span.start, span.end, undefined);
    expect(formatOverTime(slim, moments, { clock, start: span.start })).toBe(formatOverTime(r.flows, moments, { start: span.start }));
    // Read from a source twice over, as the command reads its spool, the same again.
    const source: FlowSource = async (visit) => { for (const f of slim) visit(JSON.parse(JSON.stringify(f)) as FlowRecord); };
    const streamed = { clock, start: span.start, digits: captureDigits(r.flows) };
    for (const moment of [{ kind: 'frame' as const, frame: frames[frames.length >> 1]! }, { kind: 'time' as const, at: span.end }]) {
      expect(formatNetstat(await socketsAtStreamed(source, moment, streamed), { start: span.start })).toBe(formatNetstat(socketsAt(r.flows, moment), { start: span.start }));
    }
    expect(await formatOverTimeStreamed(source, moments, { ...streamed, filter: { state: 'TIME_WAIT' } }))
      .toBe(formatOverTime(r.flows, moments, { start: span.start, filter: { state: 'TIME_WAIT' } }));
  });
});

describe('the timeline netstat analyses with (eventFrames: states): what it reads of the whole one', () => {
  const captures = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();
  let thinner = 0;
  it.each(captures)('%s: the same records but for the timeline, the same slim flows, every frame\'s time as the whole timeline reads back', async (name) => {
    const whole = await analyzeFile(`captures/${name}.pcap`, { events: true });
    const states = await analyzeFile(`captures/${name}.pcap`, { events: true, eventFrames: 'states' });
    expect(states.flows).toHaveLength(whole.flows.length);
    const fromEvents = new FrameClock();
    const fromTimes = new FrameClock();
    for (let i = 0; i < whole.flows.length; i++) {
      const { events: all = [], ...rest } = whole.flows[i]!;
      const { events: kept = [], frame_times: times = [], ...same } = states.flows[i]!;
      expect(same, `flow ${i + 1}`).toEqual(rest);
      // The entries a change of state, the first or the last, each as the whole timeline has it, notes and all.
      expect(kept, `flow ${i + 1}`).toEqual(all.filter((e, k) => k === 0 || k === all.length - 1 || e.client !== all[k - 1]!.client || e.server !== all[k - 1]!.server));
      expect(slimForNetstat(states.flows[i]!)).toEqual(slimForNetstat(whole.flows[i]!));
      const read = all.map((e) => { const t = parseStamp(e.time)!; return [e.frame, t.sec, t.nsec]; }).flat();
      expect(times, `flow ${i + 1}`).toEqual(read);
      if (kept.length < all.length) thinner++;
      fromEvents.add(all);
      fromTimes.addFrameTimes(times);
    }
    const span = captureSpan(whole.flows);
    if (span === undefined) return;
    const last = Math.max(0, ...whole.flows.map((f) => f.last_frame));
    const moments: Moment[] = [
      ...Array.from({ length: Math.min(last + 2, 60) }, (_, k) => ({ kind: 'frame' as const, frame: Math.round((k * (last + 1)) / 59) })),
      ...overTimeMoments(span.start, span.end, undefined).map((at) => ({ kind: 'time' as const, at })),
    ];
    expect(fromTimes.lastAtEach(moments)).toEqual(fromEvents.lastAtEach(moments));
    fromEvents.close();
    fromTimes.close();
  });
  it('is thinner than the whole timeline (so the comparison above is not between two equal things)', () => {
    expect(thinner).toBeGreaterThan(50);
  });
});
