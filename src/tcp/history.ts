/**
 * Zeek's view of one TCP connection: the per-endpoint states of Zeek's TCP
 * analyzer, the `history` string and the `conn_state` of conn.log, replayed
 * from the segments a capture shows.
 *
 * This is a port of Zeek's own code, not a re-derivation from RFC 9293, so
 * that `synfin` and `zeek -C -r x.pcap` agree letter for letter. Source
 * followed (zeek/zeek master as of Zeek 8.x):
 *
 * - src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc: `Process`,
 *   `init_endpoint`, `get_relative_seq`, `update_history`, `update_window`,
 *   `init_peer`, `update_ack_seq`, `update_last_seq`, `UpdateStateMachine` and
 *   its `Update*State` helpers, `ConnectionClosed`, `FlipRoles`.
 * - src/packet_analysis/protocol/tcp/TCP.cc: `TCPAnalyzer::WantConnection`
 *   (the flip of a connection whose first packet is not a SYN).
 * - src/packet_analysis/protocol/ip/IPBasedAnalyzer.cc: `NewConn`,
 *   `AnalyzePacket` (direction of a packet), `IsLikelyServerPort`.
 * - src/analyzer/protocol/tcp/TCP_Endpoint.h/.cc: `EndpointState`,
 *   `HistoryMasks`, `CheckHistory`, `AddHistory`, `DidRxmit`, `ZeroWindow`,
 *   `Size`, `NoDataAcked`.
 * - src/session/Session.h/.cc: `CheckHistory`, `ScaledHistoryEntry` (the
 *   logarithmic letters), src/Conn.cc: `Connection::FlipRoles` (the `^`).
 * - src/analyzer/protocol/conn-size/ConnSize.cc: packet counts and `FlipRoles`.
 * - scripts/base/protocols/conn/main.zeek: `conn_state()`.
 *
 * What a capture cannot show, or what Zeek decides outside the TCP analyzer
 * (bad checksums, content gaps, timers that expire a connection), is listed
 * in docs/zeek.md.
 */

import type { Segment } from '../decode/segment.ts';
import { ACK, FIN, RST, SYN } from '../decode/segment.ts';

/** Zeek's `EndpointState` (TCP_Endpoint.h), without the `TCP_ENDPOINT_` prefix. */
export type ZeekEndpointState =
  | 'INACTIVE' // no SYN (or other packets) seen for this side
  | 'SYN_SENT' // SYN seen, but no ack
  | 'SYN_ACK_SENT' // SYN ack seen, no initial SYN
  | 'PARTIAL' // data seen, but no SYN
  | 'ESTABLISHED' // SYN ack seen (implicit for SYN sent by responder)
  | 'CLOSED' // FIN seen
  | 'RESET'; // RST seen

/** One side of the connection as Zeek's `TCP_Endpoint` keeps it. */
export interface ZeekEndpoint {
  /** Address and port of this endpoint (it follows the host across a flip). */
  readonly addr: string;
  readonly port: number;
  /** Whether Zeek currently calls this endpoint the originator. */
  isOrig: boolean;
  state: ZeekEndpointState;
  prevState: ZeekEndpointState;
  /** Initial sequence number as Zeek set it (the ISN, or seq - 1 for a partial connection). */
  startSeq: number;
  /** One past the highest sequence number this endpoint has sent. */
  lastSeq: number;
  /** Highest ack of this endpoint's data that its peer has sent. */
  ackSeq: number;
  seqWraps: number;
  ackWraps: number;
  finCount: number;
  rstCount: number;
  /** Relative seq of the last SYN/FIN/RST, so that a repeat at the same seq adds no letter. */
  histLastSyn: number;
  histLastFin: number;
  histLastRst: number;
  /** Counters and next thresholds of the logarithmic letters T and W. */
  rxmtCount: number;
  rxmtThresh: number;
  win0Count: number;
  win0Thresh: number;
  /** Zeek's `did_close`: this side's close (FIN or RST) has been reported. */
  didClose: boolean;
  /** ConnSize's packet and IP byte counters; they follow the host across a flip. */
  pkts: number;
  ipBytes: number;
}

