/** Detectors for resets. */

import type { Detector } from '../types.ts';
import { at, NO_FINDINGS, secs, who } from './describe.ts';
import { seqInWindow } from '../seq.ts';

/** An RST outside the receiver's window: ignored (RFC 5961 §3.2), often spoofed or stale. */
export const rstOutOfWindow: Detector = (obs) => obs.rst !== 'out-of-window' ? NO_FINDINGS : [
  at(obs, 'rst-out-of-window',
    `RST from ${who(obs.sender)} is outside ${who(obs.receiver)}'s receive window: ignored (stale, or spoofed)`),
];

/** An RST that kills a TIME_WAIT (RFC 1337 "TIME-WAIT assassination"). */
export const rstInTimeWait: Detector = (obs) => !obs.rstInTimeWait ? NO_FINDINGS : [
  at(obs, 'rst-in-time-wait',
    `RST from ${who(obs.sender)} ended ${who(obs.receiver)}'s TIME_WAIT early (RFC 1337 TIME-WAIT assassination)`, 'receiver'),
];

/** A segment reached an endpoint that no longer had the connection, which answered RST. */
export const halfOpen: Detector = (obs) => !obs.halfOpen ? NO_FINDINGS : [
  at(obs, 'half-open',
    `${who(obs.sender)} no longer had this connection and answered ${who(obs.receiver)}'s segment with RST (half-open: one side restarted or forgot it)`),
];

/**
 * The answer to an in-window RST that was not exactly at RCV.NXT (RFC 5961
 * §3.2), or to a SYN on a synchronized connection (§4).
 */
export const challengeAck: Detector = (obs) => !obs.challengeAck ? NO_FINDINGS : [
  at(obs, 'challenge-ack', obs.challengeForSyn
    ? `${who(obs.sender)} answered the SYN of frame ${obs.challengeFor} with a challenge ACK (RFC 5961 §4) and kept its connection: a genuine peer that restarted answers it with RST, an injected SYN is harmless`
    : `${who(obs.sender)} answered the in-window RST of frame ${obs.challengeFor} with a challenge ACK (RFC 5961): the RST was not at the expected sequence number`),
];

/** A SYN with a new sequence number on a synchronized connection: it belongs to that connection (RFC 5961 §4). */
export const synInConnection: Detector = (obs) => {
  if (!obs.synInConnection) return NO_FINDINGS;
  const rcv = obs.receiver;
  const rcvNxt = obs.sender.sndNxt;
  const where = rcvNxt === undefined || rcv.window === undefined ? ''
    : seqInWindow(obs.seg.seq, rcvNxt, Math.max(rcv.window, 1)) ? ' (inside its receive window)' : ' (outside its receive window)';
  return [at(obs, 'syn-in-connection',
    `a SYN from ${who(obs.sender)} with a new sequence number${where} reached ${who(rcv)}, which still held the connection in ${obs.receiverBefore}: ` +
    'injected, or the host restarted and reused the port; it does not open a new connection (RFC 5961 §4)')];
};

/** Keep-alive probes went unanswered and the prober reset the connection (tcp/silence.ts). */
export const keepaliveTimeout: Detector = (obs) => {
  const d = obs.keepaliveDeath;
  if (d === undefined) return NO_FINDINGS;
  return [at(obs, 'keepalive-timeout',
    `${who(obs.receiver)} answered none of ${d.probes} keep-alive probe${d.probes === 1 ? '' : 's'} (from frame ${d.firstFrame}, over ${secs(d.over)}): ` +
    `${obs.sender.side}'s keep-alive gave up and reset the connection, and its application saw ETIMEDOUT; ` +
    `the ${obs.receiver.side} vanished (host down or path cut) and probably never got the RST`,
    'receiver', { probes: d.probes, first_probe_frame: d.firstFrame, over_s: Math.round(d.over * 1e6) / 1e6 })];
};
