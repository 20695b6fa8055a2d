/**
 * The shapes the lifecycle replay works on: a flow, its two endpoints, what
 * one segment showed (an Observation) and what was found (a Finding). Types
 * only, in a file of their own, so that the modules which fill them
 * (lifecycle.ts), judge them (anomalies/, silence.ts) and print them
 * (record.ts) import one another in one direction.
 */

import type { IcmpMessage } from '../decode/icmp.ts';
import type { Segment } from '../decode/segment.ts';
import type { PackLog } from '../flow/pack.ts';
import type { ZeekConfig, ZeekState } from '../zeek/types.ts';
import type { AnomalyCode, Severity } from './anomalies/registry.ts';
import type { TcpEvent, TcpState } from './transitions.ts';

// The flow and its endpoints.

/** Knobs of the replay. */
export interface LifecycleOptions {
  /** Maximum segment lifetime in seconds; TIME_WAIT lasts 2 MSL. */
  readonly msl: number;
  /** Seconds in CLOSE_WAIT or FIN_WAIT_2 after which the wait is reported as stuck. */
  readonly stuckAfter: number;
  /** Keep a per-frame timeline. */
  readonly events: boolean;
  /** Zeek's settings for the flows' Zeek rows (src/zeek/); default DEFAULT_ZEEK_CONFIG. */
  readonly zeek?: ZeekConfig;
  /**
   * With `events`: most timeline entries kept per flow, the first half and
   * the latest half (the middle is counted in Flow.eventsOmitted); default
   * every one. explain keeps EXPLAIN_EVENTS, so one flow of a million
   * retransmissions costs what 20,000 do.
   */
  readonly eventsKept?: number;
  /**
   * With `events`: which frames get a timeline entry. `every` (the default)
   * is what explain and `--events` show. `fins` keeps only the segments that
   * carry a FIN: what diff reads of a timeline is its two FINs' times
   * (report/diff.ts finsCrossed), and an entry for every frame, each made,
   * written down, kept and read back with the record, was half the time of
   * a diff of two captures. `states` keeps the entries where either end's
   * state changed, with the first and the last, and every frame's number and
   * time as numbers beside them (FlowRecord.frame_times): what netstat reads,
   * without an entry, its ISO time and its notes made, written down and read
   * back for every frame.
   */
  readonly eventFrames?: EventFrames;
  /**
   * With `events`: only the flows this can choose keep a timeline; the
   * others' records have no `events`. What `explain --flow/--host/--port`
   * will show is known when a flow begins, and a timeline made for every
   * other flow of a large capture was a third of the time of explaining one.
   */
  readonly timelineOf?: TimelineChoice;
}

/**
 * Flows a timeline is kept for (LifecycleOptions.timelineOf): each given
 * condition must hold, as a FlowFilter's do. `ids` are the ids the replay
 * gives (a worker of a parallel analysis numbers its own flows, so it is
 * given none: analyze.ts).
 */
export interface TimelineChoice {
  readonly ids?: readonly number[];
  /** Either end's address, canonical (decode/address.ts canonicalAddr). */
  readonly host?: string;
  /** Either end's port. */
  readonly port?: number;
}

/** Which frames a timeline keeps (LifecycleOptions.eventFrames). */
export type EventFrames = 'every' | 'fins' | 'states';

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
  /**
   * The errno of the latest ICMP error about its segments while it held a
   * synchronized connection (a soft error, Linux's sk_err_soft): if the
   * connection then dies of retransmissions its application sees this
   * instead of ETIMEDOUT (tcp_write_err).
   */
  softError: string | undefined;
  /** The largest payload it sent in one segment (what a full-size segment is, for the path MTU black hole). */
  maxPayload: number;
  /** The path MTU the latest fragmentation needed / packet too big about its segments gave. */
  pathMtu: number | undefined;
  /**
   * Its next sequence number when that message came: what it resends below
   * this in segments that fit the new path MTU is the refused data sent
   * again smaller, not a loss (lifecycle.ts replaySequence).
   */
  resendSmallerBelow: number | undefined;
  frames: number;
  payloadBytes: number;
  /** Frame lengths on the wire, as Wireshark's conversation table counts bytes. */
  frameBytes: number;
  /** True once it has sent an ACK-bearing, non-RST segment: it held a synchronized connection. */
  synchronized: boolean;
  sawFinFromPeer: boolean;
  sawRstAccepted: boolean;
}

/** One line of the per-frame timeline (`--events`). */
export interface FrameEvent {
  readonly frame: number;
  readonly sec: number;
  readonly nsec: number;
  /** `>` client to server, `<` server to client. */
  readonly dir: '>' | '<';
  readonly flags: number;
  /** Sequence and acknowledgment numbers relative as tcpdump prints them. */
  readonly seq: number;
  readonly ack: number | undefined;
  readonly len: number;
  readonly win: number;
  readonly client: TcpState;
  readonly server: TcpState;
  readonly notes: string[];
  /** Present for an ICMP error about the flow (then `seq` is the quoted one, and flags, len and win are 0). */
  readonly icmp?: IcmpNote;
}

