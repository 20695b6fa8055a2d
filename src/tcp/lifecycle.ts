/**
 * The lifecycle engine: replays one flow's segments through both endpoints'
 * state machines and records what the capture shows of its opening, its close
 * and everything that went wrong.
 *
 * A segment counts as sent and received at its capture time (docs/states.md
 * says what that means for a capture taken on a host or mid-path). Where an
 * endpoint's own retransmission later proves it never received a segment, the
 * replay corrects its state through the table's "again" rows.
 */

import type { IcmpError } from '../decode/icmp.ts';
import { ACK, FIN, RST, SYN, type Segment } from '../decode/segment.ts';
import { appended, applyEvent, createEndpoint, keptAppended, emptyList, offeredOptions, pairEndpoints } from './endpoint.ts';
import type { Endpoint, EndSilence, Finding, Flow, FrameEvent, IcmpNote, LifecycleOptions, Observation, RstVerdict } from './types.ts';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax } from './seq.ts';
import { SEGMENT_DETECTORS } from './anomalies/index.ts';
import { icmpFindings } from './anomalies/icmp.ts';
import type { ZeekState } from '../zeek/types.ts';
import { SYNCHRONIZED, type TcpState } from './transitions.ts';
import { keepaliveDeath, retransmissionEnd, trackUnanswered } from './silence.ts';
import { secs } from './anomalies/describe.ts';

/** Defaults: Linux's 60 s TIME_WAIT (TCP_TIMEWAIT_LEN), so an MSL of 30 s. */
export const DEFAULT_LIFECYCLE: LifecycleOptions = { msl: 30, stuckAfter: 5, events: false };

/** Timeline entries explain and report keep per flow (LifecycleOptions.eventsKept): the first and latest 10,000 frames. */
export const EXPLAIN_EVENTS = 20_000;

/** At most this many findings of one code are listed per flow; the rest are counted. */
export const FINDINGS_PER_CODE = 20;

/** Which side sent `seg`. */
export function isFromClient(flow: Flow, seg: Segment): boolean {
  return seg.src === flow.client.addr && seg.srcPort === flow.client.port;
}

/**
 * Builds a flow from its first segment. The client is the sender of a SYN
 * without ACK, else the receiver of a SYN-ACK; otherwise roles are inferred:
 * the endpoint on a well-known port (< 1024), else on the lower port, is the server.
 * `zeek` is Zeek's model of the same flow (src/zeek/), which the flow carries
 * but the replay never reads: connection.ts feeds both.
 */
export function createFlow(seg: Segment, id: number, key: string, previous: Flow | undefined, zeek: ZeekState): Flow {
  const time = seg.sec + seg.nsec / 1e9;
  const syn = (seg.flags & SYN) !== 0;
  const ack = (seg.flags & ACK) !== 0;
  let senderIsClient: boolean;
  let roles: 'observed' | 'inferred' = 'observed';
  if (syn && !ack) senderIsClient = true;
  else if (syn && ack) senderIsClient = false;
  else {
    roles = 'inferred';
    senderIsClient = inferSenderIsClient(seg);
  }
  const c = senderIsClient ? { addr: seg.src, port: seg.srcPort } : { addr: seg.dst, port: seg.dstPort };
  const s = senderIsClient ? { addr: seg.dst, port: seg.dstPort } : { addr: seg.src, port: seg.srcPort };
  const midstream = roles === 'inferred';
  const clientState: TcpState = midstream ? 'UNKNOWN' : syn && ack ? 'SYN_SENT' : 'CLOSED';
  const client = createEndpoint('client', c.addr, c.port, clientState, time, seg.frame);
  const server = createEndpoint('server', s.addr, s.port, midstream ? 'UNKNOWN' : 'LISTEN', time, seg.frame);
  pairEndpoints(client, server);
  if (syn && ack) {
    // The SYN was not captured: the SYN-ACK's ACK tells the client's ISN.
    client.isn = seqAdd(seg.ack, -1);
    client.sndNxt = seg.ack;
    client.sndUna = client.isn;
  }
  const previousEnd = previous === undefined ? undefined : previous.lastSec + previous.lastNsec / 1e9;
  // A TIME_WAIT that accepts the new SYN ends there (RFC 9293 §3.10.7.4, RFC 6191).
  if (previous !== undefined && syn && !ack) {
    for (const ep of [previous.client, previous.server]) {
      if (ep.state === 'TIME_WAIT') applyEvent(ep, 'new SYN on the tuple', seg.frame, time);
    }
  }
  return {
    id, key, client, server, roles, firstFrame: seg.frame, firstSec: seg.sec, firstNsec: seg.nsec,
    lastFrame: seg.frame, lastSec: seg.sec, lastNsec: seg.nsec, midstream, onlyRst: true,
    synackFrame: undefined, synackTime: undefined, synackStamp: undefined, handshakeAckFrame: undefined, handshakeAckTime: undefined,
    serverAnsweredRst: false, splitAckFrame: undefined, acceptQueueFull: false, resetBeforeEstablished: false, established: false, fins: emptyList(),
    firstRst: undefined, closingRst: undefined, waits: emptyList(), findings: emptyList(), findingCounts: undefined,
    events: undefined, frameTimes: undefined, eventsOmitted: undefined, zeek, tcpdumpBase: undefined,
    previous: previous === undefined || previousEnd === undefined ? undefined : { id: previous.id, endTime: previousEnd },
    packed: undefined, icmp: emptyList(), icmpEnd: undefined,
  };
}

function inferSenderIsClient(seg: Segment): boolean {
  const sWell = seg.srcPort < 1024;
  const dWell = seg.dstPort < 1024;
  if (sWell !== dWell) return dWell;
  if (seg.srcPort !== seg.dstPort) return seg.dstPort < seg.srcPort;
  return true;
}

