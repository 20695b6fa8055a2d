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
import type { EventRecord, FlowRecord } from '../tcp/record.ts';
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
 * The frames of the flows netstat reads, their times indexed by frame number
 * (12 bytes a frame of the capture, where an event record is a kilobyte), so
 * a capture's flows can be held slimmed to their changes of state
 * (slimForNetstat) and the moment's last frame still be exact. A frame no
 * flow holds (not TCP, or filtered out) has no time.
 */
export class FrameClock {
  /** Seconds as doubles: a pcapng timestamp can pass 2106. */
  private sec = new Float64Array(1024);
  /** NO_TIME where the frame has none. */
  private nsec = new Uint32Array(1024).fill(NO_TIME);
  /** Highest frame number held. */
  private top = 0;
  /** The frames held, in frame order, and whether their times never go back (then the frame order is the time order). */
  private held: { frames: Uint32Array; monotonic: boolean } | undefined;

  /** Adds a flow's frames (its full events, before slimming). */
  add(events: readonly EventRecord[]): void {
    for (const e of events) {
      if (e.frame >= this.sec.length) this.grow(e.frame + 1);
      const t = stampOf(e.time);
      this.sec[e.frame] = t.sec;
      this.nsec[e.frame] = t.nsec;
      if (e.frame > this.top) this.top = e.frame;
    }
    this.held = undefined;
  }

  /** The last frame at or before the moment, and when it came; undefined before the first. */
  lastAt(moment: Moment): { frame: number; at: Stamp } | undefined {
    const { frames, monotonic } = this.frames();
    if (moment.kind === 'frame') {
      const k = this.lastIndex(frames, (f) => f <= moment.frame);
      if (k < 0) return undefined;
      const f = frames[k]!;
      return { frame: f, at: { sec: this.sec[f]!, nsec: this.nsec[f]! } };
    }
    const atOrBefore = (f: number): boolean => compareStamps({ sec: this.sec[f]!, nsec: this.nsec[f]! }, moment.at) <= 0;
    if (monotonic) {
      const k = this.lastIndex(frames, atOrBefore);
      return k < 0 ? undefined : { frame: frames[k]!, at: moment.at };
    }
    // Times that go back (analyze takes such a frame as at the latest time before it, so only
    // a hand-made clock sees this): the highest frame among those at or before the moment.
    let best = -1;
    for (const f of frames) if (atOrBefore(f) && f > best) best = f;
    return best < 0 ? undefined : { frame: best, at: moment.at };
  }

  /** The last index k with `ok(frames[k])`, when `ok` holds for a prefix of frames; -1 when for none. */
  private lastIndex(frames: Uint32Array, ok: (frame: number) => boolean): number {
    let lo = 0;
    let hi = frames.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ok(frames[mid]!)) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  private frames(): { frames: Uint32Array; monotonic: boolean } {
    if (this.held !== undefined) return this.held;
    let n = 0;
    for (let f = 0; f <= this.top; f++) if (this.nsec[f] !== NO_TIME) n++;
    const frames = new Uint32Array(n);
    let monotonic = true;
    let k = 0;
    for (let f = 0; f <= this.top; f++) {
      if (this.nsec[f] === NO_TIME) continue;
      if (k > 0) {
        const p = frames[k - 1]!;
        if (this.sec[f]! < this.sec[p]! || (this.sec[f] === this.sec[p] && this.nsec[f]! < this.nsec[p]!)) monotonic = false;
      }
      frames[k++] = f;
    }
    return this.held = { frames, monotonic };
  }

  private grow(atLeast: number): void {
    const size = Math.max(atLeast, this.sec.length * 2);
    const sec = new Float64Array(size); sec.set(this.sec); this.sec = sec;
    const nsec = new Uint32Array(size).fill(NO_TIME); nsec.set(this.nsec); this.nsec = nsec;
  }
}

/** FrameClock's mark for a frame without a time (nanoseconds never reach it). */
const NO_TIME = 0xffff_ffff;

/**
 * What netstat needs of a flow: its tuple, times, final states, the finding
 * that says when a user timeout dropped a socket, and only the events where
 * either side's state changed (with the first and the last). The state at
 * any frame is the state of the last change before it, so socketsAt answers
 * the same; the FrameClock keeps what the dropped events knew of time.
 */
export function slimForNetstat(f: FlowRecord): FlowRecord {
  const events = f.events ?? [];
  const kept = events.filter((e, i) => i === 0 || i === events.length - 1 || e.client !== events[i - 1]!.client || e.server !== events[i - 1]!.server);
  return {
    ...f,
    zeek: [],
    anomalies: f.anomalies.filter((a) => a.code === 'retransmission-timeout'),
    events: kept.map((e) => ({ ...e, notes: [] })),
  };
}

function stampOf(iso: string): Stamp {
  return parseStamp(iso) ?? { sec: 0, nsec: 0 };
}

