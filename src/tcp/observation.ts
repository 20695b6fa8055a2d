/**
 * What the replay learned from one segment, before any judgement: the facts
 * the anomaly detectors read. The lifecycle engine fills it; detectors never
 * change state, they only turn observations into findings.
 */

import type { Segment } from '../decode/segment.ts';
import type { KeepaliveDeath } from './silence.ts';
import type { Endpoint, Side } from './endpoint.ts';
import type { TcpState } from './transitions.ts';

/** Severity of a finding. */
export type Severity = 'info' | 'warning' | 'error';

/** One anomaly, as the JSON prints it. */
export interface Finding {
  readonly code: string;
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