/** True when neither endpoint still holds the connection at `time`. */
export function isOver(flow: Flow, time: number, opts: LifecycleOptions): boolean {
  return holdsNothing(flow.client, time, opts) && holdsNothing(flow.server, time, opts);
}

/** True when the endpoint holds no connection open: closed, listening, or in TIME_WAIT (however long). */
export function isDone(ep: Endpoint): boolean {
  return ep.state === 'CLOSED' || ep.state === 'TIME_WAIT' || ep.state === 'LISTEN';
}

function holdsNothing(ep: Endpoint, time: number, opts: LifecycleOptions): boolean {
  if (ep.state === 'CLOSED' || ep.state === 'LISTEN') return true;
  return ep.state === 'TIME_WAIT' && timeWaitRanOut(ep.stateSince, time, opts.msl);
}

/**
 * True when a TIME_WAIT entered at `since` has run out by `time` (2 MSL, RFC
 * 9293 §3.10.8): the one test every reader of a TIME_WAIT's end makes, a
 * replayed endpoint's or a record made early (record.ts settleEarlyText).
 * False for a `since` of NaN (no TIME_WAIT).
 */
export function timeWaitRanOut(since: number, time: number, msl: number): boolean {
  return time - since >= 2 * msl;
}

/**
 * True when `seg` opens a new connection on this flow's tuple: a SYN without
 * ACK whose ISN differs from the one its sender already used (a retransmitted
 * SYN keeps its ISN and stays in the flow), or any SYN once the previous
 * connection is over (closed, reset, or in TIME_WAIT, RFC 9293 §3.10.7.4 lets a
 * new SYN reopen it).
 */
export function startsNewIncarnation(flow: Flow, seg: Segment): boolean {
  if ((seg.flags & (SYN | ACK | RST)) !== SYN) return false;
  const sender = isFromClient(flow, seg) ? flow.client : flow.server;
  if (sender.isn !== undefined) {
    // While its receiver holds the connection synchronized, a SYN (at any
    // sequence number) belongs to it and draws a challenge ACK (RFC 5961 §4);
    // only once the connection is over can a SYN open the next one.
    if (seg.seq !== sender.isn) return !holdsSynchronized(sender.peer);
    // The same ISN again after a connection that opened and closed cannot be a
    // retransmission of its SYN, which was acknowledged. (After a refusal it
    // can: the RST may have been lost beyond the capture point.)
    return flow.established && isDone(flow.client) && isDone(flow.server);
  }
  // A SYN into a midstream or RST-only flow begins a connection of its own; a
  // server's first SYN in an observed flow is a simultaneous open.
  return flow.midstream || flow.onlyRst;
}

/** True when `ep` holds a synchronized connection (RFC 9293 §3.3.2), TIME_WAIT aside. */
function holdsSynchronized(ep: Endpoint): boolean {
  return SYNCHRONIZED.includes(ep.state);
}

/** An Observation whose every field can be set (the scratch one below). */
type Scratch = { -readonly [K in keyof Observation]: Observation[K] };

/**
 * The one Observation every segment is replayed into, cleared each time: the
 * replay runs for every segment, and a fresh object of 30 fields per segment
 * is garbage the collector must then sweep. Nothing keeps it past the segment
 * (detectors copy what a finding needs; see Detector), and replays never nest.
 * It is made by the same function that clears it, so a new fact is one line
 * there (and the fields keep one order, which V8's hidden classes want).
 */
const scratch: Scratch = observe({} as Scratch, undefined as unknown as Segment, 0, undefined as unknown as Endpoint, undefined as unknown as Endpoint);

/** `o`, every fact cleared, for `seg` sent by `snd` to `rcv`. */
function observe(o: Scratch, seg: Segment, time: number, snd: Endpoint, rcv: Endpoint): Scratch {
  o.seg = seg; o.time = time; o.sender = snd; o.receiver = rcv;
  o.senderBefore = snd === undefined ? 'UNKNOWN' : snd.state; o.receiverBefore = rcv === undefined ? 'UNKNOWN' : rcv.state;
  o.relSeq = undefined; o.synRetransmit = undefined; o.synackRetransmit = false; o.acceptQueueFull = false;
  o.simultaneousOpen = false; o.synWithData = false; o.badSynAckAck = false; o.retransmission = false; o.gapBytes = 0;
  o.ackUnseenBytes = 0; o.keepalive = false; o.zeroWindowProbe = false; o.zeroWindowStart = false; o.finRepeat = false;
  o.lastAckLost = false; o.resentSmaller = false; o.dataAfterFin = false; o.rst = undefined; o.rstInTimeWait = false; o.refused = false;
  o.halfOpen = false; o.challengeAck = false; o.challengeFor = undefined; o.challengeForSyn = false; o.synInConnection = false;
  o.keepaliveDeath = undefined;
  return o;
}

