/**
 * What an endpoint's unanswered segments, and the silence after them, imply.
 *
 * A connection whose peer vanished ends in one of two ways that leave no
 * segment from the peer in the capture:
 *
 * - keep-alive death: the prober's keep-alive probes (RFC 9293 §3.8.4) go
 *   unanswered and, when Linux's TCP_KEEPCNT (tcp_keepalive_probes) of them
 *   have, it sends an RST and fails the socket with ETIMEDOUT
 *   (tcp_keepalive_timer → tcp_send_active_reset, tcp_write_err);
 * - retransmission death: data is retransmitted with a doubling timeout until
 *   the user timeout (§3.8.3 R2; Linux's tcp_retries2 or TCP_USER_TIMEOUT)
 *   aborts the connection, with no segment at all (tcp_write_timeout →
 *   tcp_write_err), so only silence shows it.
 *
 * Both are read from the run of unanswered segments an endpoint sent last.
 */

import type { Endpoint, KeepaliveDeath, Observation, RetransmissionEnd } from './types.ts';

/**
 * The longest retransmission timeout (RFC 6298 §2.5 allows a maximum of at
 * least 60 s; Linux's TCP_RTO_MAX is 120 s).
 */
const RTO_MAX = 120;

/** Linux's smallest TCP_KEEPINTVL: a lone probe's RST must come at least this late to be the keep-alive's. */
const MIN_KEEPALIVE_INTERVAL = 1;

/**
 * Follows the runs for one replayed segment: anything from the receiver's
 * peer answers the receiver's run; the sender's keep-alive probe or
 * retransmission extends its own; anything else from it ends it.
 */
export function trackUnanswered(obs: Observation, isRst: boolean): void {
  const snd = obs.sender;
  obs.receiver.unanswered = undefined;
  if (isRst) return;
  const kind = obs.keepalive ? 'keepalive' : obs.retransmission ? 'retransmission' : undefined;
  if (kind === undefined) {
    snd.unanswered = undefined;
    return;
  }
  const run = snd.unanswered;
  if (run === undefined || run.kind !== kind) {
    snd.unanswered = {
      kind, count: 1, firstFrame: obs.seg.frame, firstTime: obs.time, firstSec: obs.seg.sec, firstNsec: obs.seg.nsec,
      lastFrame: obs.seg.frame, lastTime: obs.time, lastSec: obs.seg.sec, lastNsec: obs.seg.nsec, lastLen: obs.seg.payloadLen,
      lastGap: undefined, previousGap: undefined,
    };
    return;
  }
  run.count++;
  run.previousGap = run.lastGap;
  run.lastGap = obs.time - run.lastTime;
  run.lastFrame = obs.seg.frame;
  run.lastTime = obs.time;
  run.lastSec = obs.seg.sec;
  run.lastNsec = obs.seg.nsec;
  run.lastLen = obs.seg.payloadLen;
}

/**
 * The RST `snd` sends at `time` ends its keep-alive: it follows unanswered
 * probes when the next probe would have been due (Linux resets instead of
 * sending probe TCP_KEEPCNT + 1).
 */
export function keepaliveDeath(snd: Endpoint, time: number, payloadLen: number): KeepaliveDeath | undefined {
  const run = snd.unanswered;
  if (run === undefined || run.kind !== 'keepalive' || payloadLen > 0) return undefined;
  const gap = time - run.lastTime;
  const due = run.lastGap === undefined ? gap >= MIN_KEEPALIVE_INTERVAL : gap >= run.lastGap / 2;
  return due ? { probes: run.count, firstFrame: run.firstFrame, over: time - run.firstTime } : undefined;
}

/**
 * Reads an endpoint still holding its connection whose last segments were
 * unanswered retransmissions (at least two, so the back-off shows). The next
 * one is due twice the last gap later (RFC 6298 §5.5 back-off), or one gap
 * later where the capture shows the gaps not growing; silence longer than that
 * means the sender gave up.
 */
export function retransmissionEnd(ep: Endpoint, captureEnd: number): RetransmissionEnd | undefined {
  const run = ep.unanswered;
  if (run === undefined || run.kind !== 'retransmission' || run.count < 2 || run.lastGap === undefined) return undefined;
  const growing = run.previousGap === undefined || run.lastGap >= run.previousGap * 1.5;
  const nextDue = Math.min(growing ? run.lastGap * 2 : run.lastGap, RTO_MAX);
  const silence = captureEnd - run.lastTime;
  return { run, silence, nextDue, gaveUp: silence > nextDue };
}
