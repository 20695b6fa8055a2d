/** Detectors for resets. */

import type { Detector } from '../observation.ts';
import { at, NO_FINDINGS, who } from './describe.ts';

/** An RST outside the receiver's window: ignored (RFC 5961 §3.2), often spoofed or stale. */
export const rstOutOfWindow: Detector = (obs) => obs.rst !== 'out-of-window' ? NO_FINDINGS : [
  at(obs, 'rst-out-of-window', 'warning',
    `RST from ${who(obs.sender)} is outside ${who(obs.receiver)}'s receive window: ignored (stale, or spoofed)`),
];

/** An RST that kills a TIME_WAIT (RFC 1337 "TIME-WAIT assassination"). */
export const rstInTimeWait: Detector = (obs) => !obs.rstInTimeWait ? NO_FINDINGS : [
  at(obs, 'rst-in-time-wait', 'warning',
    `RST from ${who(obs.sender)} ended ${who(obs.receiver)}'s TIME_WAIT early (RFC 1337 TIME-WAIT assassination)`, 'receiver'),
];

/** A segment reached an endpoint that no longer had the connection, which answered RST. */
export const halfOpen: Detector = (obs) => !obs.halfOpen ? NO_FINDINGS : [
  at(obs, 'half-open', 'error',
    `${who(obs.sender)} no longer had this connection and answered ${who(obs.receiver)}'s segment with RST (half-open: one side restarted or forgot it)`),
];

/** The answer to an in-window RST that was not exactly at RCV.NXT (RFC 5961 §3.2). */
export const challengeAck: Detector = (obs) => !obs.challengeAck ? NO_FINDINGS : [
  at(obs, 'challenge-ack', 'info',
    `${who(obs.sender)} answered the in-window RST of frame ${obs.challengeFor} with a challenge ACK (RFC 5961): the RST was not at the expected sequence number`),
];
