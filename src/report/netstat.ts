/**
 * `synfin netstat`: what `netstat -ant` would have listed on each host at a
 * moment of the capture. Read from the flows' per-frame events (the state each
 * endpoint was in after each frame), not replayed again: an endpoint's state
 * at T is its state after the last frame at or before T.
 *
 * What the wire cannot show is said so: Recv-Q and Send-Q are `-`; listening
 * sockets are not listed (a LISTEN endpoint in a flow is the listener, not a
 * connection socket, and a capture cannot say what else listens); a socket
 * that is CLOSED is gone, as netstat does not list it; a TIME_WAIT older than
 * 2 MSL has expired.
 */

import { canonicalAddr } from '../decode/address.ts';
import { createStash, type Stash, type StashRef } from '../spool/stash.ts';
import { Column, int32 } from './column.ts';
import type { AnomalyRecord, EndpointRecord, EventRecord, FlowRecord } from '../tcp/record.ts';
import type { TcpState } from '../tcp/transitions.ts';
import { PLAIN, statePaint, type Painter } from './color.ts';
import {
  alignColumns, compareStamps, durationText, fractionDigits, grouped, nsBetween, parseStamp,
  secondsFixed, type Cell, type Stamp,
} from './text.ts';

/** netstat's spelling of each state (net-tools' tcp_state[]). */
export const NETSTAT_STATE: Record<TcpState, string> = {
  UNKNOWN: 'UNKNOWN', CLOSED: 'CLOSE', LISTEN: 'LISTEN', SYN_SENT: 'SYN_SENT', SYN_RECEIVED: 'SYN_RECV',
  ESTABLISHED: 'ESTABLISHED', FIN_WAIT_1: 'FIN_WAIT1', FIN_WAIT_2: 'FIN_WAIT2', CLOSE_WAIT: 'CLOSE_WAIT',
  CLOSING: 'CLOSING', LAST_ACK: 'LAST_ACK', TIME_WAIT: 'TIME_WAIT',
};

/** The states netstat lists for connection sockets, in the order the summaries print them. */
export const LISTED_STATES: readonly TcpState[] = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECEIVED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'UNKNOWN',
];

/** A moment of the capture: a time, or "just after frame N". */
export type Moment = { readonly kind: 'time'; readonly at: Stamp } | { readonly kind: 'frame'; readonly frame: number };

/** One connection socket on one host. */
export interface SocketRow {
  /** The host it lives on: its local address. */
  readonly host: string;
  readonly proto: 'tcp' | 'tcp6';
  readonly localAddr: string;
  readonly localPort: number;
  readonly foreignAddr: string;
  readonly foreignPort: number;
  readonly state: TcpState;
  /** The frame that put it in this state, and when. */
  readonly sinceFrame: number;
  readonly since: Stamp;
  readonly flow: number;
  readonly side: 'client' | 'server';
}

/** Every host's sockets at one moment. */
export interface Snapshot {
  /** The moment's time (for `frame:N`, the time of the last frame at or before N). */
  readonly at: Stamp;
  /** The last TCP frame at or before the moment (undefined before the first). */
  readonly frame: number | undefined;
  /** The capture's first TCP frame, for "N s into the capture". */
  readonly start: Stamp | undefined;
  /** Fraction digits of the capture's timestamps. */
  readonly digits: number;
  /** Every host seen up to the moment, in order of first appearance. */
  readonly hosts: string[];
  readonly sockets: SocketRow[];
}

/** Options of {@link socketsAt}. */
export interface SnapshotOptions {
  /** MSL in seconds (TIME_WAIT lasts 2 MSL); default 30. */
  readonly msl?: number;
  /**
   * Every frame of the flows, when their events were slimmed to the changes
   * of state (slimForNetstat): it gives the moment's last frame and time,
   * which slim events alone would get wrong.
   */
  readonly clock?: FrameClock;
}

/**
 * The frames of the flows netstat reads and their times, so that a capture's
 * flows can be held slimmed to their changes of state (slimForNetstat) and
 * the moment's last frame still be exact. They are set aside on disk as they
 * come (16 bytes a frame, in a stash) and read back in one pass per
 * question, however many moments it asks about: memory does not follow the
 * capture's length. (Held by frame number in memory, 12 bytes a frame of the
 * capture and a sorted copy, they and the tables by tuple that TupleCensus now
 * trims were what `netstat --over-time` grew by: 304 MB at 2x the bench
 * capture against 225 MB at 1x; 191 against 183 MB without.) A frame no flow
 * holds (not TCP, or filtered out) has no time. Each frame is added once (a
 * frame is one flow's).
 */