/** Zeek's state for one connection: both endpoints, the history and the times. */
export interface ZeekState {
  /** Zeek's originator and responder (swapped when Zeek flips the connection). */
  orig: ZeekEndpoint;
  resp: ZeekEndpoint;
  /** The endpoint that sent the first segment, whatever Zeek calls it now. */
  readonly firstSender: ZeekEndpoint;
  /** conn.log `history`, built letter by letter as Zeek's `AddHistory` does. */
  history: string;
  /** Zeek's `hist_seen` bit mask (responder bits shifted left by 16). */
  histSeen: number;
  /** Epoch seconds of the first packet, as Zeek's double network time (microsecond precision). */
  readonly startTime: number;
  /** Zeek's `last_time`: not advanced once both sides have closed. */
  lastTime: number;
}

/** Options for {@link createZeekState}. */
export interface ZeekOptions {
  /**
   * TCP ports Zeek's `likely_server_ports` holds. Zeek flips a connection
   * whose first packet is not a bare SYN when its source port is in this set
   * (TCP.cc `WantConnection`). Defaults to {@link ZEEK_LIKELY_SERVER_PORTS}.
   */
  readonly likelyServerPorts?: ReadonlySet<number>;
}

/**
 * The TCP ports that Zeek's default scripts add to `likely_server_ports`
 * (`redef likely_server_ports += { ports }` in scripts/base/protocols/<p>/main.zeek).
 * Only the entries checked against Zeek's scripts are here: dce-rpc, dns,
 * finger, ftp, http, imap, smtp, ssh and ssl. Other base scripts add more
 * (see docs/zeek.md); pass `likelyServerPorts` to match a given Zeek install.
 */
export const ZEEK_LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 2811, // ftp
  22, // ssh
  25, 587, // smtp
  53, // dns
  79, // finger
  80, 81, 631, 1080, 3128, 8000, 8080, 8888, // http
  135, // dce-rpc
  143, // imap
  443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // ssl
]);

// TCP_Endpoint.h HistoryMasks; the responder's bits are shifted left by 16.
const HIST_SYN_PKT = 0x1;
const HIST_FIN_PKT = 0x2;
const HIST_RST_PKT = 0x4;
const HIST_FIN_RST_PKT = 0x8;
const HIST_DATA_PKT = 0x10;
const HIST_ACK_PKT = 0x20;
const HIST_MULTI_FLAG_PKT = 0x40;

// TCPSessionAdapter.cc: sequence jumps larger than this on a SYN or RST are not trusted.
const TOO_LARGE_SEQ_DELTA = 1048576;
const TWO_32 = 4294967296;

/**
 * `seq_delta`: signed 32-bit difference, as Zeek's (int32_t)(a - b).
 * Deliberately not tcp/seq.ts's `seqDiff`: that maps a distance of 2^31 to
 * +2^31 where Zeek's cast gives -2^31, and Zeek also counts wraps with raw
 * unsigned compares (`seq < last_seq`). Matching Zeek means its arithmetic.
 */
function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

function u32(x: number): number {
  return x >>> 0;
}

/**
 * Zeek's network time for a packet. libpcap hands Zeek a `timeval`, so a
 * nanosecond capture is cut to microseconds before Zeek sees it.
 */
function packetTime(seg: Segment): number {
  return seg.sec + Math.floor(seg.nsec / 1000) / 1e6;
}

function newEndpoint(addr: string, port: number, isOrig: boolean): ZeekEndpoint {
  return {
    addr,
    port,
    isOrig,
    state: 'INACTIVE',
    prevState: 'INACTIVE',
    startSeq: 0,
    lastSeq: 0,
    ackSeq: 0,
    seqWraps: 0,
    ackWraps: 0,
    finCount: 0,
    rstCount: 0,
    histLastSyn: 0,
    histLastFin: 0,
    histLastRst: 0,
    rxmtCount: 0,
    rxmtThresh: 1,
    win0Count: 0,
    win0Thresh: 1,
    didClose: false,
    pkts: 0,
    ipBytes: 0,
  };
}

/** IPBasedAnalyzer::IsLikelyServerPort against the configured set. */
function isLikelyServerPort(ports: ReadonlySet<number>, port: number): boolean {
  return ports.has(port);
}