/** A stretch one side spent waiting for the other's FIN. */
export interface Wait {
  readonly side: Side;
  readonly state: 'CLOSE_WAIT' | 'FIN_WAIT_2';
  readonly since: number;
  readonly sec: number;
  readonly nsec: number;
  readonly frame: number;
  until: number | undefined;
  untilFrame: number | undefined;
}

/** A flow being replayed. */
export interface Flow {
  readonly id: number;
  readonly key: string;
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly roles: 'observed' | 'inferred';
  readonly firstFrame: number;
  readonly firstSec: number;
  readonly firstNsec: number;
  lastFrame: number;
  lastSec: number;
  lastNsec: number;
  readonly midstream: boolean;
  onlyRst: boolean;
  /** Handshake landmarks (frames). */
  synackFrame: number | undefined;
  synackTime: number | undefined;
  synackStamp: readonly [sec: number, nsec: number] | undefined;
  handshakeAckFrame: number | undefined;
  handshakeAckTime: number | undefined;
  serverAnsweredRst: boolean;
  /** Frame where the server acknowledged the client's SYN without a SYN of its own (split handshake). */
  splitAckFrame: number | undefined;
  /** The listener was seen dropping the handshake's last ACK (accept queue full). */
  acceptQueueFull: boolean;
  resetBeforeEstablished: boolean;
  established: boolean;
  fins: FinRecord[];
  /** First RST (any verdict) and the first one that ended the connection. */
  firstRst: { side: Side; frame: number } | undefined;
  closingRst: { side: Side; frame: number; afterFins: number } | undefined;
  /** Times each side entered CLOSE_WAIT / FIN_WAIT_2, and the frame that put it there. */
  waits: Wait[];
  findings: Finding[];
  /** Findings by code, listed or not; undefined until the first. */
  findingCounts: Map<string, number> | undefined;
  events: FrameEvent[] | undefined;
  /** With eventFrames `states`: every frame's number, seconds and nanoseconds, three numbers a frame, in frame order. */
  frameTimes: number[] | undefined;
  /** Timeline entries dropped from the middle under LifecycleOptions.eventsKept: how many, and their first and last frames. */
  eventsOmitted: { count: number; first: number; last: number } | undefined;
  zeek: ZeekState;
  /** tcpdump's relative-number bases (print-tcp.c's tcp_seq_hash), per direction. */
  tcpdumpBase: { seq: number; ack: number; fromClient: boolean } | undefined;
  readonly previous: { id: number; endTime: number } | undefined;
  /**
   * Its segments so far in flow/pack.ts's form, while few enough to hold the
   * flow as them (tcp/compact.ts): a log being appended to, or its text form
   * as a rebuilt flow had it; undefined when not packing, after too many
   * segments, or once one could not be packed.
   */
  packed: PackLog | string | undefined;
  /** ICMP errors about its segments, in frame order (empty for nearly every flow). */
  icmp: IcmpNote[];
  /** The ICMP error that ended the client's connection attempt, if one did. */
  icmpEnd: IcmpNote | undefined;
}

/**
 * An ICMP or ICMPv6 error about one of a flow's segments (lifecycle.ts
 * replayIcmp): one of the flow's frames, counted apart from its segments.
 */
export interface IcmpNote extends Pick<IcmpMessage, 'protocol' | 'type' | 'code' | 'kind' | 'name' | 'errno' | 'mtu'> {
  readonly frame: number;
  readonly sec: number;
  readonly nsec: number;
  /** Its source address: the host that reported the error. */
  readonly from: string;
  /** The quoted segment's destination itself, or a router on the path. */
  readonly by: 'peer' | 'router';
  /** The side whose segment it quotes: the side it reports to. */
  readonly about: Side;
  /** The quoted segment's sequence number and payload length (undefined when the quote stops short). */
  readonly seq: number;
  readonly len: number | undefined;
  /**
   * What it did, as Linux's tcp_v4_err / tcp_v6_err would: ended the
   * sender's connection attempt, was kept as a soft error, lowered the path
   * MTU, or nothing (it quoted a sequence number the sender no longer had in
   * flight, or reached an endpoint holding no connection).
   */
  readonly effect: 'ended-attempt' | 'soft-error' | 'path-mtu' | 'ignored';
  /**
   * It seemed to end the attempt, but the sender sent its SYN again: it had
   * found the socket held by the application inside connect(), and Linux
   * kept it only as a soft error (LockDroppedIcmps). `effect` is then
   * `soft-error`.
   */
  readonly heldInConnect?: true;
}

/** What the replay remembers of one FIN. */
export interface FinRecord {
  readonly side: Side;
  readonly frame: number;
  /** The FIN segment acknowledged the other side's FIN. */
  readonly acksPeerFin: boolean;
  /** The other side's FIN had been acknowledged by this side before (a separate ACK). */
  readonly peerFinAckedBefore: boolean;
}