/** Replays one segment. */
export function replaySegment(flow: Flow, seg: Segment, opts: LifecycleOptions): void {
  const time = seg.sec + seg.nsec / 1e9;
  expireTimeWait(flow.client, time, opts);
  expireTimeWait(flow.server, time, opts);
  const fromClient = isFromClient(flow, seg);
  const snd = fromClient ? flow.client : flow.server;
  const rcv = snd.peer;
  const obs = observe(scratch, seg, time, snd, rcv);
  const f = seg.flags;
  flow.lastFrame = seg.frame;
  flow.lastSec = seg.sec;
  flow.lastNsec = seg.nsec;
  snd.frames++;
  // Only the bytes the frame held count as payload; a sliced or forged
  // packet's claimed rest (Segment.missingLen) still takes its sequence space.
  const missing = seg.missingLen;
  snd.payloadBytes += missing === undefined ? seg.payloadLen : seg.payloadLen - missing;
  snd.frameBytes += seg.frameLen;
  if (seg.payloadLen > snd.maxPayload) snd.maxPayload = seg.payloadLen;
  const eventBase = keepsTimeline(flow, opts) ? tcpdumpRelative(flow, seg, fromClient) : undefined;

  if ((f & RST) !== 0) {
    replayRst(flow, seg, obs, time);
  } else {
    flow.onlyRst = false;
    if (snd.challengePendingFrame !== undefined) {
      if ((f & (SYN | FIN)) === 0 && (f & ACK) !== 0 && seg.payloadLen === 0) {
        obs.challengeAck = true;
        obs.challengeFor = snd.challengePendingFrame;
        obs.challengeForSyn = snd.challengePendingSyn;
      }
      snd.challengePendingFrame = undefined;
      snd.challengePendingSyn = false;
    }
    const peerFinAckedBefore = rcv.finAcked;
    // A SYN-ACK in reply answers the peer's SYN first; the pending receipt of
    // the peer's SYN-ACK comes after it (simultaneous open, RFC 9293 Figure 8).
    // A repeated SYN shows the SYN-ACK never arrived; anything else but a SYN-ACK
    // of its own proves it did.
    if (snd.pendingSynAck && (f & (SYN | ACK)) === SYN) snd.pendingSynAck = false;
    if (snd.pendingSynAck && (f & (SYN | ACK)) !== (SYN | ACK)) receivePendingSynAck(flow, snd, seg.frame, time);
    if ((f & SYN) !== 0) replaySyn(flow, seg, obs, time);
    else replaySequence(seg, obs);
    if (snd.pendingSynAck) receivePendingSynAck(flow, snd, seg.frame, time);
    if ((f & ACK) !== 0 && (f & SYN) === 0) replayAck(flow, seg, obs, time);
    if ((f & FIN) !== 0) replayFin(flow, seg, obs, time, peerFinAckedBefore);
    replayWindow(seg, obs);
  }
  if (snd.isn !== undefined) obs.relSeq = seqDiff(seg.seq, snd.isn);
  if ((f & ACK) !== 0) snd.lastAckSent = seg.ack;
  trackUnanswered(obs, (f & RST) !== 0);

  if (eventBase !== undefined && (opts.eventFrames !== 'fins' || (f & FIN) !== 0)) {
    pushEvent(flow, {
      frame: seg.frame, sec: seg.sec, nsec: seg.nsec, dir: fromClient ? '>' : '<', flags: f, seq: eventBase.seq, ack: eventBase.ack,
      len: seg.payloadLen, win: seg.window, client: flow.client.state, server: flow.server.state,
      notes: [],
    }, opts);
  }
  // Index loops: this runs 20 detectors per segment, and for...of over the
  // (mostly shared, frozen, empty) arrays they return goes through the iterator
  // protocol, which cost more than the detectors themselves.
  for (let i = 0; i < SEGMENT_DETECTORS.length; i++) {
    const found = SEGMENT_DETECTORS[i]!(obs);
    for (let j = 0; j < found.length; j++) addFinding(flow, found[j]!);
  }
}

/**
 * Replays an ICMP or ICMPv6 error about one of the flow's segments, as
 * Linux's tcp_v4_err / tcp_v6_err take it. The error reaches the sender of
 * the segment it quotes, which first checks that the quoted sequence number
 * is one it still has in flight (SND.UNA..SND.NXT; else the kernel counts it
 * as OutOfWindowIcmps and drops it). Then:
 *
 * - fragmentation needed / packet too big lowers its path MTU: it resends
 *   what was refused in smaller segments (replaySequence does not call those
 *   a loss);
 * - any other error in SYN_SENT ends the connection attempt at once, and its
 *   connect() fails with the errno Linux maps the code to;
 * - in a synchronized connection (or a handshake the sender answered) it is
 *   a soft error: no state changes, but if the connection later dies of
 *   retransmissions the application sees that errno instead of ETIMEDOUT;
 * - an endpoint holding no connection (CLOSED, LISTEN, TIME_WAIT) ignores it.
 *
 * The ICMP frame is one of the flow's frames (its last, when it ended the
 * attempt), kept in flow.icmp apart from the segments.
 */
export function replayIcmp(flow: Flow, err: IcmpError, opts: LifecycleOptions): void {
  const q = err.quoted;
  const ep = q.src === flow.client.addr && q.srcPort === flow.client.port ? flow.client : flow.server;
  const time = err.sec + err.nsec / 1e9;
  flow.lastFrame = err.frame;
  flow.lastSec = err.sec;
  flow.lastNsec = err.nsec;
  // The packed form holds segments only: a flow an ICMP error reached stays replayed.
  flow.packed = undefined;
  const lo = ep.sndUna ?? ep.isn;
  const inFlight = ep.sndNxt === undefined || lo === undefined || (seqGe(q.seq, lo) && seqLe(q.seq, ep.sndNxt));
  const pathMtu = err.kind === 'packet-too-big' || (err.kind === 'unreachable' && err.name === 'fragmentation-needed');
  let effect: IcmpNote['effect'];
  if (!inFlight || ep.state === 'CLOSED' || ep.state === 'LISTEN' || ep.state === 'TIME_WAIT' || ep.state === 'UNKNOWN') effect = 'ignored';
  else if (pathMtu) effect = err.mtu === undefined ? 'ignored' : 'path-mtu';
  else if (err.errno === undefined) effect = 'ignored';
  else effect = ep.state === 'SYN_SENT' ? 'ended-attempt' : 'soft-error';
  const note: IcmpNote = {
    frame: err.frame, sec: err.sec, nsec: err.nsec, from: err.src, by: err.src === ep.peer.addr ? 'peer' : 'router', about: ep.side,
    protocol: err.protocol, type: err.type, code: err.code, kind: err.kind, name: err.name, errno: err.errno, mtu: err.mtu,
    seq: q.seq, len: q.payloadLen, effect,
  };
  flow.icmp = appended(flow.icmp, note);
  if (effect === 'path-mtu') {
    ep.pathMtu = err.mtu;
    ep.resendSmallerBelow = ep.sndNxt;
  } else if (effect === 'ended-attempt') {
    applyEvent(ep, 'rcv ICMP error', err.frame, time);
    ep.pendingSynAck = false;
    if (ep.side === 'client') flow.icmpEnd ??= note;
  } else if (effect === 'soft-error') {
    ep.softError = err.errno;
  }
  // In the timeline it travels toward the side it reports to, with the states it left.
  if (keepsTimeline(flow, opts) && opts.eventFrames !== 'fins') {
    pushEvent(flow, {
      frame: err.frame, sec: err.sec, nsec: err.nsec, dir: ep.side === 'client' ? '<' : '>', flags: 0, seq: q.seq, ack: undefined,
      len: 0, win: 0, client: flow.client.state, server: flow.server.state, notes: [], icmp: note,
    }, opts);
  }
  const found = icmpFindings(flow, ep, note);
  for (let i = 0; i < found.length; i++) addFinding(flow, found[i]!);
}

