/**
 * Detectors that can only speak once a flow is over (or the capture ended):
 * what did not happen is an anomaly too.
 */

import type { EndSilence, Finding, Flow } from '../types.ts';
import { seqDiff, seqGt } from '../seq.ts';
import { hostPort } from '../../decode/address.ts';
import { coded, secs, who } from './describe.ts';

/** What an end-of-flow detector sees. */
export interface FlowEnd {
  readonly flow: Flow;
  readonly handshake: string;
  /** Time of the last frame of the whole capture (seconds). */
  readonly captureEnd: number;
  readonly msl: number;
  readonly stuckAfter: number;
  /** Endpoints whose last retransmissions met silence (lifecycle.ts settleAtEnd, which has settled their states). */
  readonly silences: readonly EndSilence[];
}

/** A detector run when the flow is finalised. */
export type EndDetector = (end: FlowEnd) => readonly Finding[];

/**
 * An endpoint's last retransmissions went unacknowledged into the capture's
 * end (silence.ts): it gave up (retransmission-timeout) or was still trying
 * (retransmitting-at-end). Named at the last retransmission, where the
 * silence that tells the story begins.
 */
export const retransmissionSilence: EndDetector = ({ silences }) => silences.map(({ ep, end }): Finding => {
  const { run, silence, nextDue } = end;
  const peer = ep.peer;
  const tried = `${run.count} retransmissions from frame ${run.firstFrame} over ${secs(run.lastTime - run.firstTime)}, the last at frame ${run.lastFrame}`;
  const base = {
    side: peer.side, frame: run.lastFrame, time: run.lastTime, sec: run.lastSec, nsec: run.lastNsec,
    details: { retransmissions: run.count, first_frame: run.firstFrame, silence_s: round6(silence), next_due_s: round6(nextDue) },
  };
  return end.gaveUp ? {
    ...base, ...coded('retransmission-timeout'),
    message: `${who(peer)} acknowledged none of ${who(ep)}'s ${tried}; then ${ep.side} fell silent for ${secs(silence)}, longer than its next retransmission was due (${secs(nextDue)}): ` +
      `it gave up (user timeout: tcp_retries2 or TCP_USER_TIMEOUT), closed the connection without a segment, and its application saw ${ep.softError ?? 'ETIMEDOUT'}`,
  } : {
    ...base, ...coded('retransmitting-at-end'),
    message: `${who(peer)} acknowledged none of ${who(ep)}'s ${tried}; ${silence < 1e-6 ? 'the capture ended there' : `the capture ended ${secs(silence)} later`}, before the next was due (${secs(nextDue)}): ` +
      `whether ${ep.side} was answered or gave up cannot be told`,
  };
});

/**
 * A path MTU black hole (RFC 2923 §2.1): an endpoint's full-size segments are
 * resent and never acknowledged, while its small ones got through (its peer
 * acknowledged its SYN) and no fragmentation needed / packet too big came
 * about them. A link on the way has a smaller MTU and the ICMP error that
 * would have said so is dropped, or never sent. Named at the first of the
 * resent segments.
 */
export const pmtuBlackHole: EndDetector = ({ silences }) => {
  const out: Finding[] = [];
  for (const { ep, end } of silences) {
    const { run } = end;
    const smallOnesThrough = ep.isn !== undefined && ep.sndUna !== undefined && seqGt(ep.sndUna, ep.isn);
    const fullSize = run.lastLen >= MIN_FULL_SIZE && run.lastLen >= ep.maxPayload;
    const dataAcked = ep.isn === undefined || ep.sndUna === undefined ? 0 : seqDiff(ep.sndUna, ep.isn) - 1;
    if (!smallOnesThrough || !fullSize || ep.pathMtu !== undefined || dataAcked >= run.lastLen) continue;
    const died = end.gaveUp ? 'the connection died of it' : 'it was still resending when the capture ended';
    out.push({
      ...coded('pmtu-black-hole'), side: ep.side, frame: run.firstFrame, time: run.firstTime, sec: run.firstSec, nsec: run.firstNsec,
      message: `${who(ep)} resent its ${run.lastLen}-byte segment ${run.count} times from frame ${run.firstFrame} and none was acknowledged, while its small segments got through and no ICMP said the path was too small: a path MTU black hole (a link on the way has a smaller MTU, and the ICMP that should say so is dropped); ${died}`,
      details: { segment_bytes: run.lastLen, retransmissions: run.count, first_frame: run.firstFrame },
    });
  }
  return out;
};

/** The smallest payload taken for a full-size segment: the default MSS (RFC 9293 §3.7.1), below which no link's MTU falls. */
const MIN_FULL_SIZE = 536;

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** No answer to the SYN (or its retransmissions) by the end. */
export const synUnanswered: EndDetector = ({ flow, handshake, captureEnd }) => {
  if (handshake !== 'unanswered') return [];
  const c = flow.client;
  const first = c.synTimes[0] ?? 0;
  const last = c.synTimes[c.synTimes.length - 1] ?? first;
  const n = c.synCount;
  return [{
    ...coded('syn-unanswered'), side: 'server', frame: flow.firstFrame, time: first, sec: flow.firstSec, nsec: flow.firstNsec,
    message: `${hostPort(flow.server.addr, flow.server.port)} never answered ${n === 1 ? 'the SYN' : `${n} SYNs sent over ${secs(last - first)}`} from ${hostPort(c.addr, c.port)} (${secs(captureEnd - first)} to the end of the capture): a filtered port, a dead host, or packets lost on the way; the client's connect() times out (ETIMEDOUT)`,
    details: { syns: n },
  }];
};