export class FrameClock {
  private stash: Stash | undefined;
  /** Blocks set aside, in the order added. */
  private readonly blocks: StashRef[] = [];
  /** Frames added since the last block was set aside. */
  private readonly block = Buffer.allocUnsafe(CLOCK_BLOCK);
  private used = 0;

  /** Adds a flow's frames (its full events, before slimming). */
  add(events: readonly EventRecord[]): void {
    for (const e of events) {
      if (this.used === CLOCK_BLOCK) this.setAside();
      const t = stampOf(e.time);
      const b = this.block;
      b.writeUInt32LE(e.frame, this.used);
      b.writeUInt32LE(t.nsec, this.used + 4);
      b.writeDoubleLE(t.sec, this.used + 8);
      this.used += CLOCK_ENTRY;
    }
  }

  /** Adds a flow's frames as FlowRecord.frame_times gives them (three numbers a frame: its number, seconds, nanoseconds). */
  addFrameTimes(times: readonly number[]): void {
    for (let i = 0; i + 2 < times.length; i += 3) {
      if (this.used === CLOCK_BLOCK) this.setAside();
      const b = this.block;
      b.writeUInt32LE(times[i]!, this.used);
      b.writeUInt32LE(times[i + 2]!, this.used + 4);
      b.writeDoubleLE(times[i + 1]!, this.used + 8);
      this.used += CLOCK_ENTRY;
    }
  }

  /** The last frame at or before the moment, and when it came; undefined before the first. */
  lastAt(moment: Moment): { frame: number; at: Stamp } | undefined {
    return this.lastAtEach([moment])[0];
  }

  /**
   * lastAt for each moment, in one pass over the frames: the highest frame at
   * or before it, by frame number or by time (the capture's order; where
   * times go back, which analyze never gives but a hand-made clock can, the
   * highest among those at or before the moment), with that frame's time for
   * a frame moment and the moment's own for a time.
   */
  lastAtEach(moments: readonly Moment[]): ({ frame: number; at: Stamp } | undefined)[] {
    // Each kind of moment in order: a frame counts for the first moment at or after it, and so for every later one.
    const byFrame: { frame: number; k: number }[] = [];
    const byTime: { at: Stamp; k: number }[] = [];
    moments.forEach((m, k) => {
      if (m.kind === 'frame') byFrame.push({ frame: m.frame, k });
      else byTime.push({ at: m.at, k });
    });
    byFrame.sort((a, b) => a.frame - b.frame);
    byTime.sort((a, b) => compareStamps(a.at, b.at));
    const frameBest = new Float64Array(byFrame.length).fill(-1);
    const frameSec = new Float64Array(byFrame.length);
    const frameNsec = new Uint32Array(byFrame.length);
    const timeBest = new Float64Array(byTime.length).fill(-1);
    const frameKeys = Float64Array.from(byFrame, (x) => x.frame);
    const timeSecs = Float64Array.from(byTime, (x) => x.at.sec);
    const timeNsecs = Float64Array.from(byTime, (x) => x.at.nsec);
    this.scan((frame, sec, nsec) => {
      // The first moment at or after this frame, by number and by time (binary searches).
      let lo = 0;
      let hi = frameKeys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (frameKeys[mid]! >= frame) hi = mid;
        else lo = mid + 1;
      }
      if (lo < frameKeys.length && frame > frameBest[lo]!) {
        frameBest[lo] = frame;
        frameSec[lo] = sec;
        frameNsec[lo] = nsec;
      }
      lo = 0;
      hi = timeSecs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (timeSecs[mid]! > sec || (timeSecs[mid] === sec && timeNsecs[mid]! >= nsec)) hi = mid;
        else lo = mid + 1;
      }
      if (lo < timeSecs.length && frame > timeBest[lo]!) timeBest[lo] = frame;
    });
    const out: ({ frame: number; at: Stamp } | undefined)[] = moments.map(() => undefined);
    let best = -1;
    let bestAt: Stamp = { sec: 0, nsec: 0 };
    byFrame.forEach(({ k }, i) => {
      if (frameBest[i]! > best) {
        best = frameBest[i]!;
        bestAt = { sec: frameSec[i]!, nsec: frameNsec[i]! };
      }
      if (best >= 0) out[k] = { frame: best, at: bestAt };
    });
    best = -1;
    byTime.forEach(({ at, k }, i) => {
      best = Math.max(best, timeBest[i]!);
      if (best >= 0) out[k] = { frame: best, at };
    });
    return out;
  }

  /** Frees the file the frames were set aside in; the clock cannot be used after. */
  close(): void {
    this.stash?.close();
  }

  private setAside(): void {
    this.stash ??= createStash();
    this.blocks.push(this.stash.put(this.block.subarray(0, this.used)));
    this.used = 0;
  }

  /** Every frame added, with its time. */
  private scan(visit: (frame: number, sec: number, nsec: number) => void): void {
    const each = (b: Buffer, length: number): void => {
      for (let at = 0; at < length; at += CLOCK_ENTRY) visit(b.readUInt32LE(at), b.readDoubleLE(at + 8), b.readUInt32LE(at + 4));
    };
    const scratch = Buffer.allocUnsafe(CLOCK_BLOCK);
    for (const ref of this.blocks) each(this.stash!.read(ref, scratch, 0), ref.length);
    each(this.block, this.used);
  }
}

