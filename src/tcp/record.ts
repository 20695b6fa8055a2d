/**
 * Turns a replayed flow into the record the JSON prints (docs/design.md's flow
 * object): handshake and close kinds, final states, outcomes, Zeek fields and
 * the anomalies, in a fixed key order so output is byte-stable.
 */

import type { Precision } from '../capture/frame.ts';
import { hasFourDigitYear, interval, isoTime, roundDuration, writtenNsec } from '../capture/time.ts';
import type { Endpoint, Finding, Flow, IcmpNote, LifecycleOptions, OfferedOptions, Side } from './types.ts';
import type { AnomalyCode, Severity } from './anomalies/registry.ts';
import { END_DETECTORS } from './anomalies/end.ts';
import { addFinding, isDone, settleAtEnd, timeWaitRanOut } from './lifecycle.ts';
import { retransmissionEnd } from './silence.ts';
import { zeekRows } from '../zeek/analyzer.ts';
import type { TcpState } from './transitions.ts';

/** docs/design.md handshake kinds. */
export type HandshakeKind =
  | 'three-way' | 'simultaneous-open' | 'split-syn-ack' | 'refused' | 'unreachable' | 'unanswered' | 'no-final-ack'
  | 'reset-during-handshake' | 'not-observed';

/** docs/design.md close kinds. */
export type CloseKind = 'four-way' | 'three-segment' | 'simultaneous' | 'reset' | 'half-closed' | 'open' | 'none';

/** What each application saw, as errno names where they fit (docs/json.md). */
export type Outcome = 'ECONNREFUSED' | 'ETIMEDOUT' | 'ECONNRESET' | 'EOF' | 'open' | 'closed' | 'none' | IcmpErrno;

/** What Linux reports for an ICMP error that ends a connection attempt or outlives a soft error (decode/icmp.ts, docs/json.md). */
export type IcmpErrno = 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES' | 'ENOPROTOOPT' | 'EHOSTDOWN' | 'ENONET' | 'EOPNOTSUPP' | 'EPROTO';

/** One endpoint in the JSON. */
export interface EndpointRecord {
  readonly addr: string;
  readonly port: number;
  readonly isn: number | null;
  readonly final_state: TcpState;
  readonly frames: number;
  readonly payload_bytes: number;
  /** Bytes of its frames on the wire (Wireshark's Conversations "Bytes"). */
  readonly frame_bytes: number;
  readonly options: OfferedOptions;
  /**
   * Present, and false, only when the capture cannot prove final_state: a
   * timeout read from silence, a reset its receiver probably never got
   * (docs/states.md, "Final states the capture cannot prove").
   */
  readonly final_state_certain?: false;
  /** Why final_state is an inference (present with final_state_certain). */
  readonly final_state_reason?: string;
}

/** The handshake in the JSON. */
export interface HandshakeRecord {
  readonly kind: HandshakeKind;
  readonly syn_frame: number | null;
  readonly synack_frame: number | null;
  readonly ack_frame: number | null;
  /** SYNs the client sent with its ISN (1 when none was retransmitted). */
  readonly syns: number;
  /** Seconds between successive SYNs: the retransmission back-off. */
  readonly syn_gaps_s: number[];
  readonly synacks: number;
  /** SYN to final ACK, in milliseconds, as seen at the capture point. */
  readonly rtt_ms: number | null;
  readonly syn_to_synack_ms: number | null;
  readonly synack_to_ack_ms: number | null;
  /**
   * Where the capture point sits, judged from the two halves of the handshake:
   * `client` when nearly all the time is SYN→SYN-ACK (the network and server are
   * on the far side), `server` when nearly all is SYN-ACK→ACK, else `mid-path`.
   */
  readonly capture_point: 'client' | 'server' | 'mid-path' | null;
}

/** The close in the JSON. */
export interface CloseRecord {
  readonly kind: CloseKind;
  readonly initiator: Side | 'both' | null;
  readonly first_fin_frame: number | null;
  readonly second_fin_frame: number | null;
  readonly rst_frame: number | null;
}

/** One anomaly in the JSON. */
export interface AnomalyRecord {
  readonly code: AnomalyCode;
  readonly severity: Severity;
  readonly side: Side | null;
  readonly frame: number;
  readonly time: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, number | string | boolean | null>>;
}