/**
 * Starts Zeek's state for a connection whose first packet is `first`.
 *
 * The originator is the sender of `first`, unless Zeek's `WantConnection`
 * flips it (TCP.cc): when `first` is not a bare SYN (no SYN, or SYN+ACK) and
 * its source port is a likely server port, Zeek makes the receiver the
 * originator and records `^` (Conn.cc `FlipRoles`). If both ports are likely
 * server ports it flips only a non-SYN packet whose source port is the lower.
 *
 * This only sets the roles: `first` itself must then go through
 * {@link updateZeek}, like every later segment (Zeek's `NewConn` creates the
 * connection, then `DeliverPacket` processes the packet).
 */
export function createZeekState(first: Segment, opts: ZeekOptions = {}): ZeekState {
  const ports = opts.likelyServerPorts ?? ZEEK_LIKELY_SERVER_PORTS;
  const sender = newEndpoint(first.src, first.srcPort, true);
  const receiver = newEndpoint(first.dst, first.dstPort, false);
  const t = packetTime(first);
  const z: ZeekState = {
    orig: sender,
    resp: receiver,
    firstSender: sender,
    history: '',
    histSeen: 0,
    startTime: t,
    lastTime: t,
  };

  // TCP.cc WantConnection: partial_connection_ok and tcp_SYN_ack_ok are T by default.
  let flip = false;
  const flags = first.flags;
  if (!(flags & SYN) || flags & ACK) {
    if (isLikelyServerPort(ports, first.srcPort)) {
      // "Heuristic: flip only if (1) this isn't a SYN ACK (to avoid confusing
      // stealth scans) and (2) dest port > src port (to favor more plausible servers)."
      flip = isLikelyServerPort(ports, first.dstPort) ? !(flags & SYN) && first.srcPort < first.dstPort : true;
    }
  }
  // IPBasedAnalyzer::NewConn: `if ( flip && ! id->dst_addr.IsBroadcast() )`.
  if (flip && first.dst !== '255.255.255.255') flipRoles(z);
  return z;
}

/**
 * True when Zeek's originator is the endpoint that sent the first segment,
 * false when Zeek flipped the connection (the first sender is its responder).
 */
export function zeekOrigIsFirstSender(z: ZeekState): boolean {
  return z.orig === z.firstSender;
}

/** Connection::FlipRoles and TCPSessionAdapter::FlipRoles. */
function flipRoles(z: ZeekState): void {
  const was = z.orig;
  z.orig = z.resp;
  z.resp = was;
  z.orig.isOrig = !z.orig.isOrig;
  z.resp.isOrig = !z.resp.isOrig;
  // Zeek does not swap hist_seen: letters already seen keep the bit of the side
  // that sent them, so the flipped side may see a letter recorded again.
  z.history += '^';
}

/** TCP_Endpoint::SetState: prev_state only changes when the state does. */
function setState(ep: ZeekEndpoint, next: ZeekEndpointState): void {
  if (next !== ep.state) {
    ep.prevState = ep.state;
    ep.state = next;
  }
}

/** Session::CheckHistory through TCP_Endpoint::CheckHistory: true if already seen. */
function checkHistory(z: ZeekState, ep: ZeekEndpoint, mask: number, code: string): boolean {
  const m = ep.isOrig ? mask : mask << 16;
  if ((z.histSeen & m) === 0) {
    z.histSeen |= m;
    z.history += ep.isOrig ? code : code.toLowerCase();
    return false;
  }
  return true;
}

function addHistory(z: ZeekState, ep: ZeekEndpoint, code: string): void {
  z.history += ep.isOrig ? code : code.toLowerCase();
}

/**
 * Session::ScaledHistoryEntry with base 10: the letter is added at the 1st,
 * 10th, 100th... event. Thresholds are uint32 in Zeek; on wrap-around the
 * counter restarts and the threshold stays.
 */
function scaledHistoryEntry(
  z: ZeekState,
  ep: ZeekEndpoint,
  code: string,
  counter: 'rxmtCount' | 'win0Count',
  thresh: 'rxmtThresh' | 'win0Thresh',
): void {
  ep[counter] = u32(ep[counter] + 1);
  if (ep[counter] === ep[thresh]) {
    addHistory(z, ep, code);
    const next = u32(Math.imul(ep[thresh], 10));
    if (next <= ep[thresh]) ep[counter] = 0;
    else ep[thresh] = next;
  }
}