/**
 * `ep` sends its SYN again after an ICMP error seemed to end its attempt: the
 * error had found the socket held by the application inside connect() (the
 * round trip between two namespaces or containers on one host is that fast),
 * and Linux kept it only as a soft error and resent the SYN (tcp_v4_err:
 * LockDroppedIcmps). The attempt goes on; the error, its finding and the
 * flow's end are told again as what they were.
 */
function icmpWasSoft(flow: Flow, ep: Endpoint, frame: number, time: number): void {
  const old = flow.icmpEnd!;
  const note: IcmpNote = { ...old, effect: 'soft-error', heldInConnect: true };
  flow.icmpEnd = undefined;
  flow.icmp = flow.icmp.map((n) => (n === old ? note : n));
  ep.softError = old.errno;
  applyEvent(ep, 'ICMP error was soft', frame, time);
  const [finding] = icmpFindings(flow, ep, note);
  const i = flow.findings.findIndex((f) => f.frame === old.frame && f.code === finding!.code);
  if (i >= 0) flow.findings = flow.findings.map((f, k) => (k === i ? finding! : f));
}

/** Whether the flow keeps a timeline (LifecycleOptions.events and timelineOf). */
function keepsTimeline(flow: Flow, opts: LifecycleOptions): boolean {
  if (!opts.events) return false;
  const choice = opts.timelineOf;
  if (choice === undefined) return true;
  if (choice.ids !== undefined && !choice.ids.includes(flow.id)) return false;
  if (choice.host !== undefined && flow.client.addr !== choice.host && flow.server.addr !== choice.host) return false;
  return choice.port === undefined || flow.client.port === choice.port || flow.server.port === choice.port;
}

/** Adds a frame to the timeline, keeping at most LifecycleOptions.eventsKept of them. */
function pushEvent(flow: Flow, event: FrameEvent, opts: LifecycleOptions): void {
  flow.events ??= [];
  if (opts.eventFrames === 'states') {
    keepStateChange(flow, flow.events, event);
    return;
  }
  flow.events.push(event);
  if (opts.eventsKept !== undefined && flow.events.length >= opts.eventsKept + Math.max(1, opts.eventsKept >> 2)) dropMiddleEvents(flow, opts.eventsKept);
}

/**
 * A `states` timeline (LifecycleOptions.eventFrames) with `event` after it:
 * the entries where either end's state changed from the entry before, with
 * the first and the latest. The latest, when it changed nothing, is replaced
 * by the next one. Every frame's number and time go to frameTimes.
 */
function keepStateChange(flow: Flow, events: FrameEvent[], event: FrameEvent): void {
  const times = flow.frameTimes ??= [];
  times.push(event.frame, event.sec, event.nsec);
  const n = events.length;
  if (n >= 2 && events[n - 1]!.client === events[n - 2]!.client && events[n - 1]!.server === events[n - 2]!.server) events[n - 1] = event;
  else events.push(event);
}

/**
 * Drops timeline entries after the first half of `kept`, keeping the latest
 * half. Called once the list is a quarter over `kept`, so the splice is paid
 * once per kept/4 segments, not on every one.
 */
function dropMiddleEvents(flow: Flow, kept: number): void {
  const events = flow.events!;
  const head = kept >> 1;
  const drop = events.length - kept;
  const first = events[head]!.frame;
  const last = events[head + drop - 1]!.frame;
  events.splice(head, drop);
  const o = flow.eventsOmitted;
  flow.eventsOmitted = o === undefined ? { count: drop, first, last } : { count: o.count + drop, first: o.first, last };
}

/** Adds a finding, listing at most FINDINGS_PER_CODE of each code (all are counted). */
export function addFinding(flow: Flow, finding: Finding): void {
  // Most flows have no findings: the map is made for the first one.
  const counts = flow.findingCounts ??= new Map();
  const n = (counts.get(finding.code) ?? 0) + 1;
  counts.set(finding.code, n);
  if (n <= FINDINGS_PER_CODE) flow.findings = appended(flow.findings, finding);
  // The frame's event is recorded before its detectors run; end-of-flow
  // findings name an earlier frame and are found by number.
  const events = flow.events;
  if (events === undefined) return;
  const last = events[events.length - 1];
  const ev = last !== undefined && last.frame === finding.frame ? last : events.find((e) => e.frame === finding.frame);
  ev?.notes.push(finding.code);
}

/**
 * The changes of state only the end of the capture can tell, made when the
 * flow's record is: a TIME_WAIT whose 2 MSL ran out before the capture ended
 * is over (RFC 9293 §3.10.8), and an endpoint still retransmitting into
 * silence (silence.ts's retransmissionEnd) either gave up, closed by its user
 * timeout at the latest when its next retransmission was due, or cannot be
 * told from one still trying. Either way its final state is marked as
 * inferred. Returns those silences for the end-of-flow detectors.
 */
