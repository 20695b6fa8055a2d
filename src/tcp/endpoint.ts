/**
 * One side of a connection, as the capture shows it: its RFC 9293 state and the
 * sequence-space facts needed to judge what it sends and receives. Each
 * endpoint knows its peer, as Zeek's TCP_Endpoint does.
 */

import type { TcpOption } from '../decode/segment.ts';
import { transition, type TcpEvent, type TcpState } from './transitions.ts';
import type { UnansweredRun } from './silence.ts';

/** Which role an endpoint plays in its flow. */
export type Side = 'client' | 'server';

/** One recorded change of state. */
export interface StateChange {
  readonly from: TcpState;
  readonly to: TcpState;
  readonly on: TcpEvent;
  /** The frame that caused it, or null for a timer (2 MSL). */
  readonly frame: number | null;
  readonly time: number;
  readonly rfc: string;
}

/** Options an endpoint offered on its SYN or SYN-ACK. */
export interface OfferedOptions {
  mss?: number;
  wscale?: number;
  sack_permitted?: boolean;
  timestamps?: boolean;
  tfo?: boolean;
}

/** The replayed endpoint. Sequence fields are undefined until the capture shows them. */
export interface Endpoint {
  readonly side: Side;
  readonly addr: string;
  readonly port: number;
  peer: Endpoint;
  state: TcpState;
  /** Time (seconds) and frame of the last change of state. */
  stateSince: number;
  stateFrame: number;
  changes: StateChange[];

  /** Initial sequence number (from its SYN or SYN-ACK). */
  isn: number | undefined;
  /** One past the highest sequence number it has sent (SYN and FIN count). */
  sndNxt: number | undefined;
  /** Highest acknowledgment it has received from its peer. */
  sndUna: number | undefined;
  /** Sequence number of its FIN, once sent. */
  finSeq: number | undefined;
  finFrame: number | undefined;
  finAcked: boolean;
  /**
   * Frames and times of its SYNs without ACK with this ISN, the first one
   * first: at most KEPT_SYNS (the first ones, and the latest in the last
   * place), so a flood of one repeated SYN costs no more than a few;
   * synCount counts them all.
   */
  synFrames: number[];
  synTimes: number[];
  /** Exact timestamps of those SYNs, for the back-off gaps. */
  synStamps: (readonly [sec: number, nsec: number])[];
  /** How many SYNs without ACK it sent with this ISN. */
  synCount: number;
  /** Frames, times and exact timestamps of its SYN-ACKs with this ISN (at most KEPT_SYNS, as the SYNs'). */
  synackFrames: number[];
  synackTimes: number[];
  synackStamps: (readonly [sec: number, nsec: number])[];
  /** How many SYN-ACKs it sent with this ISN. */
  synackCount: number;
  /**
   * It was sent an acceptable SYN-ACK while in SYN_SENT. The receipt is applied
   * when it next speaks (its ACK is the proof), because a client that never
   * answers never got it: lost on the way, or the SYN was spoofed.
   */
  pendingSynAck: boolean;
  /** The latest stretch of its sequence space the capture skipped, until acknowledged or filled. */
  hole: { start: number; end: number } | undefined;
  /** The acknowledgment number of the last ACK-bearing segment it sent (its RCV.NXT then). */
  lastAckSent: number | undefined;
  options: OfferedOptions | undefined;
  /** Window scale in effect for its advertised windows (RFC 7323 §2.2: only when both offered it). */
  windowShift: number;
  /** Its last advertised window, scaled; undefined until it sends a non-SYN segment. */
  window: number | undefined;
  zeroWindow: boolean;
  /**
   * A segment that must be answered with a challenge ACK reached this
   * endpoint: an in-window RST not exactly at RCV.NXT (RFC 5961 §3.2) or a SYN
   * on its synchronized connection (§4).
   */
  challengePendingFrame: number | undefined;
  challengePendingSyn: boolean;
  /**
   * Its trailing run of keep-alive probes or retransmissions the peer has not
   * answered (silence.ts); undefined until it sends one, so the common flow
   * pays nothing for it.
   */
  unanswered: UnansweredRun | undefined;
  /**
   * Why its final state is an inference the capture cannot prove (a timeout
   * read from silence, a reset that probably never arrived); undefined when
   * the capture shows it.
   */
  finalStateDoubt: string | undefined;
  /** Its connection died of a timeout (keep-alive or retransmissions): its application saw ETIMEDOUT. */
  timedOut: boolean;
  frames: number;
  payloadBytes: number;
  /** Frame lengths on the wire, as Wireshark's conversation table counts bytes. */
  frameBytes: number;
  /** True once it has sent an ACK-bearing, non-RST segment: it held a synchronized connection. */
  synchronized: boolean;
  sawFinFromPeer: boolean;
  sawRstAccepted: boolean;
}

