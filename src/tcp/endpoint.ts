/**
 * One side of a connection, as the capture shows it: its RFC 9293 state and the
 * sequence-space facts needed to judge what it sends and receives. Each
 * endpoint knows its peer, as Zeek's TCP_Endpoint does.
 */

import type { TcpOption } from '../decode/segment.ts';
import { transition, type TcpEvent, type TcpState } from './transitions.ts';
import type { Endpoint, OfferedOptions, Side, StateChange } from './types.ts';

/** A fresh endpoint in `state`; call `pairEndpoints` before use. */
export function createEndpoint(side: Side, addr: string, port: number, state: TcpState, time: number, frame: number): Endpoint {
  const ep: Endpoint = {
    side, addr, port, peer: undefined as unknown as Endpoint, state, stateSince: time, stateFrame: frame,
    changes: emptyList(), isn: undefined, sndNxt: undefined, sndUna: undefined, finSeq: undefined, finFrame: undefined,
    finAcked: false, synFrames: emptyList(), synTimes: emptyList(), synStamps: emptyList(), synCount: 0, synackFrames: emptyList(),
    synackTimes: emptyList(), synackStamps: emptyList(), synackCount: 0, pendingSynAck: false, hole: undefined, lastAckSent: undefined,
    options: undefined, windowShift: 0, window: undefined,
    zeroWindow: false, challengePendingFrame: undefined, challengePendingSyn: false, unanswered: undefined, finalStateDoubt: undefined, timedOut: false, softError: undefined, maxPayload: 0, pathMtu: undefined, resendSmallerBelow: undefined, frames: 0, frameBytes: 0,
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