/** get_segment_len: SYN and FIN take a sequence number; a RST's data does not count. */
function segmentLength(payloadLen: number, flags: number): number {
  let len = payloadLen;
  if (flags & SYN) ++len;
  if (flags & FIN) ++len;
  if (flags & RST) len -= payloadLen;
  return len;
}

/** init_endpoint: (re)initialises the sequence space of the sending endpoint. */
function initEndpoint(ep: ZeekEndpoint, flags: number, firstSegSeq: number, lastSeq: number): void {
  switch (ep.state) {
    case 'INACTIVE':
      if (flags & SYN) {
        ep.ackSeq = firstSegSeq;
        ep.startSeq = firstSegSeq;
      } else {
        // A partial connection: number bytes as though a SYN had been seen,
        // "but ensure first packet is not marked duplicate".
        ep.ackSeq = u32(firstSegSeq - 1);
        ep.startSeq = u32(firstSegSeq - 1);
        lastSeq = firstSegSeq;
      }
      ep.lastSeq = lastSeq;
      break;
    case 'SYN_SENT':
    case 'SYN_ACK_SENT':
      if (flags & SYN && firstSegSeq !== ep.startSeq) {
        ep.startSeq = firstSegSeq;
        ep.ackSeq = firstSegSeq;
        ep.lastSeq = lastSeq;
      }
      break;
    case 'ESTABLISHED':
    case 'PARTIAL':
      // "Make a guess that somehow the connection didn't get established,
      // and this SYN will be the one that actually sets it up."
      if (flags & SYN) {
        ep.startSeq = firstSegSeq;
        ep.ackSeq = firstSegSeq;
        ep.lastSeq = lastSeq;
      }
      break;
    case 'RESET':
      // Seq numbers set by an earlier RST from this side may have been spoofed.
      if (flags & SYN && ep.prevState === 'INACTIVE') {
        ep.startSeq = firstSegSeq;
        ep.ackSeq = firstSegSeq;
        ep.lastSeq = lastSeq;
      }
      break;
    case 'CLOSED':
      break;
  }
}

/**
 * get_relative_seq. Zeek returns a uint64; a negative delta is kept here as
 * a negative number, which compares equal exactly when Zeek's values do. So
 * a negative result is Zeek's "underflow_or_misorder" (below the start of
 * the endpoint's sequence space): with a wrap counted the result is positive.
 * A number rather than an object, as this runs twice per segment.
 */
function relativeSeq(ep: ZeekEndpoint, curBase: number, last: number, wraps: number): number {
  const delta = seqDelta(curBase, last);
  if (delta < 0) {
    if (wraps && curBase > last) --wraps;
  } else if (delta > 0) {
    if (curBase < last) ++wraps;
  }
  if (wraps === 0) return seqDelta(curBase, ep.startSeq);
  return wraps * TWO_32 + curBase - ep.startSeq;
}

/** update_history: which letter, if any, this packet adds. */
function updateHistory(z: ZeekState, ep: ZeekEndpoint, flags: number, relSeq: number, len: number): void {
  const bitsSet = (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0) + (flags & RST ? 1 : 0);
  if (bitsSet > 1) {
    if (flags & FIN && flags & RST) checkHistory(z, ep, HIST_FIN_RST_PKT, 'I');
    else checkHistory(z, ep, HIST_MULTI_FLAG_PKT, 'Q');
  } else if (bitsSet === 1) {
    if (flags & SYN) {
      const code = flags & ACK ? 'H' : 'S';
      if (checkHistory(z, ep, HIST_SYN_PKT, code) && relSeq !== ep.histLastSyn) addHistory(z, ep, code);
      ep.histLastSyn = relSeq;
    }
    if (flags & FIN) {
      // "For FIN's, the sequence number comes at the end of (any data in) the
      // packet, not the beginning as for SYNs and RSTs."
      if (checkHistory(z, ep, HIST_FIN_PKT, 'F') && relSeq + len !== ep.histLastFin) addHistory(z, ep, 'F');
      ep.histLastFin = relSeq + len;
    }
    if (flags & RST) {
      if (checkHistory(z, ep, HIST_RST_PKT, 'R') && relSeq !== ep.histLastRst) addHistory(z, ep, 'R');
      ep.histLastRst = relSeq;
    }
  } else if (len) {
    checkHistory(z, ep, HIST_DATA_PKT, 'D');
  } else if (flags & ACK) {
    checkHistory(z, ep, HIST_ACK_PKT, 'A');
  }
}