export function settleAtEnd(flow: Flow, captureEnd: number, opts: LifecycleOptions): EndSilence[] {
  for (const ep of [flow.client, flow.server]) expireTimeWait(ep, captureEnd, opts);
  const out: EndSilence[] = [];
  for (const ep of [flow.client, flow.server]) {
    if (!SYNCHRONIZED.includes(ep.state)) continue;
    const end = retransmissionEnd(ep, captureEnd);
    if (end === undefined) continue;
    const { run, silence, nextDue } = end;
    if (end.gaveUp) {
      applyEvent(ep, 'user timeout', null, run.lastTime + nextDue);
      ep.timedOut = true;
      ep.finalStateDoubt = `read from silence: nothing from it in the ${secs(silence)} after its last retransmission (frame ${run.lastFrame}), when the next was due within ${secs(nextDue)}`;
    } else {
      const ended = silence < 1e-6 ? 'with its last retransmission' : `${secs(silence)} after its last retransmission`;
      ep.finalStateDoubt = `still retransmitting when the capture ended (${ended}, the next due within ${secs(nextDue)}): it may yet have been answered, or given up`;
    }
    out.push({ ep, end });
  }
  return out;
}

function expireTimeWait(ep: Endpoint, time: number, opts: LifecycleOptions): void {
  if (ep.state === 'TIME_WAIT' && timeWaitRanOut(ep.stateSince, time, opts.msl)) {
    applyEvent(ep, '2MSL timeout', null, ep.stateSince + 2 * opts.msl);
  }
}

function replaySyn(flow: Flow, seg: Segment, obs: Observation, time: number): void {
  const snd = obs.sender;
  const rcv = obs.receiver;
  const withAck = (seg.flags & ACK) !== 0;
  const end = seqAdd(seg.seq, 1 + seg.payloadLen);
  if (seg.payloadLen > 0) obs.synWithData = true;
  if (!withAck && snd.isn !== undefined && snd.isn !== seg.seq && holdsSynchronized(rcv)) {
    // Not the sender's connection opening again (startsNewIncarnation kept it
    // here): an injected SYN, or one from a host that restarted and reused the
    // port. It changes nothing but the receiver's next ACK (RFC 5961 §4).
    obs.synInConnection = true;
    rcv.challengePendingFrame = seg.frame;
    rcv.challengePendingSyn = true;
    return;
  }
  if (!withAck && snd.state === 'CLOSED' && snd.isn === seg.seq && flow.icmpEnd?.about === snd.side) icmpWasSoft(flow, snd, seg.frame, time);
  if (snd.isn !== seg.seq) {
    snd.isn = seg.seq;
    snd.sndNxt = end;
    snd.synFrames = emptyList();
    snd.synTimes = emptyList();
    snd.synStamps = emptyList();
    snd.synCount = 0;
    snd.synackFrames = emptyList();
    snd.synackTimes = emptyList();
    snd.synackStamps = emptyList();
    snd.synackCount = 0;
    snd.options = offeredOptions(seg.options);
    negotiateWindowScale(flow);
  } else {
    snd.sndNxt = seqMax(snd.sndNxt ?? end, end);
  }
  if (!withAck) {
    const previous = snd.synTimes[snd.synTimes.length - 1] ?? time;
    snd.synFrames = keptAppended(snd.synFrames, seg.frame);
    snd.synTimes = keptAppended(snd.synTimes, time);
    snd.synStamps = keptAppended(snd.synStamps, [seg.sec, seg.nsec]);
    snd.synCount++;
    if (snd.synCount === 1) {
      applyEvent(snd, 'snd SYN', seg.frame, time);
      if (snd.side === 'server' && flow.client.isn !== undefined && flow.splitAckFrame === undefined) obs.simultaneousOpen = true;
    } else {
      obs.synRetransmit = { count: snd.synCount, gap: time - previous };
    }
    return;
  }
  snd.synackFrames = keptAppended(snd.synackFrames, seg.frame);
  snd.synackTimes = keptAppended(snd.synackTimes, time);
  snd.synackStamps = keptAppended(snd.synackStamps, [seg.sec, seg.nsec]);
  snd.synackCount++;
  if (snd.synackCount === 1) {
    applyEvent(snd, 'snd SYN+ACK', seg.frame, time);
  } else {
    obs.synackRetransmit = true;
    // The server repeats its SYN-ACK although the client's final ACK was seen:
    // the listener dropped that ACK (accept queue full, Linux's
    // tcp_abort_on_overflow=0 behaviour), so it is back in SYN_RECEIVED.
    if (snd.state === 'ESTABLISHED' && flow.handshakeAckFrame !== undefined && snd.side === 'server') {
      obs.acceptQueueFull = true;
      flow.acceptQueueFull = true;
      applyEvent(snd, 'snd SYN+ACK again', seg.frame, time);
    }
  }
  // The SYN-ACK's acknowledgment must cover the peer's SYN (RFC 9293 §3.10.7.3:
  // SND.UNA < SEG.ACK =< SND.NXT), else the peer answers RST.
  if (rcv.isn !== undefined && rcv.sndNxt !== undefined && seqGt(seg.ack, rcv.isn) && seqLe(seg.ack, rcv.sndNxt)) {
    rcv.sndUna = seqMax(rcv.sndUna ?? seg.ack, seg.ack);
    // The handshake is timed on the SYN-ACK the final ACK answers: the latest
    // acceptable one before it (a stale or rejected one does not count).
    if (flow.handshakeAckFrame === undefined && snd.side === 'server') {
      flow.synackFrame = seg.frame;
      flow.synackTime = time;
      flow.synackStamp = [seg.sec, seg.nsec];
    }
    if (rcv.state === 'SYN_SENT') rcv.pendingSynAck = true;
    else if (rcv.state === 'SYN_RECEIVED') acknowledgeSyn(flow, rcv, seg.frame, time);
  } else if (rcv.isn !== undefined) {
    obs.badSynAckAck = true;
  }
}