/** A fresh endpoint in `state`; call `pairEndpoints` before use. */
export function createEndpoint(side: Side, addr: string, port: number, state: TcpState, time: number, frame: number): Endpoint {
  const ep: Endpoint = {
    side, addr, port, peer: undefined as unknown as Endpoint, state, stateSince: time, stateFrame: frame,
    changes: emptyList(), isn: undefined, sndNxt: undefined, sndUna: undefined, finSeq: undefined, finFrame: undefined,
    finAcked: false, synFrames: emptyList(), synTimes: emptyList(), synStamps: emptyList(), synCount: 0, synackFrames: emptyList(),
    synackTimes: emptyList(), synackStamps: emptyList(), synackCount: 0, pendingSynAck: false, hole: undefined, lastAckSent: undefined,
    options: undefined, windowShift: 0, window: undefined,
    zeroWindow: false, challengePendingFrame: undefined, challengePendingSyn: false, unanswered: undefined, finalStateDoubt: undefined, timedOut: false, frames: 0, frameBytes: 0,
    payloadBytes: 0, synchronized: false, sawFinFromPeer: false, sawRstAccepted: false,
  };
  return ep;
}

/** One empty list for every list that has had nothing added yet; see emptyList. */
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * An empty list to start a field with, to be grown only through
 * {@link appended}: it is one shared, frozen array (an empty array still costs
 * its own object, and a flow starts with a dozen), and appended never writes
 * into a short list, so sharing it is safe, and a stray push would throw.
 */
export function emptyList<T>(): T[] {
  return EMPTY as unknown as T[];
}

/**
 * `list` with `item` added at the end. A short list is copied into an array
 * of exactly the new length instead of pushed to, because V8 gives an array
 * that grows by push room for 16 more elements: a flow keeps a dozen short
 * lists (state changes, SYN frames and times, FINs, waits) for as long as it
 * is held, up to 2 MSL past its close, and that spare room was a third of its
 * memory. Longer lists (rare) grow by push, so adding stays linear.
 */
/**
 * SYNs (and SYN-ACKs) of one ISN whose frames and times are kept: enough for
 * any real stack's retransmissions (Linux gives up after 6 by default, 127 at
 * most), while a capture of one SYN repeated a million times holds 64.
 */
export const KEPT_SYNS = 64;

/**
 * `list` with `item` after it, keeping at most KEPT_SYNS: past that the last
 * place holds the latest item (the first ones and the latest are what the
 * handshake's record reads).
 */
export function keptAppended<T>(list: T[], item: T): T[] {
  if (list.length < KEPT_SYNS) return appended(list, item);
  list[KEPT_SYNS - 1] = item;
  return list;
}

export function appended<T>(list: T[], item: T): T[] {
  const n = list.length;
  if (n >= SHORT_LIST) {
    list.push(item);
    return list;
  }
  // Literals and new Array(n) have room for exactly what they hold (a spread,
  // slice or concat is slower or keeps spare room); most lists stay this short.
  if (n === 0) return [item];
  if (n === 1) return [list[0]!, item];
  if (n === 2) return [list[0]!, list[1]!, item];
  const out = new Array<T>(n + 1);
  for (let i = 0; i < n; i++) out[i] = list[i]!;
  out[n] = item;
  return out;
}

/** Lists up to this long are copied on append (see appended). */
const SHORT_LIST = 12;

/** Makes `a` and `b` each other's peer. */
export function pairEndpoints(a: Endpoint, b: Endpoint): void {
  a.peer = b;
  b.peer = a;
}

/**
 * Applies `on` through the transition table. Every change of state goes
 * through here (smoltcp's `set_state`), so the record of changes is complete.
 * Returns the row applied, or undefined when the event leaves the state alone.
 */
export function applyEvent(ep: Endpoint, on: TcpEvent, frame: number | null, time: number): StateChange | undefined {
  const row = transition(ep.state, on);
  if (row === undefined) return undefined;
  const change: StateChange = { from: ep.state, to: row.to, on, frame, time, rfc: row.rfc };
  ep.changes = appended(ep.changes, change);
  ep.state = row.to;
  ep.stateSince = time;
  if (frame !== null) ep.stateFrame = frame;
  return change;
}

/** Options as offered on a SYN or SYN-ACK, in the JSON's naming. */
export function offeredOptions(options: readonly TcpOption[]): OfferedOptions {
  const out: OfferedOptions = {};
  for (const o of options) {
    if (o.kind === 'mss') out.mss = o.value;
    else if (o.kind === 'wscale') out.wscale = o.shift;
    else if (o.kind === 'sack-permitted') out.sack_permitted = true;
    else if (o.kind === 'timestamps') out.timestamps = true;
    else if (o.kind === 'tfo') out.tfo = true;
  }
  return out;
}