/**
 * update_window, the part that shows in history: a zero window (W). The
 * window is shifted by the scale first, but a 16-bit window shifted by at
 * most 14 is zero only when the raw field is, so the scale is not needed.
 * Zero windows are boring with or after a RST, or after the peer's FIN.
 */
function updateWindow(z: ZeekState, ep: ZeekEndpoint, peer: ZeekEndpoint, window: number, flags: number): void {
  if (window === 0 && !(flags & RST) && peer.state !== 'CLOSED' && ep.state !== 'RESET') {
    scaledHistoryEntry(z, ep, 'W', 'win0Count', 'win0Thresh');
  }
}

/** init_peer: number the silent peer's bytes from the ack it has been sent. */
function initPeer(peer: ZeekEndpoint, ackSeq: number): void {
  peer.startSeq = u32(ackSeq - 1);
  peer.ackSeq = u32(ackSeq - 1);
  peer.lastSeq = u32(ackSeq - 1);
}

/** update_ack_seq: ep is the endpoint whose data the ack covers. */
function updateAckSeq(ep: ZeekEndpoint, ackSeq: number): void {
  const deltaAck = seqDelta(ackSeq, ep.ackSeq);
  // "More likely that this is a broken ack than a large connection that
  // happens to land on 0 in the sequence space."
  if (ackSeq === 0 && deltaAck > TOO_LARGE_SEQ_DELTA) return;
  if (deltaAck > 0) {
    if (ackSeq < ep.ackSeq) ++ep.ackWraps;
    ep.ackSeq = ackSeq;
  }
}

function updateLastSeqValue(ep: ZeekEndpoint, seq: number): void {
  if (seq < ep.lastSeq) ++ep.seqWraps;
  ep.lastSeq = seq;
}

/**
 * update_last_seq: advances last_seq, and calls a data segment that ends at
 * or below it a retransmission (T), however much of it was new to the receiver.
 */
function updateLastSeq(z: ZeekState, ep: ZeekEndpoint, lastSeq: number, flags: number, len: number): number {
  const deltaLast = seqDelta(lastSeq, ep.lastSeq);
  if (flags & (SYN | RST) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
    // Outlandish SYN/RST sequence numbers are not trusted.
  } else if (flags & FIN && ep.lastSeq === u32(ep.startSeq + 1)) {
    // "> 2 GB connections for which we've only seen the SYN and the FIN".
    updateLastSeqValue(ep, lastSeq);
  } else if (ep.state === 'RESET') {
    // "don't trust any subsequent sequence numbers"
  } else if (deltaLast > 0) {
    updateLastSeqValue(ep, lastSeq);
  } else if (len > 0) {
    scaledHistoryEntry(z, ep, 'T', 'rxmtCount', 'rxmtThresh');
  }
  return deltaLast;
}

interface CloseDecision {
  doClose: boolean;
}

/** UpdateInactiveState: the first packet a side sends. */
function updateInactiveState(
  z: ZeekState,
  ep: ZeekEndpoint,
  peer: ZeekEndpoint,
  baseSeq: number,
  len: number,
  isOrig: boolean,
  flags: number,
  out: CloseDecision,
): void {
  if (flags & SYN) {
    if (isOrig) {
      setState(ep, flags & ACK ? 'SYN_ACK_SENT' : 'SYN_SENT');
    } else {
      if (!(flags & ACK) && peer.state === 'SYN_ACK_SENT' && baseSeq === ep.startSeq) {
        // "This is a SYN/SYN-ACK reversal ... Flip the endpoints and establish
        // the connection." (init_endpoint has just set startSeq from this SYN.)
        flipRoles(z);
        setState(peer, 'ESTABLISHED');
      }
      if (peer.state === 'SYN_SENT') setState(peer, 'ESTABLISHED');
      setState(ep, 'ESTABLISHED');
    }
  }
  if (flags & FIN) {
    setState(ep, 'CLOSED');
    out.doClose = true;
  }
  if (flags & RST) {
    setState(ep, 'RESET');
    out.doClose = true;
  }
  if (ep.state === 'INACTIVE') {
    // No control flags to change the state.
    if (!isOrig && len === 0 && z.orig.state === 'SYN_SENT') {
      // "Some eccentric TCP's will ack an initial SYN prior to sending a SYN
      // reply": such an ack does not make a partial connection.
    } else if (flags & ACK && peer.state === 'ESTABLISHED') {
      // A SYN-ACK seen without its SYN, then a pure ACK: the SYN was missed.
      setState(ep, 'ESTABLISHED');
    } else {
      setState(ep, 'PARTIAL');
    }
  }
}