/** Applies the receipt of the peer's SYN-ACK now that `ep` answers (see Endpoint.pendingSynAck). */
function receivePendingSynAck(flow: Flow, ep: Endpoint, frame: number, time: number): void {
  ep.pendingSynAck = false;
  if (ep.state === 'SYN_SENT') applyEvent(ep, 'rcv SYN+ACK', frame, time);
  else if (ep.state === 'SYN_RECEIVED') acknowledgeSyn(flow, ep, frame, time);
}

function acknowledgeSyn(flow: Flow, ep: Endpoint, frame: number, time: number): void {
  applyEvent(ep, 'rcv ACK of SYN', frame, time);
  if (ep.side === 'server' || ep.peer.state === 'ESTABLISHED') {
    flow.established = true;
    if (ep.side === 'server' && flow.handshakeAckFrame === undefined) {
      flow.handshakeAckFrame = frame;
      flow.handshakeAckTime = time;
    }
  }
}

/** Classifies a non-SYN segment's sequence number against what its sender sent before. */
function replaySequence(seg: Segment, obs: Observation): void {
  const snd = obs.sender;
  const rcv = obs.receiver;
  const fin = (seg.flags & FIN) !== 0;
  const segLen = seg.payloadLen + (fin ? 1 : 0);
  const end = seqAdd(seg.seq, segLen);
  if (snd.sndNxt === undefined) {
    snd.sndNxt = end;
    return;
  }
  const d = seqDiff(seg.seq, snd.sndNxt);
  if (snd.finSeq !== undefined && seg.payloadLen > 0 && seqGt(seg.seq, snd.finSeq)) {
    obs.dataAfterFin = true;
  } else if (!fin && seg.payloadLen <= 1 && d === -1) {
    // Keep-alive (RFC 9293 §3.8.4) and Linux's zero-window probe
    // (tcp_xmit_probe_skb) look alike: SND.NXT-1 with no new data. The peer's
    // closed window tells them apart.
    if (rcv.zeroWindow) obs.zeroWindowProbe = true;
    else obs.keepalive = true;
  } else if (!fin && seg.payloadLen === 1 && d === 0 && rcv.zeroWindow) {
    obs.zeroWindowProbe = true;
  } else if (segLen > 0 && d < 0) {
    if (snd.hole !== undefined && seqLt(seg.seq, snd.hole.end) && seqGe(end, snd.hole.start)) snd.hole = undefined;
    const isFinRepeat = fin && snd.finSeq !== undefined && seqAdd(seg.seq, seg.payloadLen) === snd.finSeq;
    // Data a packet too big refused, sent again in segments that fit the path: no loss.
    const below = snd.resendSmallerBelow;
    if (below !== undefined && seqLe(end, below) && seg.ipLen <= snd.pathMtu!) obs.resentSmaller = true;
    else if (!isFinRepeat || seg.payloadLen > 0) obs.retransmission = true;
  } else if (d > 0) {
    obs.gapBytes = d;
    snd.hole = { start: snd.sndNxt, end: seg.seq };
  }
  snd.sndNxt = seqMax(snd.sndNxt, end);
}

function replayAck(flow: Flow, seg: Segment, obs: Observation, time: number): void {
  const snd = obs.sender;
  const rcv = obs.receiver;
  if (rcv.sndNxt !== undefined && seqGt(seg.ack, rcv.sndNxt)) {
    obs.ackUnseenBytes = seqDiff(seg.ack, rcv.sndNxt);
    rcv.sndNxt = seg.ack;
  }
  // An ACK past a stretch the capture skipped, with no retransmission to fill
  // it: the receiver had those bytes, so the capture (not the network) lost them.
  if (rcv.hole !== undefined && seqGe(seg.ack, rcv.hole.end)) {
    obs.ackUnseenBytes = seqDiff(rcv.hole.end, rcv.hole.start);
    rcv.hole = undefined;
  }
  // A listener that acknowledges the SYN before sending one of its own splits
  // the SYN-ACK in two (the "TCP split handshake"); states then follow the
  // simultaneous-open rows.
  if (snd.side === 'server' && snd.isn === undefined && rcv.state === 'SYN_SENT' && rcv.isn !== undefined && seg.ack === seqAdd(rcv.isn, 1)) {
    flow.splitAckFrame ??= seg.frame;
  }
  rcv.sndUna = rcv.sndUna === undefined ? seg.ack : seqMax(rcv.sndUna, seg.ack);
  // A listener that has been seen dropping ACKs keeps dropping them while its
  // queue is full: only its own ACK-bearing segment proves the connection made it.
  if (snd.state === 'UNKNOWN' || (snd.state === 'SYN_RECEIVED' && flow.acceptQueueFull)) applyEvent(snd, 'snd ACK', seg.frame, time);
  // Acknowledging the peer's FIN proves it arrived, if the replay had undone it.
  if (rcv.finSeq !== undefined && !snd.sawFinFromPeer && seqGt(seg.ack, rcv.finSeq)) receiveFin(flow, snd, seg);
  snd.synchronized = true;
  if (rcv.state === 'SYN_RECEIVED' && rcv.isn !== undefined && seqGt(seg.ack, rcv.isn) && !(flow.acceptQueueFull && rcv.side === 'server')) {
    acknowledgeSyn(flow, rcv, seg.frame, time);
  }
  if (rcv.finSeq !== undefined && !rcv.finAcked && seqGt(seg.ack, rcv.finSeq)) {
    rcv.finAcked = true;
    applyEvent(rcv, 'rcv ACK of FIN', seg.frame, time);
    if (rcv.state === 'FIN_WAIT_2') openWait(flow, rcv, 'FIN_WAIT_2', seg);
  }
  if (flow.midstream) flow.established = true;
}

