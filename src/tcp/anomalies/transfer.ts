/** Detectors for the data-transfer phase. */

import type { Detector } from '../types.ts';
import { at, NO_FINDINGS, who } from './describe.ts';

/** Bytes (or a FIN) sent again. */
export const retransmission: Detector = (obs) => !obs.retransmission ? NO_FINDINGS : [
  at(obs, 'retransmission',
    `${who(obs.sender)} retransmitted ${obs.seg.payloadLen} bytes${obs.relSeq === undefined ? '' : ` (relative seq ${obs.relSeq >>> 0})`}`),
];

/** The sequence jumped: bytes the capture never saw (dropped by the capture, or lost before it). */
export const segmentGap: Detector = (obs) => obs.gapBytes <= 0 ? NO_FINDINGS : [
  at(obs, 'segment-gap',
    `${obs.gapBytes} bytes from ${who(obs.sender)} before this segment were never captured`, 'sender', { bytes: obs.gapBytes }),
];

/** An ACK covers bytes the capture never showed the peer sending. */
export const ackUnseen: Detector = (obs) => obs.ackUnseenBytes <= 0 ? NO_FINDINGS : [
  at(obs, 'ack-unseen',
    `${who(obs.sender)} acknowledged ${obs.ackUnseenBytes} bytes of ${who(obs.receiver)} that the capture never showed: the capture dropped them, the network did not`, 'receiver', { bytes: obs.ackUnseenBytes }),
];

/** A receiver closed its window. */
export const zeroWindow: Detector = (obs) => !obs.zeroWindowStart ? NO_FINDINGS : [
  at(obs, 'zero-window',
    `${who(obs.sender)} advertised a zero window: its application is not reading fast enough`),
];

/** A probe into a closed window (RFC 9293 §3.8.6.1). */
export const zeroWindowProbe: Detector = (obs) => !obs.zeroWindowProbe ? NO_FINDINGS : [
  at(obs, 'zero-window-probe', `${who(obs.sender)} probed ${who(obs.receiver)}'s zero window`),
];

/** A keep-alive probe (RFC 9293 §3.8.4: SND.NXT-1, no new data). */
export const keepalive: Detector = (obs) => !obs.keepalive ? NO_FINDINGS : [
  at(obs, 'keepalive', `${who(obs.sender)} sent a keep-alive probe`),
];
