/** The detectors the replay runs on every segment, in the order their findings are listed. */

import type { Detector } from '../types.ts';
import { acceptQueueFull, badSynAckAck, connectionRefused, simultaneousOpen, synackRetransmit, synRetransmit, synWithData } from './handshake.ts';
import { ackUnseen, keepalive, retransmission, segmentGap, zeroWindow, zeroWindowProbe } from './transfer.ts';
import { dataAfterFin, finRetransmit, lastAckLost } from './close.ts';
import { challengeAck, halfOpen, keepaliveTimeout, rstInTimeWait, rstOutOfWindow, synInConnection } from './reset.ts';
import { ipLengthExceedsFrame } from './malformed.ts';

/** Every per-segment detector. */
export const SEGMENT_DETECTORS: readonly Detector[] = [
  synRetransmit, synackRetransmit, acceptQueueFull, simultaneousOpen, synWithData, badSynAckAck,
  connectionRefused, retransmission, segmentGap, ackUnseen, zeroWindow, zeroWindowProbe, keepalive,
  finRetransmit, lastAckLost, dataAfterFin, rstOutOfWindow, rstInTimeWait, halfOpen, challengeAck,
  synInConnection, keepaliveTimeout,
  ipLengthExceedsFrame,
];