/** One frame in a FrameClock: its number, nanoseconds and seconds (a double: a pcapng timestamp can pass 2106). */
const CLOCK_ENTRY = 16;
/** Frames a FrameClock gathers before setting them aside (64 KiB). */
const CLOCK_BLOCK = 4096 * CLOCK_ENTRY;

/**
 * What netstat reads of a flow: its tuple, id, first frame and times, each
 * end's final state, the finding that says when a user timeout dropped a
 * socket, and the timeline's frames, times and states. A FlowRecord is one;
 * netstat holds its flows slimmed to it (slimForNetstat).
 */
export interface NetstatFlow {
  readonly id: number;
  readonly first_frame: number;
  readonly start: string;
  readonly end: string;
  readonly client: NetstatEnd;
  readonly server: NetstatEnd;
  readonly anomalies: readonly Pick<AnomalyRecord, 'code' | 'side' | 'time' | 'details'>[];
  readonly events?: readonly NetstatEvent[];
}

/** What netstat reads of a flow's end. */
export type NetstatEnd = Pick<EndpointRecord, 'addr' | 'port' | 'final_state'>;

/** What netstat reads of a timeline entry: the states each end was in after the frame. */
export type NetstatEvent = Pick<EventRecord, 'frame' | 'time' | 'client' | 'server'>;

/**
 * A flow as netstat holds it: only what it reads (NetstatFlow), and only the
 * events where either side's state changed (with the first and the last).
 * The state at any frame is the state of the last change before it, so
 * socketsAt answers the same; the FrameClock keeps what the dropped events
 * knew of time. Each pass over the flows parses every one of them again, so
 * what is not read is not kept: the whole record, less its Zeek rows and
 * notes, took three times as long to parse.
 */
export function slimForNetstat(f: FlowRecord): NetstatFlow {
  const events = f.events ?? [];
  const kept: NetstatEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (i === 0 || i === events.length - 1 || e.client !== events[i - 1]!.client || e.server !== events[i - 1]!.server) {
      kept.push({ frame: e.frame, time: e.time, client: e.client, server: e.server });
    }
  }
  const end = (x: EndpointRecord): NetstatEnd => ({ addr: x.addr, port: x.port, final_state: x.final_state });
  return {
    id: f.id, first_frame: f.first_frame, start: f.start, end: f.end, client: end(f.client), server: end(f.server),
    anomalies: f.anomalies.filter((a) => a.code === 'retransmission-timeout').map((a) => ({ code: a.code, side: a.side, time: a.time, details: a.details })),
    events: kept,
  };
}

function stampOf(iso: string): Stamp {
  return parseStamp(iso) ?? { sec: 0, nsec: 0 };
}

/** The capture's first and last TCP frame times, from the flows. */
export function captureSpan(flows: readonly NetstatFlow[]): { start: Stamp; end: Stamp } | undefined {
  let start: Stamp | undefined;
  let end: Stamp | undefined;
  for (const f of flows) {
    const s = stampOf(f.start);
    const e = stampOf(f.end);
    if (start === undefined || compareStamps(s, start) < 0) start = s;
    if (end === undefined || compareStamps(e, end) > 0) end = e;
  }
  return start === undefined || end === undefined ? undefined : { start, end };
}

/** A stamp `ns` nanoseconds after `s`. */
export function addNs(s: Stamp, ns: number): Stamp {
  const total = s.nsec + Math.round(ns);
  const carry = Math.floor(total / 1e9);
  return { sec: s.sec + carry, nsec: total - carry * 1e9 };
}

/**
 * Parses `--at`: `frame:N`, seconds since the capture's first TCP frame
 * (`12.5`, `12.5s`), or an ISO-8601 time (UTC when it has no zone).
 * Undefined when it is none of them.
 */