function replayFin(flow: Flow, seg: Segment, obs: Observation, time: number, peerFinAckedBefore: boolean): void {
  const snd = obs.sender;
  const rcv = obs.receiver;
  const finSeq = seqAdd(seg.seq, seg.payloadLen);
  if (snd.finSeq === undefined) {
    // Its FIN does not acknowledge the peer's FIN the capture already showed:
    // that FIN had not reached it yet (the FINs cross). It arrives just after
    // this one leaves, so the sender passes FIN_WAIT_1 → CLOSING (§3.10.7.4,
    // Figure 13) instead of CLOSE_WAIT → LAST_ACK.
    const crossed = snd.sawFinFromPeer && rcv.finSeq !== undefined && !((seg.flags & ACK) !== 0 && seqGt(seg.ack, rcv.finSeq));
    if (crossed) {
      snd.sawFinFromPeer = false;
      applyEvent(snd, 'peer FIN not received', seg.frame, time);
      flow.waits = flow.waits.filter((w) => !(w.side === snd.side && w.state === 'CLOSE_WAIT' && w.until === undefined));
    }
    snd.finSeq = finSeq;
    snd.finFrame = seg.frame;
    const acksPeerFin = rcv.finSeq !== undefined && (seg.flags & ACK) !== 0 && seqGt(seg.ack, rcv.finSeq);
    flow.fins = appended(flow.fins, { side: snd.side, frame: seg.frame, acksPeerFin, peerFinAckedBefore });
    applyEvent(snd, 'snd FIN', seg.frame, time);
    closeWait(flow, snd, seg.frame, time);
    receiveFin(flow, rcv, seg);
    if (crossed) receiveFin(flow, snd, seg);
  } else if (finSeq === snd.finSeq) {
    obs.finRepeat = true;
    if (snd.finAcked) {
      // The capture saw this FIN acknowledged, yet the sender repeats it: the
      // ACK never reached it (the peer, in TIME_WAIT, will answer again).
      obs.lastAckLost = snd.state === 'CLOSED';
      snd.finAcked = false;
      applyEvent(snd, 'snd FIN again', seg.frame, time);
    }
    // RFC 9293 §3.10.7.4, TIME_WAIT: acknowledge it and restart the 2 MSL timeout.
    if (rcv.state === 'TIME_WAIT') rcv.stateSince = time;
    if (!rcv.sawFinFromPeer) receiveFin(flow, rcv, seg);
  }
}

/** `ep` receives its peer's FIN. */
function receiveFin(flow: Flow, ep: Endpoint, seg: Segment): void {
  const time = seg.sec + seg.nsec / 1e9;
  ep.sawFinFromPeer = true;
  applyEvent(ep, 'rcv FIN', seg.frame, time);
  if (ep.state === 'CLOSE_WAIT') openWait(flow, ep, 'CLOSE_WAIT', seg);
  if (ep.state === 'TIME_WAIT') closeWait(flow, ep, seg.frame, time);
}

function openWait(flow: Flow, ep: Endpoint, state: 'CLOSE_WAIT' | 'FIN_WAIT_2', seg: Segment): void {
  flow.waits = appended(flow.waits, {
    side: ep.side, state, since: seg.sec + seg.nsec / 1e9, sec: seg.sec, nsec: seg.nsec, frame: seg.frame,
    until: undefined, untilFrame: undefined,
  });
}

function closeWait(flow: Flow, ep: Endpoint, frame: number, time: number): void {
  for (const w of flow.waits) {
    if (w.side === ep.side && w.until === undefined) {
      w.until = time;
      w.untilFrame = frame;
    }
  }
}

function replayWindow(seg: Segment, obs: Observation): void {
  const snd = obs.sender;
  if ((seg.flags & SYN) !== 0) return; // RFC 7323 §2.2: a SYN's window is never scaled
  // A shift of at most 14 (negotiateWindowScale): the product stays an exact integer.
  snd.window = seg.window * (1 << snd.windowShift);
  if (seg.window === 0) {
    if (!snd.zeroWindow) obs.zeroWindowStart = true;
    snd.zeroWindow = true;
  } else {
    snd.zeroWindow = false;
  }
}

// RFC 7323 §2.2: scaling applies in both directions only when both SYNs offered it.
function negotiateWindowScale(flow: Flow): void {
  const c = flow.client.options?.wscale;
  const s = flow.server.options?.wscale;
  if (c !== undefined && s !== undefined) {
    flow.client.windowShift = Math.min(c, 14);
    flow.server.windowShift = Math.min(s, 14);
  }
}

