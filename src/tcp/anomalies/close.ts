/** Detectors for the closing phase. */

import type { Detector } from '../types.ts';
import { at, NO_FINDINGS, who } from './describe.ts';

/** A FIN sent again. */
export const finRetransmit: Detector = (obs) => !obs.finRepeat ? NO_FINDINGS : [
  at(obs, 'fin-retransmit', `${who(obs.sender)} retransmitted its FIN`),
];

/**
 * The passive closer repeats its FIN after the final ACK was sent: that ACK was
 * lost, and the active closer's TIME_WAIT answers the repeat (RFC 9293 §3.10.7.4).
 */
export const lastAckLost: Detector = (obs) => !obs.lastAckLost ? NO_FINDINGS : [
  at(obs, 'last-ack-lost',
    `${who(obs.sender)} repeated its FIN after ${who(obs.receiver)}'s final ACK: that ACK was lost, and TIME_WAIT is there to answer again`),
];

/** Data beyond the sender's own FIN: a broken stack or a forged segment. */
export const dataAfterFin: Detector = (obs) => !obs.dataAfterFin ? NO_FINDINGS : [
  at(obs, 'data-after-fin', `${who(obs.sender)} sent ${obs.seg.payloadLen} bytes after its own FIN`),
];
