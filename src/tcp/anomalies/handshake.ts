/** Detectors for what goes wrong while a connection opens. */

import type { Detector } from '../types.ts';
import { hostPort } from '../../decode/address.ts';
import { at, NO_FINDINGS, secs, who } from './describe.ts';

/** A SYN sent again with the same ISN: the first was lost or unanswered (RFC 6298 §5 back-off). */
export const synRetransmit: Detector = (obs) => obs.synRetransmit === undefined ? NO_FINDINGS : [
  at(obs, 'syn-retransmit',
    `${who(obs.sender)} retransmitted its SYN (attempt ${obs.synRetransmit.count}, ${secs(obs.synRetransmit.gap)} after the previous one)`,
    'sender', { attempt: obs.synRetransmit.count, gap_s: round(obs.synRetransmit.gap) }),
];

/** A SYN-ACK sent again: the client's ACK (or the SYN-ACK itself) was lost. */
export const synackRetransmit: Detector = (obs) => !obs.synackRetransmit || obs.acceptQueueFull ? NO_FINDINGS : [
  at(obs, 'synack-retransmit',
    `${who(obs.sender)} retransmitted its SYN-ACK: the handshake's last ACK had not reached it`),
];

/**
 * The server repeats its SYN-ACK after the client's final ACK was seen: its
 * listener dropped that ACK because the accept queue was full (Linux,
 * tcp_abort_on_overflow=0). The client believes it is connected.
 */
export const acceptQueueFull: Detector = (obs) => !obs.acceptQueueFull ? NO_FINDINGS : [
  at(obs, 'accept-queue-full',
    `${who(obs.sender)} repeated its SYN-ACK after the client's ACK arrived: the listener's accept queue was full and dropped it (the application is not calling accept() fast enough)`),
];

/** Both ends sent a SYN without ACK (RFC 9293 §3.5, Figure 8). */
export const simultaneousOpen: Detector = (obs) => !obs.simultaneousOpen ? NO_FINDINGS : [
  at(obs, 'simultaneous-open', `${who(obs.sender)} sent its own SYN: simultaneous open`),
];

/** A SYN carrying data (TCP Fast Open, RFC 7413, or an unusual stack). */
export const synWithData: Detector = (obs) => !obs.synWithData ? NO_FINDINGS : [
  at(obs, 'syn-with-data', `${who(obs.sender)} sent ${obs.seg.payloadLen} bytes of data on its SYN${obs.seg.options.some((o) => o.kind === 'tfo') ? ' (TCP Fast Open)' : ''}`),
];

/** A SYN-ACK that does not acknowledge the SYN (RFC 9293 §3.10.7.3: answered by RST). */
export const badSynAckAck: Detector = (obs) => !obs.badSynAckAck ? NO_FINDINGS : [
  at(obs, 'bad-synack-ack',
    `${who(obs.sender)} sent a SYN-ACK whose ACK does not acknowledge ${hostPort(obs.receiver.addr, obs.receiver.port)}'s SYN (stale or misrouted answer)`),
];

/** The SYN's receiver answered RST: nothing listens on the port. */
export const connectionRefused: Detector = (obs) => !obs.refused ? NO_FINDINGS : [
  at(obs, 'connection-refused',
    `${who(obs.sender)} answered the SYN with RST: no listener on port ${obs.sender.port} (the client sees ECONNREFUSED)`),
];

function round(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}