/** UpdateSYN_SentState (SYN_SENT and SYN_ACK_SENT). */
function updateSynSentState(ep: ZeekEndpoint, flags: number, out: CloseDecision): void {
  if (flags & FIN) {
    setState(ep, 'CLOSED');
    out.doClose = true;
  }
  if (flags & RST) {
    setState(ep, 'RESET');
    out.doClose = true;
  }
}

/** UpdateEstablishedState (ESTABLISHED and PARTIAL). */
function updateEstablishedState(ep: ZeekEndpoint, peer: ZeekEndpoint, flags: number, out: CloseDecision): void {
  if (flags & SYN && ep.state === 'PARTIAL' && peer.state === 'INACTIVE' && !(flags & ACK)) {
    setState(ep, 'SYN_SENT');
  }
  if (flags & FIN && !(flags & RST)) {
    setState(ep, 'CLOSED');
    // "The peer sent a FIN followed by a RST. Turn it back into CLOSED state,
    // because this was actually normal termination."
    if (peer.state === 'RESET' && peer.prevState === 'CLOSED') setState(peer, 'CLOSED');
    out.doClose = true;
  }
  if (flags & RST) {
    setState(ep, 'RESET');
    out.doClose = true;
  }
}

/** UpdateClosedState: a RST after our FIN counts unless the peer closed too. */
function updateClosedState(ep: ZeekEndpoint, peer: ZeekEndpoint, flags: number, out: CloseDecision): void {
  if (flags & RST && peer.state !== 'CLOSED') {
    setState(ep, 'RESET');
    if (!ep.didClose) out.doClose = true;
  }
}

/**
 * Replays one segment through Zeek's TCP analyzer (TCPAnalyzer::DeliverPacket
 * and TCPSessionAdapter::Process). The direction is Zeek's: the segment is
 * the originator's when its source address and port are the originator's.
 *
 * `ipBytes` is the IP total length of the packet (IPv4 total length, or the
 * IPv6 payload length plus 40), for conn.log's `orig_ip_bytes`/`resp_ip_bytes`.
 *
 * Every packet is taken as having a good checksum (as `zeek -C` does): a
 * capture does not carry the verdict, and captures on the sending host
 * usually show checksums the NIC had yet to fill.
 */
export function updateZeek(z: ZeekState, seg: Segment, ipBytes = 0): void {
  const t = packetTime(seg);
  const isOrig = seg.src === z.orig.addr && seg.srcPort === z.orig.port;
  const ep = isOrig ? z.orig : z.resp;
  const peer = isOrig ? z.resp : z.orig;
  const flags = seg.flags;
  const baseSeq = u32(seg.seq);
  const ackSeq = u32(seg.ack);
  const len = seg.payloadLen;

  const seqOnePastSegment = u32(baseSeq + segmentLength(len, flags));
  initEndpoint(ep, flags, baseSeq, seqOnePastSegment);
  const relSeq = relativeSeq(ep, baseSeq, ep.lastSeq, ep.seqWraps);

  updateHistory(z, ep, flags, relSeq, len);
  updateWindow(z, ep, peer, seg.window, flags);

  if (!z.orig.didClose || !z.resp.didClose) z.lastTime = t;

  if (flags & FIN) ++ep.finCount;
  if (flags & RST) ++ep.rstCount;

  if (flags & ACK) {
    if (peer.state === 'INACTIVE') {
      initPeer(peer, ackSeq);
    } else {
      // An ack below the peer's start is "TCP_ack_underflow_or_misorder" and
      // ignored; "Don't trust ack's in RST packets."
      const underflow = relativeSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps) < 0;
      if (!underflow && !(flags & RST)) updateAckSeq(peer, ackSeq);
    }
  }

  updateLastSeq(z, ep, seqOnePastSegment, flags, len);

  // UpdateStateMachine
  const out: CloseDecision = { doClose: false };
  switch (ep.state) {
    case 'INACTIVE':
      updateInactiveState(z, ep, peer, baseSeq, len, isOrig, flags, out);
      break;
    case 'SYN_SENT':
    case 'SYN_ACK_SENT':
      updateSynSentState(ep, flags, out);
      break;
    case 'ESTABLISHED':
    case 'PARTIAL':
      updateEstablishedState(ep, peer, flags, out);
      break;
    case 'CLOSED':
      updateClosedState(ep, peer, flags, out);
      break;
    case 'RESET':
      break;
  }

  // ConnectionClosed: "if ( endpoint->did_close ) return; endpoint->did_close = true;"
  // (Zeek defers this while reassembled data is pending; synfin does not reassemble.)
  if (out.doClose) ep.didClose = true;

  // ConnSize sees the packet last, with the direction computed before any
  // flip this packet caused, after its counters were swapped by that flip.
  const counted = isOrig ? z.orig : z.resp;
  ++counted.pkts;
  counted.ipBytes += ipBytes;
}