/** An ICMP error about one of the flow's segments (docs/json.md, "icmp"). */
export interface IcmpRecord {
  readonly frame: number;
  readonly time: string;
  /** Its source address. */
  readonly from: string;
  /** `peer` when the quoted segment's destination sent it, `router` when a hop on the path did. */
  readonly by: 'peer' | 'router';
  /** The side whose segment it quotes. */
  readonly about: Side;
  readonly protocol: 'ICMP' | 'ICMPv6';
  readonly type: number;
  readonly code: number;
  readonly name: string;
  readonly errno: string | null;
  readonly mtu: number | null;
  readonly quoted_seq: number;
  readonly quoted_len: number | null;
  readonly effect: 'ended-attempt' | 'soft-error' | 'path-mtu' | 'ignored';
  /** Present (true) only for a soft error that had found the socket held inside connect() (IcmpNote.heldInConnect). */
  readonly held_in_connect?: true;
}

/** One line of `--events`. */
export interface EventRecord {
  readonly frame: number;
  readonly time: string;
  readonly dir: '>' | '<';
  readonly flags: string;
  readonly seq: number;
  readonly end: number | null;
  readonly ack: number | null;
  readonly len: number;
  readonly win: number;
  readonly client: TcpState;
  readonly server: TcpState;
  readonly notes: string[];
  /** Present only for an ICMP error's frame (docs/json.md, "events"): who sent it and what it said. */
  readonly icmp?: EventIcmp;
}

/** What an ICMP error's line in `events` adds. */
export interface EventIcmp {
  readonly from: string;
  readonly by: 'peer' | 'router';
  readonly protocol: 'ICMP' | 'ICMPv6';
  readonly name: string;
  readonly mtu: number | null;
}

/**
 * One conn.log row Zeek would write for the flow (docs/zeek.md): Zeek ends a
 * connection on its own timers and on reuse, so one flow can be several
 * rows, oldest first. The names are conn.log's (`id.orig_h` as `orig_h`),
 * without the uid; sizes come from sequence numbers, byte counts from IP lengths.
 */
export interface ZeekRecord {
  /** Epoch seconds of the row's first packet, as Zeek's `ts` (microseconds). */
  readonly ts: number;
  readonly orig_h: string;
  readonly orig_p: number;
  readonly resp_h: string;
  readonly resp_p: number;
  /** Which of synfin's sides Zeek calls the originator in this row. */
  readonly orig: Side;
  readonly duration: number;
  readonly orig_bytes: number;
  readonly resp_bytes: number;
  readonly conn_state: string;
  readonly missed_bytes: number;
  readonly history: string;
  readonly orig_pkts: number;
  readonly orig_ip_bytes: number;
  readonly resp_pkts: number;
  readonly resp_ip_bytes: number;
}

/** A finished flow, exactly as `--format json` prints it. */
export interface FlowRecord {
  readonly id: number;
  readonly roles: 'observed' | 'inferred';
  readonly client: EndpointRecord;
  readonly server: EndpointRecord;
  readonly first_frame: number;
  readonly last_frame: number;
  readonly start: string;
  readonly end: string;
  readonly duration_s: number;
  readonly handshake: HandshakeRecord;
  readonly close: CloseRecord;
  readonly outcome: { readonly client: Outcome; readonly server: Outcome };
  /** ICMP errors about its segments, in frame order (present only when there are some). */
  readonly icmp?: IcmpRecord[];
  /** The conn.log rows Zeek would write for this flow, oldest first (none when Zeek would see no packet of it). */
  readonly zeek: ZeekRecord[];
  readonly anomalies: AnomalyRecord[];
  /** Findings beyond the per-code listing limit, counted by code (present only when some were left out). */
  readonly anomalies_not_listed?: Record<string, number>;
  readonly events?: EventRecord[];
  /**
   * Present only when the timeline was kept to its first and latest entries
   * (explain, report: LifecycleOptions.eventsKept): the frames left out of
   * `events`, all of them this flow's.
   */
  readonly events_omitted?: { readonly frames: number; readonly first_frame: number; readonly last_frame: number };
  /**
   * Present only with the `states` timeline (LifecycleOptions.eventFrames,
   * what netstat analyses with): every frame of the flow as three numbers,
   * its number, whole seconds and nanoseconds, in frame order. Never printed.
   */
  readonly frame_times?: readonly number[];
  /** Encapsulations the flow's frames came through, outermost first (present only for tunnelled flows). */
  readonly via?: readonly string[];
  /**
   * Live ndjson only (settle.ts): this line replaces one printed for the same
   * id before, because segments of the flow came after it.
   */
  readonly revised?: true;
}