export function parseMoment(text: string, start: Stamp): Moment | undefined {
  const t = text.trim();
  const frame = /^frame:(\d+)$/i.exec(t);
  if (frame !== null) return { kind: 'frame', frame: Number(frame[1]) };
  const secs = /^(\d+)(?:\.(\d{1,9}))?s?$/.exec(t);
  if (secs !== null) {
    // Whole and fractional parts apart, so `0.000026` lands on the exact nanosecond.
    const ns = Number(secs[1]) * 1e9 + Number((secs[2] ?? '').padEnd(9, '0'));
    return { kind: 'time', at: addNs(start, ns) };
  }
  const at = parseStamp(t);
  return at === undefined ? undefined : { kind: 'time', at };
}

function tupleKey(f: NetstatFlow): string {
  const a = `${f.client.addr} ${f.client.port}`;
  const b = `${f.server.addr} ${f.server.port}`;
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

/** Index of the last event at or before the moment, or -1. Events are in frame order, and so in time order. */
function lastIndexAt(events: readonly { frame: number; time: string }[], moment: Moment, stamps: readonly Stamp[]): number {
  let lo = 0;
  let hi = events.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const ok = moment.kind === 'frame' ? events[mid]!.frame <= moment.frame : compareStamps(stamps[mid]!, moment.at) <= 0;
    if (ok) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/** Parsed event times, cached per flow: over-time snapshots read the same flows many times. */
const stampCache = new WeakMap<NetstatFlow, Stamp[]>();

function eventStamps(f: NetstatFlow): Stamp[] {
  let s = stampCache.get(f);
  if (s === undefined) {
    s = (f.events ?? []).map((e) => stampOf(e.time));
    stampCache.set(f, s);
  }
  return s;
}

/**
 * When `side` gave up retransmitting and dropped its connection without a
 * segment (tcp/silence.ts): by the time its next retransmission was due after
 * the last one. The `retransmission-timeout` finding concerns the silent peer
 * and names the sender's last retransmission.
 */
export function userTimeoutAt(f: NetstatFlow, side: 'client' | 'server'): Stamp | undefined {
  if (f[side].final_state !== 'CLOSED') return undefined;
  const a = f.anomalies.find((x) => x.code === 'retransmission-timeout' && x.side !== side);
  const due = a?.details?.['next_due_s'];
  if (a === undefined || typeof due !== 'number') return undefined;
  return addNs(stampOf(a.time), Math.round(due * 1e9));
}

/**
 * The sockets each host held at `moment`, from the flows' events (analyse
 * with `events: true`). Per 4-tuple only the latest incarnation that had begun
 * counts: a host holds one socket per 4-tuple, and a new connection on it
 * replaces the old one's TIME_WAIT.
 */
export function socketsAt(flows: readonly NetstatFlow[], moment: Moment, options: SnapshotOptions = {}): Snapshot {
  const msl = options.msl ?? 30;
  // The moment's time and last frame, over every flow.
  let at: Stamp | undefined = moment.kind === 'time' ? moment.at : undefined;
  let lastFrame: number | undefined;
  const clock = options.clock;
  for (const f of clock === undefined ? flows : []) {
    const events = f.events ?? [];
    const stamps = eventStamps(f);
    const i = lastIndexAt(events, moment, stamps);
    if (i < 0 || (lastFrame !== undefined && events[i]!.frame <= lastFrame)) continue;
    lastFrame = events[i]!.frame;
    if (moment.kind === 'frame') at = stamps[i];
  }
  if (clock !== undefined) {
    const last = clock.lastAt(moment);
    lastFrame = last?.frame;
    if (moment.kind === 'frame') at = last?.at;
  }
  const start = captureSpan(flows)?.start;
  at ??= start ?? { sec: 0, nsec: 0 };
  const passes = snapshotPasses(moment, at, msl);
  for (const f of flows) passes.begun(f);
  for (const f of flows) passes.held(f);
  const { hosts, sockets } = passes;
  return { at, frame: lastFrame, start, digits: captureDigits(flows), hosts, sockets };
}

/** The sockets a flow's two ends held at `at`, after its event `i` (the last at or before the moment). */
function flowSockets(f: NetstatFlow, i: number, at: Stamp, msl: number): SocketRow[] {
  const events = f.events ?? [];
  const stamps = eventStamps(f);
  const out: SocketRow[] = [];
  for (const side of ['client', 'server'] as const) {
    const state = events[i]![side];
    if (state === 'CLOSED' || state === 'LISTEN') continue;
    // Walk back to the frame that put it in this state.
    let j = i;
    while (j > 0 && events[j - 1]![side] === state) j--;
    const since = stamps[j]!;
    if (state === 'TIME_WAIT' && nsBetween(since, at) >= 2 * msl * 1e9) continue;
    const gone = userTimeoutAt(f, side);
    if (gone !== undefined && compareStamps(gone, at) <= 0) continue;
    const me = f[side];
    const peer = f[side === 'client' ? 'server' : 'client'];
    out.push({
      host: me.addr, proto: me.addr.includes(':') ? 'tcp6' : 'tcp', localAddr: me.addr, localPort: me.port,
      foreignAddr: peer.addr, foreignPort: peer.port, state, sinceFrame: events[j]!.frame, since, flow: f.id, side,
    });
  }
  return out;
}

/**
 * Flows in id order, read as often as asked: what netstat holds on disk
 * (slimForNetstat records), so its memory does not follow the flow count.
 */
export type FlowSource = (visit: (f: NetstatFlow) => void) => Promise<void>;

/** What socketsAt over a FlowSource needs besides the flows. */
export interface StreamedOptions {
  readonly msl?: number;
  readonly clock: FrameClock;
  /** The (listed) flows' first frame time (undefined: none listed) and fraction digits, gathered as they ended. */
  readonly start: Stamp | undefined;
  readonly digits: number;
  /**
   * The source's flows' tuples, noted as they ended (the CLI does): without
   * it, a first read of the whole source takes the census, and each read
   * parses every flow again.
   */
  readonly census?: TupleCensus;
}

/** socketsAt over flows read from `source` in id order: snapshotPasses' two reads, after one for the TupleCensus unless the options bring it. */
export async function socketsAtStreamed(source: FlowSource, moment: Moment, options: StreamedOptions): Promise<Snapshot> {
  const last = options.clock.lastAt(moment);
  const at = moment.kind === 'time' ? moment.at : last?.at ?? options.start ?? { sec: 0, nsec: 0 };
  const census = await censusOf(source, options);
  const passes = snapshotPasses(moment, at, options.msl ?? 30, census);
  await source(passes.begun);
  await source(passes.held);
  return { at, frame: last?.frame, start: options.start, digits: options.digits, hosts: passes.hosts, sockets: passes.sockets };
}

/**
 * The two passes over the flows, in id order, that make a snapshot: first the
 * hosts and the latest incarnation of each 4-tuple begun by the moment (a host
 * holds one socket per 4-tuple, and a new connection on it replaces the old
 * one's TIME_WAIT), then those incarnations' sockets. One entry per 4-tuple is
 * held (with a TupleCensus, per 4-tuple that may have repeated), never the
 * flows, so they can be read from disk (FlowSource).
 */
function snapshotPasses(moment: Moment, at: Stamp, msl: number, census?: TupleCensus) {
  const latest = new Map<string, number>();
  const hosts: string[] = [];
  const seen = new Set<string>();
  const sockets: SocketRow[] = [];
  return {
    hosts,
    sockets,
    begun: (f: NetstatFlow): void => {
      if (lastIndexAt(f.events ?? [], moment, eventStamps(f)) < 0) return;
      for (const side of ['client', 'server'] as const) {
        const addr = f[side].addr;
        if (!seen.has(addr)) { seen.add(addr); hosts.push(addr); }
      }
      const k = tupleKey(f);
      if (census !== undefined && !census.mayRepeat(k)) return;
      if ((latest.get(k) ?? -1) < f.first_frame) latest.set(k, f.first_frame);
    },
    held: (f: NetstatFlow): void => {
      const i = lastIndexAt(f.events ?? [], moment, eventStamps(f));
      if (i < 0) return;
      // A tuple of one flow is its own latest incarnation.
      const k = tupleKey(f);
      if ((census === undefined || census.mayRepeat(k)) && latest.get(k) !== f.first_frame) return;
      sockets.push(...flowSockets(f, i, at, msl));
    },
  };
}

/**
 * Which 4-tuples more than one flow had, noted as the flows end or from a
 * first read of them: a hash of each flow's tuple (4 bytes a flow), so that
 * the passes after keep their tables by tuple (a key and an entry, ~200
 * bytes) only for tuples that may have had another incarnation. A tuple whose hash no other flow shares
 * had one; two tuples sharing a hash only cost an entry each. Those tables
 * were what `netstat --over-time` grew by once the FrameClock was on disk:
 * 256 MB at 2x the bench capture against 192 MB at 1x.
 */
export class TupleCensus {
  private hashes = new Column(int32);
  private repeated: Set<number> | undefined;

  readonly note = (f: NetstatFlow): void => {
    this.hashes.push(keyHash(tupleKey(f)));
  };

  /** Whether another flow may have had this tuple (asked after every flow was noted). */
  mayRepeat(key: string): boolean {
    if (this.repeated === undefined) {
      const sorted = this.hashes.values.slice(0, this.hashes.length).sort();
      this.repeated = new Set();
      for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) this.repeated.add(sorted[i]!);
      // Only the repeated ones are asked about from here on.
      this.hashes = new Column(int32);
    }
    return this.repeated.has(keyHash(key));
  }
}

/** The census the options bring, or one taken by a first read of the source. */
async function censusOf(source: FlowSource, options: StreamedOptions): Promise<TupleCensus> {
  if (options.census !== undefined) return options.census;
  const census = new TupleCensus();
  await source(census.note);
  return census;
}

/** FNV-1a over a string's UTF-16 code units, as a signed 32-bit number. */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** `--over-time` over a FlowSource: formatOverTime's table, in overTimePasses' two reads, after one for the TupleCensus unless the options bring it. */
export async function formatOverTimeStreamed(source: FlowSource, moments: readonly Stamp[], options: NetstatTextOptions & StreamedOptions & { start: Stamp }): Promise<string> {
  const census = await censusOf(source, options);
  const passes = overTimePasses(moments, options.msl ?? 30, options.filter ?? {}, census);
  await source(passes.begun);
  await source(passes.counted);
  return overTimeTable(passes.rows(options.clock), options);
}

/**
 * The two passes over the flows that count sockets per state at each moment:
 * first each 4-tuple's incarnations (first frame, first time), to tell which
 * one counts at each moment, then each flow's sockets where it does. A few
 * numbers per flow are held (with a TupleCensus, per flow whose tuple may
 * have repeated), not the flows.
 */
function overTimePasses(moments: readonly Stamp[], msl: number, filter: SocketFilter, census?: TupleCensus) {
  const incarnations = new Map<string, { frame: number; first: Stamp }[]>();
  const counts: StateCounts[] = moments.map(() => ({}));
  // The last frame at or before each moment, from the events (exact unless they were slimmed).
  const frames: (number | undefined)[] = moments.map(() => undefined);
  return {
    begun: (f: NetstatFlow): void => {
      const first = eventStamps(f)[0];
      if (first === undefined) return;
      const k = tupleKey(f);
      if (census !== undefined && !census.mayRepeat(k)) return;
      const list = incarnations.get(k);
      if (list === undefined) incarnations.set(k, [{ frame: f.first_frame, first }]);
      else list.push({ frame: f.first_frame, first });
    },
    counted: (f: NetstatFlow): void => {
      const events = f.events ?? [];
      const stamps = eventStamps(f);
      // A tuple of one flow has no later incarnation.
      const mine = incarnations.get(tupleKey(f)) ?? [];
      moments.forEach((m, k) => {
        const i = lastIndexAt(events, { kind: 'time', at: m }, stamps);
        if (i < 0) return;
        frames[k] = Math.max(frames[k] ?? 0, events[i]!.frame);
        // Counted only if no later incarnation of its tuple had begun by then.
        if (mine.some((o) => o.frame > f.first_frame && compareStamps(o.first, m) <= 0)) return;
        for (const row of filterSockets(flowSockets(f, i, m, msl), filter)) counts[k]![row.state] = (counts[k]![row.state] ?? 0) + 1;
      });
    },
    /** Each moment's row; the clock, when the events were slimmed, gives its last frame. */
    rows: (clock: FrameClock | undefined) => {
      const last = clock?.lastAtEach(moments.map((at) => ({ kind: 'time', at })));
      return moments.map((at, k) => ({ at, frame: last === undefined ? frames[k] : last[k]?.frame, c: counts[k]! }));
    },
  };
}

/** Which sockets to show. */
export interface SocketFilter {
  /** One host's table (its address). */
  readonly host?: string;
  /** Local or foreign port. */
  readonly port?: number;
  /** The state at the moment. */
  readonly state?: TcpState;
}

/** The sockets passing the filter. */
export function filterSockets(sockets: readonly SocketRow[], filter: SocketFilter): SocketRow[] {
  const host = filter.host === undefined ? undefined : canonicalAddr(filter.host);
  return sockets.filter((s) => (host === undefined || s.host === host)
    && (filter.port === undefined || s.localPort === filter.port || s.foreignPort === filter.port)
    && (filter.state === undefined || s.state === filter.state));
}

/** `addr:port` as netstat prints it: IPv6 without brackets. */
function netstatAddr(addr: string, port: number): string {
  return `${addr}:${port}`;
}

/** How a snapshot's moment reads: `2026-…Z (0.042965 s into the capture, after frame 9)`. */
export function momentText(snapshot: Snapshot, start: Stamp | undefined, digits: number): string {
  const iso = `${new Date(snapshot.at.sec * 1000).toISOString().slice(0, 19)}${digits > 0 ? `.${String(snapshot.at.nsec).padStart(9, '0').slice(0, digits)}` : ''}Z`;
  const into = start === undefined ? '' : `${secondsFixed(nsBetween(start, snapshot.at), digits)} s into the capture, `;
  return `${iso} (${into}${snapshot.frame === undefined ? 'before the first frame' : `after frame ${snapshot.frame}`})`;
}

/** How netstat output is rendered. */
export interface NetstatTextOptions {
  readonly painter?: Painter;
  readonly filter?: SocketFilter;
  /** The capture's first TCP frame, for "N s into the capture" (default: the snapshot's). */
  readonly start?: Stamp;
  /** Fraction digits of the capture's timestamps (default: the snapshot's). */
  readonly digits?: number;
}

/** The `netstat -ant` tables, one per host (or the one `--host` picked). */
export function formatNetstat(snapshot: Snapshot, options: NetstatTextOptions = {}): string {
  const p = options.painter ?? PLAIN;
  const filter = options.filter ?? {};
  const sockets = filterSockets(snapshot.sockets, filter);
  const host = filter.host === undefined ? undefined : canonicalAddr(filter.host);
  const hosts = host === undefined ? snapshot.hosts : [host];
  const lines: string[] = [];
  const inferred = new Set<{ readonly after: number; readonly why: string }>();
  lines.push(`At ${momentText(snapshot, options.start ?? snapshot.start, options.digits ?? snapshot.digits)}.`);
  lines.push(p.dim('Recv-Q and Send-Q are "-": the wire does not show socket buffers. Listening sockets are not listed.'));
  for (const h of hosts) {
    const mine = sockets.filter((s) => s.host === h);
    lines.push('');
    lines.push(p.heading(`Active Internet connections on ${h}`));
    if (mine.length === 0) {
      lines.push(p.dim(snapshot.hosts.includes(h) ? '(no connection sockets)' : '(host not seen in the capture by then)'));
      continue;
    }
    const rows: Cell[][] = [['Proto', 'Recv-Q', 'Send-Q', 'Local Address', 'Foreign Address', 'State', 'Time in state'].map((t) => ({ text: t, paint: p.heading }))];
    for (const s of mine) {
      const gaveUp = givenUp(s, snapshot.at);
      if (gaveUp !== undefined) inferred.add(gaveUp);
      rows.push([
        s.proto, '-', '-', netstatAddr(s.localAddr, s.localPort), netstatAddr(s.foreignAddr, s.foreignPort),
        { text: `${NETSTAT_STATE[s.state]}${gaveUp === undefined ? '' : '*'}`, paint: statePaint(p, s.state) },
        `${durationText(nsBetween(s.since, snapshot.at) / 1e9)} (since frame ${s.sinceFrame})`,
      ]);
    }
    lines.push(...alignColumns(rows, new Set([1, 2])));
  }
  if (inferred.size > 0) {
    lines.push('');
    for (const g of inferred) lines.push(p.dim(`* inferred: ${g.why}; the capture shows no answer, so this state is read from silence, not seen (the socket was most likely gone by then).`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * How long a half-open socket outlives silence before its kernel gives up
 * (Linux's defaults): connect() after tcp_syn_retries (6) SYN retransmissions,
 * 1+2+4+8+16+32+64 s; a listener's request after tcp_synack_retries (5), 63 s.
 */
const GIVES_UP: Partial<Record<TcpState, { readonly after: number; readonly why: string }>> = {
  SYN_SENT: { after: 127, why: "Linux's connect() gives up on a SYN_SENT socket after about 127 s (tcp_syn_retries 6)" },
  SYN_RECEIVED: { after: 63, why: 'Linux drops a SYN_RECV request after about 63 s (tcp_synack_retries 5)' },
};

/** The rule under which a socket's state at `at` is inferred (its kernel would have given up by then), if any. */
function givenUp(s: SocketRow, at: Stamp): { readonly after: number; readonly why: string } | undefined {
  const rule = GIVES_UP[s.state];
  return rule !== undefined && nsBetween(s.since, at) > rule.after * 1e9 ? rule : undefined;
}

/** Sockets per state. */
export type StateCounts = Partial<Record<TcpState, number>>;

/** Counts sockets per state. */
export function countStates(sockets: readonly SocketRow[]): StateCounts {
  const c: StateCounts = {};
  for (const s of sockets) c[s.state] = (c[s.state] ?? 0) + 1;
  return c;
}

function countColumns(all: readonly StateCounts[]): TcpState[] {
  return LISTED_STATES.filter((st) => all.some((c) => (c[st] ?? 0) > 0));
}

function total(c: StateCounts): number {
  return Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
}

/** `--summary`: sockets per state on each host, like `ss -s` (TIME_WAIT and CLOSE_WAIT piles show at a glance). */
export function formatSummary(snapshot: Snapshot, options: NetstatTextOptions = {}): string {
  const p = options.painter ?? PLAIN;
  const filter = options.filter ?? {};
  const sockets = filterSockets(snapshot.sockets, filter);
  const host = filter.host === undefined ? undefined : canonicalAddr(filter.host);
  const hosts = host === undefined ? snapshot.hosts : [host];
  const per = hosts.map((h) => ({ h, c: countStates(sockets.filter((s) => s.host === h)) }));
  const all = countStates(sockets.filter((s) => hosts.includes(s.host)));
  const cols = countColumns([all]);
  const rows: Cell[][] = [['HOST', 'TOTAL', ...cols.map((s) => NETSTAT_STATE[s])].map((t) => ({ text: t, paint: p.heading }))];
  for (const { h, c } of per) rows.push([h, grouped(total(c)), ...cols.map((s) => grouped(c[s] ?? 0))]);
  if (hosts.length > 1) rows.push([{ text: 'all hosts', paint: p.heading }, grouped(total(all)), ...cols.map((s) => grouped(all[s] ?? 0))]);
  const right = new Set(cols.map((_, i) => i + 2).concat([1]));
  return `At ${momentText(snapshot, options.start ?? snapshot.start, options.digits ?? snapshot.digits)}.\n${alignColumns(rows, right).join('\n')}\n`;
}

/** The moments of `--over-time`: every `interval` seconds from the start, and the end; or 10 equal steps. */
export function overTimeMoments(start: Stamp, end: Stamp, intervalS?: number): Stamp[] {
  const span = nsBetween(start, end);
  const out: Stamp[] = [];
  if (intervalS === undefined) {
    for (let k = 1; k <= 10; k++) out.push(addNs(start, Math.round((span * k) / 10)));
    return out;
  }
  const step = intervalS * 1e9;
  for (let t = step; t < span; t += step) out.push(addNs(start, t));
  out.push(end);
  return out;
}

/** `--over-time`: socket counts per state at each moment, on one host or all of them. */
export function formatOverTime(flows: readonly NetstatFlow[], moments: readonly Stamp[], options: NetstatTextOptions & SnapshotOptions = {}): string {
  const passes = overTimePasses(moments, options.msl ?? 30, options.filter ?? {});
  for (const f of flows) passes.begun(f);
  for (const f of flows) passes.counted(f);
  const start = options.start ?? captureSpan(flows)?.start ?? { sec: 0, nsec: 0 };
  return overTimeTable(passes.rows(options.clock), { ...options, start });
}

/** The over-time table from its counts per moment. */
function overTimeTable(snaps: readonly { at: Stamp; frame: number | undefined; c: StateCounts }[], options: NetstatTextOptions & { start: Stamp }): string {
  const p = options.painter ?? PLAIN;
  const filter = options.filter ?? {};
  const digits = options.digits ?? 6;
  const start = options.start;
  const cols = countColumns(snaps.map((s) => s.c));
  const rows: Cell[][] = [['TIME (s)', 'FRAME', 'TOTAL', ...cols.map((s) => NETSTAT_STATE[s])].map((t) => ({ text: t, paint: p.heading }))];
  for (const { at, frame, c } of snaps) {
    rows.push([
      secondsFixed(nsBetween(start, at), Math.min(digits, 6)), frame === undefined ? '-' : String(frame), grouped(total(c)),
      ...cols.map((s) => grouped(c[s] ?? 0)),
    ]);
  }
  const where = filter.host === undefined ? 'all hosts' : canonicalAddr(filter.host);
  const right = new Set([0, 1, 2, ...cols.map((_, i) => i + 3)]);
  return `Sockets per state on ${where}, seconds from the first frame:\n${alignColumns(rows, right).join('\n')}\n`;
}

/** Fraction digits of the capture's timestamps, from its flows. */
export function captureDigits(flows: readonly NetstatFlow[]): number {
  return flows[0] === undefined ? 6 : fractionDigits(flows[0].start);
}