function replayRst(flow: Flow, seg: Segment, obs: Observation, time: number): void {
  const snd = obs.sender;
  const rcv = obs.receiver;
  flow.firstRst ??= { side: snd.side, frame: seg.frame };
  snd.pendingSynAck = false;
  // A segment that reaches an endpoint with no connection is answered by RST
  // (RFC 9293 §3.10.7.1): the sender had nothing, the receiver had a live one.
  // A bare RST (no ACK) at SEG.ACK is what a CLOSED endpoint sends (§3.10.7.1);
  // a synchronized one aborting sends RST+ACK (Linux tcp_send_active_reset, BSD).
  const bareReply = (seg.flags & ACK) === 0 && snd.state === 'ESTABLISHED' && rcv.lastAckSent !== undefined && seg.seq === rcv.lastAckSent;
  const senderHadNothing = snd.state === 'CLOSED' || (snd.state === 'UNKNOWN' && snd.frames === 1) || bareReply;
  if (senderHadNothing && rcv.synchronized && rcv.state !== 'TIME_WAIT') obs.halfOpen = true;
  const verdict = judgeRst(seg, rcv, snd);
  obs.rst = verdict;
  // An RST its receiver would not accept proves nothing about its sender: it may
  // be stale, spoofed or injected (RFC 5961's threat), so only one that lands
  // counts as the sender's ABORT.
  // A SYN_SENT endpoint answering an unacceptable SYN-ACK with <SEQ=SEG.ACK><CTL=RST>
  // stays in SYN_SENT (§3.10.7.3): the RST rejects that segment, it aborts nothing.
  const rejectsSynAck = snd.state === 'SYN_SENT' && (seg.flags & ACK) === 0 && seg.seq !== snd.sndNxt;
  const lands = (verdict === 'accepted' || verdict === 'ignored') && !rejectsSynAck;
  if (lands) applyEvent(snd, 'snd RST', seg.frame, time);
  // A peer that answered none of the keep-alive probes cannot be taken to have
  // received the RST that ends them: it is gone, or cut off and still holding
  // the connection.
  const death = lands ? keepaliveDeath(snd, time, seg.payloadLen) : undefined;
  if (death !== undefined) {
    obs.keepaliveDeath = death;
    snd.timedOut = true;
    if (verdict === 'accepted') {
      rcv.finalStateDoubt = `it answered none of the ${death.probes} keep-alive probes from frame ${death.firstFrame} on, so the ${snd.side}'s RST ` +
        `(frame ${seg.frame}) probably never reached it either: it still holds the connection if its host is up and cut off, nothing if it went down`;
    }
  } else if (verdict === 'accepted') {
    if (rcv.state === 'SYN_SENT' && snd.side === 'server' && snd.synackFrames.length === 0 && snd.synFrames.length === 0) {
      obs.refused = true;
      flow.serverAnsweredRst = true;
    }
    if (rcv.state === 'TIME_WAIT') obs.rstInTimeWait = true;
    else rcv.sawRstAccepted = true;
    // §3.10.7.4: SYN-RECEIVED returns to LISTEN only after a passive OPEN; an
    // active opener (simultaneous open) is refused and closes.
    const activeOpener = rcv.state === 'SYN_RECEIVED' && rcv.synFrames.length > 0;
    applyEvent(rcv, activeOpener ? 'rcv RST (active open)' : 'rcv RST', seg.frame, time);
    closeWait(flow, rcv, seg.frame, time);
  } else if (verdict === 'challenge') {
    rcv.challengePendingFrame = seg.frame;
    rcv.challengePendingSyn = false;
  }
  if (!lands) return;
  closeWait(flow, snd, seg.frame, time);
  if (!flow.established && !flow.midstream) flow.resetBeforeEstablished = true;
  // An RST before the connection was established belongs to the handshake's story.
  if (flow.closingRst === undefined && flow.fins.length < 2 && (flow.established || flow.midstream)) {
    flow.closingRst = { side: snd.side, frame: seg.frame, afterFins: flow.fins.length };
  }
}

/**
 * RFC 9293 §3.10.7.3 (SYN_SENT: the RST must acknowledge our SYN) and §3.10.7.4
 * with RFC 5961 §3.2 (synchronized: exactly RCV.NXT resets, elsewhere in the
 * window draws a challenge ACK, outside it is dropped).
 */
function judgeRst(seg: Segment, rcv: Endpoint, snd: Endpoint): RstVerdict {
  switch (rcv.state) {
    case 'SYN_SENT':
      if ((seg.flags & ACK) === 0 || rcv.isn === undefined || rcv.sndNxt === undefined) return 'ignored';
      return seqGt(seg.ack, rcv.isn) && seqLe(seg.ack, rcv.sndNxt) ? 'accepted' : 'ignored';
    case 'LISTEN':
    case 'CLOSED':
      return 'ignored';
    default: {
      // RCV.NXT is what the receiver last acknowledged; what the sender had sent
      // (some of it maybe still in flight) is accepted too, as the capture
      // cannot tell which the receiver held when the RST arrived.
      if (rcv.state === 'UNKNOWN' && rcv.frames === 0) return 'ignored';
      const rcvNxt = snd.sndNxt;
      if (rcvNxt === undefined || seg.seq === rcvNxt || seg.seq === rcv.lastAckSent) return 'accepted';
      // Before the handshake settles the receiver has no window to judge by.
      if (rcv.state === 'SYN_RECEIVED') return seqGe(seg.seq, rcvNxt) ? 'accepted' : 'out-of-window';
      // Unknown scaling (midstream) is taken as the largest, so no real RST is called out of window.
      const window = rcv.window ?? 65535 * 2 ** 14;
      const span = rcv.synFrames.length + rcv.synackFrames.length > 0 || rcv.windowShift > 0 ? window : Math.max(window, seg.window * 2 ** 14);
      return seqInWindow(seg.seq, rcvNxt, Math.max(span, 1)) ? 'challenge' : 'out-of-window';
    }
  }
}

/**
 * tcpdump's relative numbers (print-tcp.c): the first ACK-bearing segment of a
 * conversation (or any SYN) fixes the bases and prints absolute numbers; later
 * ACK-bearing segments print seq and ack relative to them; segments without ACK
 * print absolute numbers.
 */
function tcpdumpRelative(flow: Flow, seg: Segment, fromClient: boolean): { seq: number; ack: number | undefined } {
  if ((seg.flags & ACK) === 0) return { seq: seg.seq, ack: undefined };
  const base = flow.tcpdumpBase;
  if (base === undefined || (seg.flags & SYN) !== 0) {
    flow.tcpdumpBase = { seq: seg.seq, ack: seqAdd(seg.ack, -1), fromClient };
    return { seq: seg.seq, ack: seg.ack };
  }
  const same = base.fromClient === fromClient;
  const seqBase = same ? base.seq : base.ack;
  const ackBase = same ? base.ack : base.seq;
  return { seq: seqDiff(seg.seq, seqBase) >>> 0, ack: seqDiff(seg.ack, ackBase) >>> 0 };
}