/** The capture's first and last TCP frame times, from the flows. */
export function captureSpan(flows: readonly FlowRecord[]): { start: Stamp; end: Stamp } | undefined {
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

function tupleKey(f: FlowRecord): string {
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
const stampCache = new WeakMap<FlowRecord, Stamp[]>();

function eventStamps(f: FlowRecord): Stamp[] {
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
export function userTimeoutAt(f: FlowRecord, side: 'client' | 'server'): Stamp | undefined {
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
export function socketsAt(flows: readonly FlowRecord[], moment: Moment, options: SnapshotOptions = {}): Snapshot {
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
function flowSockets(f: FlowRecord, i: number, at: Stamp, msl: number): SocketRow[] {
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
export type FlowSource = (visit: (f: FlowRecord) => void) => Promise<void>;

/** What socketsAt over a FlowSource needs besides the flows. */
export interface StreamedOptions {
  readonly msl?: number;
  readonly clock: FrameClock;
  /** The (listed) flows' first frame time (undefined: none listed) and fraction digits, gathered as they ended. */
  readonly start: Stamp | undefined;
  readonly digits: number;
}

/** socketsAt over flows read twice from `source` in id order (snapshotPasses). */
export async function socketsAtStreamed(source: FlowSource, moment: Moment, options: StreamedOptions): Promise<Snapshot> {
  const last = options.clock.lastAt(moment);
  const at = moment.kind === 'time' ? moment.at : last?.at ?? options.start ?? { sec: 0, nsec: 0 };
  const passes = snapshotPasses(moment, at, options.msl ?? 30);
  await source(passes.begun);
  await source(passes.held);
  return { at, frame: last?.frame, start: options.start, digits: options.digits, hosts: passes.hosts, sockets: passes.sockets };
}

/**
 * The two passes over the flows, in id order, that make a snapshot: first the
 * hosts and the latest incarnation of each 4-tuple begun by the moment (a host
 * holds one socket per 4-tuple, and a new connection on it replaces the old
 * one's TIME_WAIT), then those incarnations' sockets. One entry per 4-tuple is
 * held, never the flows, so they can be read from disk (FlowSource).
 */
function snapshotPasses(moment: Moment, at: Stamp, msl: number) {
  const latest = new Map<string, number>();
  const hosts: string[] = [];
  const seen = new Set<string>();
  const sockets: SocketRow[] = [];
  return {
    hosts,
    sockets,
    begun: (f: FlowRecord): void => {
      if (lastIndexAt(f.events ?? [], moment, eventStamps(f)) < 0) return;
      for (const side of ['client', 'server'] as const) {
        const addr = f[side].addr;
        if (!seen.has(addr)) { seen.add(addr); hosts.push(addr); }
      }
      const k = tupleKey(f);
      if ((latest.get(k) ?? -1) < f.first_frame) latest.set(k, f.first_frame);
    },
    held: (f: FlowRecord): void => {
      const i = lastIndexAt(f.events ?? [], moment, eventStamps(f));
      if (i < 0 || latest.get(tupleKey(f)) !== f.first_frame) return;
      sockets.push(...flowSockets(f, i, at, msl));
    },
  };
}

/** `--over-time` over a FlowSource: formatOverTime's table, in two reads (overTimePasses). */
export async function formatOverTimeStreamed(source: FlowSource, moments: readonly Stamp[], options: NetstatTextOptions & StreamedOptions & { start: Stamp }): Promise<string> {
  const passes = overTimePasses(moments, options.msl ?? 30, options.filter ?? {});
  await source(passes.begun);
  await source(passes.counted);
  return overTimeTable(passes.rows(options.clock), options);
}

/**
 * The two passes over the flows that count sockets per state at each moment:
 * first each 4-tuple's incarnations (first frame, first time), to tell which
 * one counts at each moment, then each flow's sockets where it does. A few
 * numbers per flow are held, not the flows.
 */
function overTimePasses(moments: readonly Stamp[], msl: number, filter: SocketFilter) {
  const incarnations = new Map<string, { frame: number; first: Stamp }[]>();
  const counts: StateCounts[] = moments.map(() => ({}));
  // The last frame at or before each moment, from the events (exact unless they were slimmed).
  const frames: (number | undefined)[] = moments.map(() => undefined);
  return {
    begun: (f: FlowRecord): void => {
      const first = eventStamps(f)[0];
      if (first === undefined) return;
      const k = tupleKey(f);
      const list = incarnations.get(k);
      if (list === undefined) incarnations.set(k, [{ frame: f.first_frame, first }]);
      else list.push({ frame: f.first_frame, first });
    },
    counted: (f: FlowRecord): void => {
      const events = f.events ?? [];
      const stamps = eventStamps(f);
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
    rows: (clock: FrameClock | undefined) => moments.map((at, k) => ({
      at, frame: clock === undefined ? frames[k] : clock.lastAt({ kind: 'time', at })?.frame, c: counts[k]!,
    })),
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
export function formatOverTime(flows: readonly FlowRecord[], moments: readonly Stamp[], options: NetstatTextOptions & SnapshotOptions = {}): string {
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
export function captureDigits(flows: readonly FlowRecord[]): number {
  return flows[0] === undefined ? 6 : fractionDigits(flows[0].start);
}
