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

import { applyEvent, type Endpoint } from './endpoint.ts';
import type { Finding, Observation } from './observation.ts';
import type { Flow } from './lifecycle.ts';
import { SYNCHRONIZED } from './transitions.ts';
import { secs, who } from './anomalies/describe.ts';

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
  /** Seconds between the last two of the run (undefined with one). */
  lastGap: number | undefined;
  /** Seconds between the two before (undefined with fewer than three). */
  previousGap: number | undefined;
}

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
      kind, count: 1, firstFrame: obs.seg.frame, firstTime: obs.time,
      lastFrame: obs.seg.frame, lastTime: obs.time, lastSec: obs.seg.sec, lastNsec: obs.seg.nsec,
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
}

/** What a keep-alive death looks like in the capture. */
export interface KeepaliveDeath {
  readonly probes: number;
  readonly firstFrame: number;
  /** Seconds from the first probe to the RST. */
  readonly over: number;
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

/**
 * At the end of the capture: reads each endpoint still retransmitting into
 * silence (retransmissionEnd). One that fell silent for longer than its next
 * retransmission was due gave up, and is closed by its user timeout at the
 * latest when that retransmission was due; one that did not cannot be told
 * from one still trying. Either way its final state is marked as inferred.
 */
export function settleRetransmissions(flow: Flow, captureEnd: number): Finding[] {
  const out: Finding[] = [];
  for (const ep of [flow.client, flow.server]) {
    if (!SYNCHRONIZED.includes(ep.state)) continue;
    const end = retransmissionEnd(ep, captureEnd);
    if (end === undefined) continue;
    const { run, silence, nextDue } = end;
    const peer = ep.peer;
    const tried = `${run.count} retransmissions from frame ${run.firstFrame} over ${secs(run.lastTime - run.firstTime)}, the last at frame ${run.lastFrame}`;
    const base = {
      // Named at the last retransmission: the silence that tells the story begins there.
      side: peer.side, frame: run.lastFrame, time: run.lastTime, sec: run.lastSec, nsec: run.lastNsec,
      details: { retransmissions: run.count, first_frame: run.firstFrame, silence_s: round6(silence), next_due_s: round6(nextDue) },
    };
    if (end.gaveUp) {
      applyEvent(ep, 'user timeout', null, run.lastTime + nextDue);
      ep.timedOut = true;
      ep.finalStateDoubt = `read from silence: nothing from it in the ${secs(silence)} after its last retransmission (frame ${run.lastFrame}), when the next was due within ${secs(nextDue)}`;
      out.push({
        ...base, code: 'retransmission-timeout', severity: 'error',
        message: `${who(peer)} acknowledged none of ${who(ep)}'s ${tried}; then ${ep.side} fell silent for ${secs(silence)}, longer than its next retransmission was due (${secs(nextDue)}): ` +
          `it gave up (user timeout: tcp_retries2 or TCP_USER_TIMEOUT), closed the connection without a segment, and its application saw ETIMEDOUT`,
      });
    } else {
      const ended = silence < 1e-6 ? 'the capture ended with its last retransmission' : `the capture ended ${secs(silence)} after its last retransmission`;
      ep.finalStateDoubt = `still retransmitting when the capture ended (${ended.replace('the capture ended ', '')}, the next due within ${secs(nextDue)}): it may yet have been answered, or given up`;
      out.push({
        ...base, code: 'retransmitting-at-end', severity: 'warning',
        message: `${who(peer)} acknowledged none of ${who(ep)}'s ${tried}; ${silence < 1e-6 ? 'the capture ended there' : `the capture ended ${secs(silence)} later`}, before the next was due (${secs(nextDue)}): ` +
          `whether ${ep.side} was answered or gave up cannot be told`,
      });
    }
  }
  return out;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