/**
 * Payload bytes Zeek reports for an endpoint (TCP_Endpoint::Size): from
 * sequence numbers, the larger of what it sent and what its peer acked,
 * minus the SYN and FIN. A bigint, because Zeek computes in uint64 and a
 * confused endpoint can underflow to a 20-digit count, which Zeek prints.
 */
export function zeekEndpointSize(ep: ZeekEndpoint, peer: ZeekEndpoint): bigint {
  const start = BigInt(ep.startSeq);
  const ack64 = (BigInt(ep.ackWraps) << 32n) + BigInt(ep.ackSeq);
  const noDataAcked = ack64 === start || ack64 === start + 1n;
  // "This looks like a half-open connection was discovered and aborted."
  if (ep.prevState === 'SYN_SENT' && ep.state === 'RESET' && peer.state === 'INACTIVE' && !noDataAcked) return 0n;

  const last64 = (BigInt(ep.seqWraps) << 32n) + BigInt(ep.lastSeq);
  let size = BigInt.asUintN(64, (last64 > ack64 ? last64 : ack64) - start);
  if (size !== 0n) --size; // the SYN octet
  if (ep.finCount > 0 && size !== 0n) --size; // the FIN octet
  return size;
}

/** conn.log `orig_bytes` and `resp_bytes` (Zeek's `c$orig$size`, `c$resp$size`). */
export function zeekSizes(z: ZeekState): { readonly orig: bigint; readonly resp: bigint } {
  return { orig: zeekEndpointSize(z.orig, z.resp), resp: zeekEndpointSize(z.resp, z.orig) };
}

/** conn.log `duration`: Zeek's `last_time - start_time`. */
export function zeekDuration(z: ZeekState): number {
  return z.lastTime - z.startTime;
}

/** conn.log `history`. */
export function zeekHistory(z: ZeekState): string {
  return z.history;
}

// main.zeek conn_state(): `/\^?S[^HAFGIQ]*R.*/ == c$history` (a whole-string match).
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/s;

/** conn.log `conn_state`, exactly as main.zeek's `conn_state()` derives it for TCP. */
export function zeekConnState(z: ZeekState): string {
  const os = z.orig.state;
  const rs = z.resp.state;
  const oInactive = os === 'INACTIVE' || os === 'PARTIAL';
  const rInactive = rs === 'INACTIVE' || rs === 'PARTIAL';

  if (rs === 'RESET') {
    if (os === 'SYN_SENT' || os === 'SYN_ACK_SENT') return 'REJ';
    if (os === 'RESET') {
      const sizes = zeekSizes(z);
      if (sizes.orig === 0n && sizes.resp === 0n) return 'REJ';
    }
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === 'RESET') {
    if (rInactive) return RSTOS0_HISTORY.test(z.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === 'CLOSED' && os === 'CLOSED') return 'SF';
  if (os === 'CLOSED') return rInactive ? 'SH' : 'S2';
  if (rs === 'CLOSED') return oInactive ? 'SHR' : 'S3';
  if (os === 'SYN_SENT' && rs === 'INACTIVE') return 'S0';
  if (os === 'ESTABLISHED' && rs === 'ESTABLISHED') return 'S1';
  return 'OTH';
}