/** The SYN-ACK was never acknowledged: the server is left half-open in SYN_RECEIVED. */
export const handshakeIncomplete: EndDetector = ({ flow, handshake }) => {
  if (handshake !== 'no-final-ack') return [];
  const s = flow.server;
  const n = s.synackCount;
  return [{
    ...coded('handshake-incomplete'), side: 'client', frame: s.synackFrames[0] ?? flow.firstFrame,
    time: s.synackTimes[0] ?? 0, sec: s.synackStamps[0]?.[0] ?? flow.firstSec, nsec: s.synackStamps[0]?.[1] ?? flow.firstNsec,
    message: `${who(flow.client)} never acknowledged the SYN-ACK${n > 1 ? ` (sent ${n} times)` : ''}: ${who(s)} was left half-open in SYN_RECEIVED (many of these at once is the SYN-flood signature)`,
    details: { synacks: n },
  }];
};

/**
 * One side's FIN was acknowledged and the other side sent no FIN for longer than
 * --stuck-after: an application that never called close() (CLOSE_WAIT). Seen
 * from the closer it is a long FIN_WAIT_2. A CLOSE_WAIT still open at the end
 * of the capture but shorter than --stuck-after is no finding: the
 * application may be about to close, and the flow is simply open in
 * CLOSE_WAIT (its final state says so).
 */
export const stuckWaits: EndDetector = ({ flow, captureEnd, stuckAfter }) => {
  const out: Finding[] = [];
  for (const w of flow.waits) {
    const until = w.until ?? captureEnd;
    const waited = until - w.since;
    const ep = w.side === 'client' ? flow.client : flow.server;
    const stillWaiting = w.untilFrame === undefined;
    if (w.state === 'CLOSE_WAIT') {
      // Stuck: longer than --stuck-after, whether it ended in the capture or not.
      if (waited < stuckAfter) continue;
      const story = stillWaiting
        ? `was still in CLOSE_WAIT when the capture ended, ${secs(waited)} after ${ep.peer.side}'s FIN (frame ${w.frame})`
        : `stayed in CLOSE_WAIT for ${secs(waited)} after ${ep.peer.side}'s FIN (frame ${w.frame}) until frame ${w.untilFrame}`;
      out.push({
        ...coded('stuck-close-wait'), side: w.side, frame: w.frame, time: w.since, sec: w.sec, nsec: w.nsec,
        message: `${who(ep)} ${story}: its application had not called close(); look for a leaked socket`,
        details: { waited_s: Math.round(waited * 1e6) / 1e6, closed: w.untilFrame !== undefined },
      });
    } else {
      // The closer's side of the same wait: worth its own line only when long.
      if (waited < stuckAfter) continue;
      const ended = stillWaiting ? 'and was still waiting when the capture ended' : `until frame ${w.untilFrame}`;
      out.push({
        ...coded('stuck-fin-wait-2'), side: w.side, frame: w.frame, time: w.since, sec: w.sec, nsec: w.nsec,
        message: `${who(ep)} waited in FIN_WAIT_2 for ${secs(waited)} for ${ep.peer.side}'s FIN ${ended}`,
        details: { waited_s: Math.round(waited * 1e6) / 1e6, closed: w.untilFrame !== undefined },
      });
    }
  }
  return out;
};

/** A flow of nothing but RSTs: backscatter from spoofed traffic, or a scan's answers. */
export const rstOnly: EndDetector = ({ flow }) => !flow.onlyRst ? [] : [{
  ...coded('rst-only'), side: null, frame: flow.firstFrame, time: flow.firstSec + flow.firstNsec / 1e9, sec: flow.firstSec, nsec: flow.firstNsec,
  message: `only RST segments between ${hostPort(flow.client.addr, flow.client.port)} and ${hostPort(flow.server.addr, flow.server.port)}: backscatter or a scan's answer, not a connection`,
}];

/** The capture began after the handshake. */
export const midstream: EndDetector = ({ flow }) => !flow.midstream || flow.onlyRst ? [] : [{
  ...coded('midstream'), side: null, frame: flow.firstFrame, time: flow.firstSec + flow.firstNsec / 1e9, sec: flow.firstSec, nsec: flow.firstNsec,
  message: 'the capture began after this connection opened: roles are inferred and states start UNKNOWN',
}];

/** A new connection on a 4-tuple an earlier flow used. */
export const tupleReuse: EndDetector = ({ flow, msl }) => {
  const prev = flow.previous;
  if (prev === undefined) return [];
  const t = flow.firstSec + flow.firstNsec / 1e9;
  const since = t - prev.endTime;
  const within = since < 2 * msl;
  return [{
    code: 'tuple-reuse', severity: within ? 'warning' : 'info', side: 'client', frame: flow.firstFrame, time: t, sec: flow.firstSec, nsec: flow.firstNsec,
    message: `same 4-tuple as flow ${prev.id}, reused ${secs(since)} after its last segment${within ? ` (within 2 MSL = ${2 * msl} s: the old connection's TIME_WAIT had to accept the new SYN)` : ''}`,
    details: { previous_flow: prev.id, since_previous_s: Math.round(since * 1e6) / 1e6, within_2msl: within },
  }];
};

/** Every end-of-flow detector. */
export const END_DETECTORS: readonly EndDetector[] = [retransmissionSilence, pmtuBlackHole, tupleReuse, midstream, synUnanswered, handshakeIncomplete, stuckWaits, rstOnly];