// What the replay of one segment shows, and the findings made from it.

/** One anomaly, as the JSON prints it. */
export interface Finding {
  readonly code: AnomalyCode;
  readonly severity: Severity;
  /** The endpoint the finding concerns, or null when it concerns the connection as a whole. */
  readonly side: Side | null;
  readonly frame: number;
  /** Seconds since the epoch, for arithmetic. */
  readonly time: number;
  /** The exact capture timestamp of `frame` (whole seconds, nanoseconds), for printing. */
  readonly sec: number;
  readonly nsec: number;
  readonly message: string;
  /** Extra facts, e.g. `since_previous_s` for tuple-reuse. */
  readonly details?: Readonly<Record<string, number | string | boolean | null>>;
}

/** How an RST was judged by its receiver (RFC 9293 §3.10.7, RFC 5961 §3.2). */
export type RstVerdict = 'accepted' | 'challenge' | 'out-of-window' | 'ignored';

/** The facts one segment showed. */
export interface Observation {
  readonly seg: Segment;
  readonly time: number;
  readonly sender: Endpoint;
  readonly receiver: Endpoint;
  readonly senderBefore: TcpState;
  readonly receiverBefore: TcpState;
  /** Sequence numbers relative to the sender's ISN (Wireshark's relative numbers), when known. */
  relSeq: number | undefined;
  synRetransmit: { count: number; gap: number } | undefined;
  synackRetransmit: boolean;
  acceptQueueFull: boolean;
  simultaneousOpen: boolean;
  synWithData: boolean;
  badSynAckAck: boolean;
  /** A retransmission of bytes already seen (payload or FIN). */
  retransmission: boolean;
  /** Bytes skipped between what the sender had sent and this segment's seq. */
  gapBytes: number;
  /** Bytes this ACK covers that the capture never showed the peer sending. */
  ackUnseenBytes: number;
  keepalive: boolean;
  zeroWindowProbe: boolean;
  zeroWindowStart: boolean;
  finRepeat: boolean;
  lastAckLost: boolean;
  dataAfterFin: boolean;
  rst: RstVerdict | undefined;
  rstInTimeWait: boolean;
  refused: boolean;
  halfOpen: boolean;
  challengeAck: boolean;
  /** Frame of the RST or SYN that provoked the challenge ACK. */
  challengeFor: number | undefined;
  /** What provoked it: an in-window RST (RFC 5961 §3.2) or a SYN on the synchronized connection (§4). */
  challengeForSyn: boolean;
  /** Bytes sent again in segments that fit a lowered path MTU (after a packet too big): not a loss. */
  resentSmaller: boolean;
  /** A SYN with a new sequence number reached the receiver's synchronized connection (it belongs to it, RFC 5961 §4). */
  synInConnection: boolean;
  /** This RST ended the sender's keep-alive (silence.ts). */
  keepaliveDeath: KeepaliveDeath | undefined;
}

/**
 * A detector: one observation in, zero or more findings out. The observation
 * is reused for the next segment (lifecycle.ts), so a finding copies the
 * values it needs and nothing keeps the observation itself.
 */
export type Detector = (obs: Observation) => readonly Finding[];

/** An endpoint's trailing run of keep-alive probes or retransmissions that its peer has not answered. */
export interface UnansweredRun {
  readonly kind: 'keepalive' | 'retransmission';
  count: number;
  readonly firstFrame: number;
  readonly firstTime: number;
  lastFrame: number;
  lastTime: number;
  /** The last one's exact timestamp, for the finding that names it. */
  lastSec: number;
  lastNsec: number;
  /** The first one's exact timestamp. */
  readonly firstSec: number;
  readonly firstNsec: number;
  /** Payload bytes of the last one. */
  lastLen: number;
  /** Seconds between the last two of the run (undefined with one). */
  lastGap: number | undefined;
  /** Seconds between the two before (undefined with fewer than three). */
  previousGap: number | undefined;
}

/** What a keep-alive death looks like in the capture. */
export interface KeepaliveDeath {
  readonly probes: number;
  readonly firstFrame: number;
  /** Seconds from the first probe to the RST. */
  readonly over: number;
}

/** What the silence after an endpoint's last retransmissions says, at the end of the capture. */
export interface RetransmissionEnd {
  readonly run: UnansweredRun;
  /** Seconds from the last retransmission to the end of the capture. */
  readonly silence: number;
  /** Seconds after the last retransmission by which the next one was due. */
  readonly nextDue: number;
  /** The silence outlasted the next retransmission: the sender gave up. */
  readonly gaveUp: boolean;
}

/** What an endpoint's silence at the end of the capture showed (settleAtEnd), for the end-of-flow detectors. */
export interface EndSilence {
  readonly ep: Endpoint;
  readonly end: RetransmissionEnd;
}