/** Context for finishing flows. */
export interface FinishContext {
  readonly options: LifecycleOptions;
  readonly precision: Precision;
  /** Last frame time of the whole capture (seconds): "by the end" means this. */
  readonly captureEnd: number;
}

/** Finalises a flow: end-of-flow detectors, kinds, outcomes, and the record. */
export function finishFlow(flow: Flow, ctx: FinishContext): FlowRecord {
  const { msl, stuckAfter } = ctx.options;
  const silences = settleAtEnd(flow, ctx.captureEnd, ctx.options);
  const handshake = handshakeKind(flow);
  for (const detect of END_DETECTORS) {
    for (const f of detect({ flow, handshake, captureEnd: ctx.captureEnd, msl, stuckAfter, silences })) addFinding(flow, f);
  }
  const findings = [...flow.findings].sort(byFrame);
  const notListed: Record<string, number> = {};
  for (const [code, n] of [...(flow.findingCounts ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const listed = findings.filter((f) => f.code === code).length;
    if (n > listed) notListed[code] = n - listed;
  }
  const p = ctx.precision;
  const record: FlowRecord = {
    id: flow.id,
    roles: flow.roles,
    client: endpointRecord(flow.client),
    server: endpointRecord(flow.server),
    first_frame: flow.firstFrame,
    last_frame: flow.lastFrame,
    start: isoTime(flow.firstSec, flow.firstNsec, p),
    end: isoTime(flow.lastSec, flow.lastNsec, p),
    duration_s: roundDuration(interval(flow.firstSec, flow.firstNsec, flow.lastSec, flow.lastNsec), p),
    handshake: handshakeRecord(flow, handshake, p),
    close: closeRecord(flow, handshake),
    outcome: { client: outcome(flow, flow.client, handshake), server: outcome(flow, flow.server, handshake) },
    ...(flow.icmp.length === 0 ? {} : { icmp: flow.icmp.map((n) => icmpRecord(n, p)) }),
    zeek: zeekRecords(flow),
    anomalies: findings.map((f) => anomalyRecord(f, p)),
  };
  const withExtras: FlowRecord = Object.keys(notListed).length > 0 ? { ...record, anomalies_not_listed: notListed } : record;
  if (flow.events === undefined) return withExtras;
  const events = flow.events.map((e) => eventRecord(e, p));
  const o = flow.eventsOmitted;
  const withEvents: FlowRecord = o === undefined ? { ...withExtras, events } : { ...withExtras, events, events_omitted: { frames: o.count, first_frame: o.first, last_frame: o.last } };
  return flow.frameTimes === undefined ? withEvents : { ...withEvents, frame_times: frameTimesAsWritten(flow.frameTimes, p) };
}

/**
 * What the summary counts of a record (summary.ts countFlow, the SYN-flood
 * detector): read from the record itself, or kept beside a record that
 * travels as text (compact.ts) so that it is not parsed to be counted.
 */
export interface RecordFacts {
  readonly client: { readonly addr: string };
  readonly server: { readonly addr: string; readonly port: number };
  readonly handshake: { readonly kind: HandshakeKind; readonly syns: number };
  readonly close: { readonly kind: CloseKind };
  readonly anomalies: readonly { readonly code: AnomalyCode }[];
  readonly anomalies_not_listed?: Readonly<Record<string, number>>;
  /** ICMP errors the flow took. */
  readonly icmp: number;
}

export function recordFacts(r: FlowRecord): RecordFacts {
  const facts = {
    client: { addr: r.client.addr }, server: { addr: r.server.addr, port: r.server.port },
    handshake: { kind: r.handshake.kind, syns: r.handshake.syns }, close: { kind: r.close.kind },
    anomalies: r.anomalies.map((a) => ({ code: a.code })), icmp: r.icmp?.length ?? 0,
  };
  return r.anomalies_not_listed === undefined ? facts : { ...facts, anomalies_not_listed: r.anomalies_not_listed };
}

/**
 * A done flow's record, made when it is done rather than when its 2 MSL pass
 * or the capture ends (compact.ts keeps it beside the flow's packed segments,
 * so a connection is replayed once, not again to be finished).
 */
export interface EarlyRecord {
  readonly record: FlowRecord;
  /** When each end entered TIME_WAIT (seconds); NaN for an end not in it. */
  readonly clientTimeWait: number;
  readonly serverTimeWait: number;
}

/**
 * The record finishFlow would make at any later end of the capture, made now;
 * undefined unless the only thing a later end could change is a TIME_WAIT
 * running out (settleEarlyText makes that change). So: both ends closed or in
 * TIME_WAIT, neither retransmitting into silence (settleAtEnd judges that by
 * the silence to the capture's end), no CLOSE_WAIT or FIN_WAIT_2 still open
 * (stuckWaits measures it to the end), and an answered handshake
 * (synUnanswered counts to the end). The flow is spent: finishing settles it.
 */
export function finishEarly(flow: Flow, ctx: FinishContext): EarlyRecord | undefined {
  const { client, server } = flow;
  if (!isDone(client) || !isDone(server)) return undefined;
  if (retransmissionEnd(client, ctx.captureEnd) !== undefined || retransmissionEnd(server, ctx.captureEnd) !== undefined) return undefined;
  for (const w of flow.waits) if (w.until === undefined) return undefined;
  if (handshakeKind(flow) === 'unanswered') return undefined;
  const clientTimeWait = client.state === 'TIME_WAIT' ? client.stateSince : NaN;
  const serverTimeWait = server.state === 'TIME_WAIT' ? server.stateSince : NaN;
  return { record: finishFlow(flow, ctx), clientTimeWait, serverTimeWait };
}

/**
 * An early record (finishEarly), as the JSON text JSON.stringify made of it,
 * as finishFlow would have made it at `captureEnd`: an end whose TIME_WAIT has
 * run out by then is CLOSED (the same test as settleAtEnd's). The text is
 * changed rather than parsed: a worker of a parallel run hands it on as it
 * is, and an ndjson line is printed as it is. `"final_state":"` can only be
 * a key there (a string's own quotes are escaped), and the client's comes
 * before the server's.
 */
export function settleEarlyText(json: string, early: Omit<EarlyRecord, 'record'>, captureEnd: number, msl: number): string {
  const clientClosed = timeWaitRanOut(early.clientTimeWait, captureEnd, msl);
  const serverClosed = timeWaitRanOut(early.serverTimeWait, captureEnd, msl);
  if (!clientClosed && !serverClosed) return json;
  const client = json.indexOf(FINAL_STATE_KEY);
  const server = json.indexOf(FINAL_STATE_KEY, client + FINAL_STATE_KEY.length);
  let out = json;
  // The server's first, so the client's offset still holds.
  if (serverClosed) out = closedAt(out, server, 'server');
  if (clientClosed) out = closedAt(out, client, 'client');
  return out;
}

const FINAL_STATE_KEY = '"final_state":"';
const TIME_WAIT_VALUE = 'TIME_WAIT"';

function closedAt(json: string, key: number, side: Side): string {
  const value = key + FINAL_STATE_KEY.length;
  if (key < 0 || json.slice(value, value + TIME_WAIT_VALUE.length) !== TIME_WAIT_VALUE) throw new Error(`an early record's ${side} is not in TIME_WAIT where its times say it is`);
  return `${json.slice(0, value)}CLOSED"${json.slice(value + TIME_WAIT_VALUE.length)}`;
}

/**
 * The `end` of a record given as JSON.stringify's text, read without parsing
 * it: its first `"end":"` is the record's own (nothing before it in a record
 * has that key, and a quote inside a string is escaped), and an ISO time
 * holds nothing escaped.
 */
export function endOfRecordText(json: string): string {
  const at = json.indexOf(END_KEY);
  const close = at < 0 ? -1 : json.indexOf('"', at + END_KEY.length);
  if (close < 0) throw new Error('a record\'s text has no "end"');
  return json.slice(at + END_KEY.length, close);
}

const END_KEY = '"end":"';

/** A record's JSON text with `via` added as its last member, as JSON.stringify writes the record with it. */
export function withViaText(json: string, via: readonly string[]): string {
  return `${json.slice(0, -1)},"via":${JSON.stringify(via)}}`;
}

function byFrame(a: Finding, b: Finding): number {
  return a.frame - b.frame;
}

function endpointRecord(ep: Endpoint): EndpointRecord {
  const record: EndpointRecord = {
    addr: ep.addr, port: ep.port, isn: ep.isn ?? null, final_state: ep.state, frames: ep.frames,
    payload_bytes: ep.payloadBytes, frame_bytes: ep.frameBytes, options: ep.options ?? {},
  };
  const doubt = ep.finalStateDoubt;
  return doubt === undefined ? record : { ...record, final_state_certain: false, final_state_reason: doubt };
}

/** The handshake kind, from what the replay recorded. */
export function handshakeKind(flow: Flow): HandshakeKind {
  if (flow.midstream || flow.onlyRst) return 'not-observed';
  const c = flow.client;
  const s = flow.server;
  if (flow.splitAckFrame !== undefined && s.synFrames.length > 0) return 'split-syn-ack';
  if (s.synFrames.length > 0 && c.synFrames.length > 0) return 'simultaneous-open';
  const serverSentSyn = s.synackFrames.length > 0;
  // An ICMP error ended the attempt (lifecycle.ts replayIcmp): port unreachable refuses as an RST does.
  if (flow.icmpEnd !== undefined && !flow.established) return flow.icmpEnd.errno === 'ECONNREFUSED' ? 'refused' : 'unreachable';
  if (flow.serverAnsweredRst) return 'refused';
  if (flow.established) return 'three-way';
  if (!serverSentSyn) return flow.firstRst !== undefined ? 'reset-during-handshake' : 'unanswered';
  if (flow.resetBeforeEstablished) return 'reset-during-handshake';
  return 'no-final-ack';
}

function ms(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined ? null : Math.round((b - a) * 1e6) / 1e3;
}

function handshakeRecord(flow: Flow, kind: HandshakeKind, p: Precision): HandshakeRecord {
  const c = flow.client;
  const synTime = c.synTimes[0];
  const gaps: number[] = [];
  // Past KEPT_SYNS the last place holds the latest SYN: the gaps are listed among the first ones only.
  const listed = c.synCount > c.synStamps.length ? c.synStamps.length - 1 : c.synStamps.length;
  for (let i = 1; i < listed; i++) {
    const [a, b] = [c.synStamps[i - 1]!, c.synStamps[i]!];
    gaps.push(roundDuration(interval(a[0], a[1], b[0], b[1]), p));
  }
  // RTT is measured from the SYN that was answered: the last one sent before
  // the SYN-ACK the handshake completed with.
  const synackTime = flow.synackTime;
  const before = synackTime === undefined ? c.synTimes : c.synTimes.filter((t) => t <= synackTime);
  const answered = before[before.length - 1] ?? c.synTimes[c.synTimes.length - 1];
  const synToSynack = ms(answered, flow.synackTime);
  const synackToAck = ms(flow.synackTime, flow.handshakeAckTime);
  const rtt = ms(answered, flow.handshakeAckTime);
  let capturePoint: HandshakeRecord['capture_point'] = null;
  if (synToSynack !== null && synackToAck !== null) {
    const total = synToSynack + synackToAck;
    if (total > 0) capturePoint = synToSynack / total >= 0.9 ? 'client' : synackToAck / total >= 0.9 ? 'server' : 'mid-path';
  }
  return {
    kind,
    syn_frame: c.synFrames[0] ?? null,
    synack_frame: flow.synackFrame ?? null,
    ack_frame: flow.handshakeAckFrame ?? null,
    syns: c.synCount,
    syn_gaps_s: gaps,
    synacks: flow.server.synackCount,
    rtt_ms: rtt,
    syn_to_synack_ms: synToSynack,
    synack_to_ack_ms: synackToAck,
    capture_point: synTime === undefined ? null : capturePoint,
  };
}

/** The close kind and its initiator. */
function closeRecord(flow: Flow, handshake: HandshakeKind): CloseRecord {
  const [first, second] = flow.fins;
  const rst = flow.closingRst;
  const base = {
    first_fin_frame: first?.frame ?? null, second_fin_frame: second?.frame ?? null, rst_frame: rst?.frame ?? flow.firstRst?.frame ?? null,
  };
  const neverOpened = !flow.established && !flow.midstream && handshake !== 'three-way';
  if (flow.onlyRst || (neverOpened && first === undefined)) return { kind: 'none', initiator: null, ...base };
  if (rst !== undefined) return { kind: 'reset', initiator: rst.side, ...base };
  if (first === undefined) return { kind: 'open', initiator: null, ...base };
  if (second === undefined) return { kind: 'half-closed', initiator: first.side, ...base };
  if (!second.acksPeerFin) return { kind: 'simultaneous', initiator: 'both', ...base };
  if (!second.peerFinAckedBefore) return { kind: 'three-segment', initiator: first.side, ...base };
  return { kind: 'four-way', initiator: first.side, ...base };
}

/**
 * What the application on `ep`'s side saw last: the errno of a failed connect or
 * a reset, EOF once the peer's FIN arrived, `closed` when it closed or aborted
 * before the peer finished, `open` while still connected, `none` when the
 * connection never reached it (a listener whose handshake never completed).
 */
function outcome(flow: Flow, ep: Endpoint, handshake: HandshakeKind): Outcome {
  if (flow.onlyRst || ep.frames + ep.peer.frames === 0) return 'none';
  if (ep.side === 'client') {
    if (handshake === 'refused') return 'ECONNREFUSED';
    if (handshake === 'unreachable') return flow.icmpEnd!.errno as IcmpErrno;
    if (handshake === 'unanswered' || handshake === 'no-final-ack') return 'ETIMEDOUT';
  } else if (handshake === 'refused' || handshake === 'unreachable' || handshake === 'unanswered' || handshake === 'no-final-ack' ||
    !ep.changes.some((c) => c.to === 'ESTABLISHED') && !flow.midstream) {
    // accept() never returned this connection.
    return 'none';
  }
  if (handshake === 'reset-during-handshake' && !flow.established) return ep.sawRstAccepted ? 'ECONNRESET' : ep.side === 'server' ? 'none' : 'closed';
  // A soft error (an ICMP error during the connection) is what a death by retransmissions reports (Linux's tcp_write_err).
  if (ep.timedOut) return (ep.softError as IcmpErrno | undefined) ?? 'ETIMEDOUT';
  if (ep.sawRstAccepted) return ep.sawFinFromPeer && ep.finSeq !== undefined ? 'EOF' : 'ECONNRESET';
  if (ep.changes.some((c) => c.on === 'snd RST')) return ep.sawFinFromPeer ? 'EOF' : 'closed';
  if (ep.sawFinFromPeer) return 'EOF';
  if (ep.finSeq !== undefined) return 'closed';
  if (ep.state === 'CLOSED' || ep.state === 'LISTEN') return 'none';
  return 'open';
}

function zeekRecords(flow: Flow): ZeekRecord[] {
  return zeekRows(flow.zeek).map((r) => ({
    ts: Math.round(r.ts * 1e6) / 1e6,
    orig_h: r.origAddr, orig_p: r.origPort, resp_h: r.respAddr, resp_p: r.respPort,
    orig: r.origAddr === flow.client.addr && r.origPort === flow.client.port ? 'client' : 'server',
    duration: Math.round(r.duration * 1e6) / 1e6,
    orig_bytes: Number(r.origBytes), resp_bytes: Number(r.respBytes),
    conn_state: r.connState, missed_bytes: r.missedBytes, history: r.history,
    orig_pkts: r.origPkts, orig_ip_bytes: r.origIpBytes, resp_pkts: r.respPkts, resp_ip_bytes: r.respIpBytes,
  }));
}

function icmpRecord(n: IcmpNote, p: Precision): IcmpRecord {
  return {
    frame: n.frame, time: isoTime(n.sec, n.nsec, p), from: n.from, by: n.by, about: n.about, protocol: n.protocol, type: n.type,
    code: n.code, name: n.name, errno: n.errno ?? null, mtu: n.mtu ?? null, quoted_seq: n.seq, quoted_len: n.len ?? null, effect: n.effect,
    ...(n.heldInConnect === true ? { held_in_connect: true as const } : {}),
  };
}

function anomalyRecord(f: Finding, p: Precision): AnomalyRecord {
  const base = { code: f.code, severity: f.severity, side: f.side, frame: f.frame, time: isoTime(f.sec, f.nsec, p), message: f.message };
  return f.details === undefined ? base : { ...base, details: f.details };
}

const FLAG_LETTERS: readonly (readonly [number, string])[] = [
  [0x002, 'S'], [0x001, 'F'], [0x008, 'P'], [0x004, 'R'], [0x020, 'U'], [0x040, 'E'], [0x080, 'W'], [0x100, 'e'],
];

/** Flags as tcpdump prints them: `[S]`, `[S.]`, `[P.]`, `[F.]`, `[R.]`, `[.]`. */
export function tcpdumpFlags(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if ((flags & bit) !== 0) s += letter;
  if ((flags & 0x010) !== 0) s += '.';
  return `[${s === '' ? 'none' : s}]`;
}

function eventRecord(e: Flow['events'] extends (infer T)[] | undefined ? T : never, p: Precision): EventRecord {
  const i = e.icmp;
  if (i !== undefined) {
    return {
      frame: e.frame, time: isoTime(e.sec, e.nsec, p), dir: e.dir, flags: i.protocol, seq: e.seq, end: null, ack: null, len: 0, win: 0,
      client: e.client, server: e.server, notes: e.notes,
      icmp: { from: i.from, by: i.by, protocol: i.protocol, name: i.name, mtu: i.mtu ?? null },
    };
  }
  return {
    frame: e.frame, time: isoTime(e.sec, e.nsec, p), dir: e.dir, flags: tcpdumpFlags(e.flags),
    seq: e.seq, end: e.len > 0 ? (e.seq + e.len) >>> 0 : null, ack: e.ack ?? null, len: e.len, win: e.win,
    client: e.client, server: e.server, notes: e.notes,
  };
}

/**
 * Frame times (three numbers a frame) as the timeline's ISO times read back
 * give them, so that what is read of frame_times and of `events` agrees to
 * the nanosecond: cut to the record's precision, and 0 for a time whose year
 * has more than four digits (report/text.ts parseStamp reads none such, and
 * netstat then takes the epoch).
 */
function frameTimesAsWritten(times: readonly number[], p: Precision): number[] {
  const out = new Array<number>(times.length);
  for (let i = 0; i + 2 < times.length; i += 3) {
    const sec = times[i + 1]!;
    const readable = hasFourDigitYear(sec);
    out[i] = times[i]!;
    out[i + 1] = readable ? sec : 0;
    out[i + 2] = readable ? writtenNsec(times[i + 2]!, p) : 0;
  }
  return out;
}

/**
 * A record given the ids of another numbering (a parallel analysis's workers
 * and `--shard` runs number their own flows; see src/parallel/order.ts and
 * report/merge.ts): its own id, and the earlier flow a tuple-reuse names, in
 * its details and its message. Changes `record` in place, keeping its keys'
 * order, so it must be the caller's own (parsed from JSON).
 */
export function renumberFlow(record: FlowRecord, idOf: (id: number) => number): FlowRecord {
  const r = record as { -readonly [K in keyof FlowRecord]: FlowRecord[K] };
  r.id = idOf(r.id);
  for (let i = 0; i < r.anomalies.length; i++) {
    const a = r.anomalies[i]!;
    const previous = a.details?.previous_flow;
    if (typeof previous !== 'number') continue;
    const id = idOf(previous);
    r.anomalies[i] = { ...a, message: a.message.replace(`flow ${previous}`, `flow ${id}`), details: { ...a.details, previous_flow: id } };
  }
  return r;
}

/**
 * Flow ids as one run gives them: 1, 2, 3… in order of first frame. Fed
 * every flow's first frame in increasing order, it answers the id of the
 * flow that begins at a frame: how a parallel analysis's merge
 * (src/parallel/order.ts) and `synfin merge` (report/merge.ts) number flows
 * that were numbered apart. 8 bytes a flow.
 */
export class FirstFrameIds {
  private frames = new Float64Array(1024);
  private n = 0;

  /** Flows numbered so far. */
  get size(): number {
    return this.n;
  }

  /** Numbers the flow that begins at `frame`; false (and nothing numbered) when the frame is not above the last one. */
  push(frame: number): boolean {
    if (this.n > 0 && frame <= this.frames[this.n - 1]!) return false;
    if (this.n === this.frames.length) {
      const grown = new Float64Array(this.n * 2);
      grown.set(this.frames);
      this.frames = grown;
    }
    this.frames[this.n++] = frame;
    return true;
  }

  /** The id of the flow that begins at `frame`, or undefined when none numbered does. */
  idOf(frame: number): number | undefined {
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const f = this.frames[mid]!;
      if (f === frame) return mid + 1;
      if (f < frame) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}
