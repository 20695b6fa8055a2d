/**
 * Zeek's view of one synfin flow: the conn.log rows Zeek would write for its
 * segments. A port of Zeek's TCP analyzer (endpoint states, `history`,
 * `conn_state`, sizes and counts) together with Zeek's connection
 * boundaries: the timers that remove a connection and the reuse test that
 * starts a new one, so that one synfin flow can become several Zeek rows.
 *
 * This is a port of Zeek's own code, not a re-derivation from RFC 9293, so
 * that `synfin` and `zeek -r x.pcap` agree letter for letter. Source
 * followed (zeek/zeek, Zeek 8.x; ../shared/zeek-tcp-semantics.md cites
 * line numbers):
 *
 * - src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc: `Process`,
 *   `init_endpoint`, `get_relative_seq`, `update_history`, `update_window`,
 *   `init_peer`, `update_ack_seq`, `update_last_seq`, `UpdateStateMachine` and
 *   its `Update*State` helpers, `ConnectionClosed`, `FlipRoles`,
 *   `SetPartialStatus`, `IsReuse`, `AttemptTimer`, `ExpireTimer`,
 *   `ConnDeleteTimer`, and the constructor (the first expire timer).
 * - src/packet_analysis/protocol/tcp/TCP.cc: `WantConnection` (the flip at
 *   creation), `ValidateChecksum`, `MakeSessionAdapter` (udp_inactivity_timeout).
 * - src/packet_analysis/protocol/ip/IPBasedAnalyzer.cc: `AnalyzePacket`
 *   (reuse, then the direction of a packet), `NewConn`.
 * - src/analyzer/protocol/tcp/TCP_Endpoint.cc: `SetState` (the inactivity
 *   timeout), `CheckHistory`, `Size`, `DidRxmit`, `ZeroWindow`,
 *   `ChecksumError`, `Gap`; TCP_Reassembler.cc: `AckReceived`,
 *   `Undelivered`, `Gap`, `DataSent` (the `G` letter and missed_bytes).
 * - src/session/Session.h/.cc: `CheckHistory`, `ScaledHistoryEntry`,
 *   `InactivityTimer`, `SetInactivityTimeout`, `DeleteTimer`;
 *   src/Conn.cc: `Connection::FlipRoles` (the `^`).
 * - src/analyzer/protocol/conn-size/ConnSize.cc: packet counts.
 * - scripts/base/protocols/conn/main.zeek: `conn_state()`;
 *   scripts/base/protocols/conn/inactivity.zeek: the 1 h ports.
 *
 * Cost: every segment is O(1) and allocates nothing (a letter appended to
 * the history string aside). The state is a pure function of the segments
 * seen, so a flow rebuilt by replaying its segments (tcp/compact.ts) has
 * the same rows. docs/zeek.md lists what is modelled and what is not.
 */


import type { Segment } from '../decode/segment.ts';
import { ACK, FIN, RST, SYN } from '../decode/segment.ts';
import { DEFAULT_ZEEK_CONFIG } from './config.ts';
import { zeekConnState, zeekEndpointSize } from './conn-log.ts';
import type { ZeekConfig, ZeekConnRow, ZeekEndpoint, ZeekEndpointState, ZeekState } from './types.ts';

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
export function zeekPacketTime(seg: Segment): number {
  return seg.sec + Math.floor(seg.nsec / 1000) / 1e6;
}

function newEndpoint(addr: string, port: number): ZeekEndpoint {
  const ep: ZeekEndpoint = {
    addr, port, isOrig: false, state: 'INACTIVE', prevState: 'INACTIVE', startSeq: 0, lastSeq: 0, ackSeq: 0, seqWraps: 0,
    ackWraps: 0, finCount: 0, rstCount: 0, finSeq: 0, histLastSyn: 0, histLastFin: 0, histLastRst: 0, rxmtCount: 0,
    rxmtThresh: 1, win0Count: 0, win0Thresh: 1, chkCount: 0, chkThresh: 1, gapCount: 0, gapThresh: 1, didClose: false,
    reassem: 1, trimSeq: 1, bufLo: 0, bufHi: 0, didEOF: false, pkts: 0, ipBytes: 0,
  };
  return ep;
}

/** The TCP_Endpoint constructor, on an endpoint object kept from an earlier row. */
function resetEndpoint(ep: ZeekEndpoint, isOrig: boolean): void {
  ep.isOrig = isOrig;
  ep.state = 'INACTIVE';
  ep.prevState = 'INACTIVE';
  ep.startSeq = 0; ep.lastSeq = 0; ep.ackSeq = 0; ep.seqWraps = 0; ep.ackWraps = 0;
  ep.finCount = 0; ep.rstCount = 0; ep.finSeq = 0;
  ep.histLastSyn = 0; ep.histLastFin = 0; ep.histLastRst = 0;
  ep.rxmtCount = 0; ep.rxmtThresh = 1; ep.win0Count = 0; ep.win0Thresh = 1;
  ep.chkCount = 0; ep.chkThresh = 1; ep.gapCount = 0; ep.gapThresh = 1;
  ep.didClose = false;
  ep.reassem = 1; ep.trimSeq = 1; ep.bufLo = 0; ep.bufHi = 0; ep.didEOF = false;
  ep.pkts = 0; ep.ipBytes = 0;
}

/**
 * Zeek's state for the flow whose first segment is `first`. Holds no
 * connection yet: `first` itself must then go through {@link updateZeek},
 * like every later segment (Zeek's `NewConn` creates the connection, and
 * decides who the originator is, when that packet comes).
 */
export function createZeekState(first: Segment): ZeekState {
  const a = newEndpoint(first.src, first.srcPort);
  const b = newEndpoint(first.dst, first.dstPort);
  return {
    first: a, second: b, orig: a, resp: b, active: false, history: '', histSeen: 0,
    startTime: 0, lastTime: 0, lastPacketTime: 0, attemptAt: NaN, deleteAt: NaN, expireBase: NaN, closeExpireBase: NaN,
    inactivityTimeout: 0, isActive: true, partial: false, firstSeen: 0, missedBytes: 0, closeDeferred: false,
    deferredGenEvent: false, rows: undefined,
  };
}

/**
 * IPBasedAnalyzer::NewConn with TCPAnalyzer::WantConnection: a new
 * connection whose originator is the sender of `seg`, flipped (with `^`)
 * when `seg` is not a plain SYN and comes from a likely server port. When
 * both ports are likely server ports, only a non-SYN packet from the lower
 * port is flipped ("to favor more plausible servers").
 */
function startConnection(z: ZeekState, seg: Segment, t: number, cfg: ZeekConfig): void {
  const senderIsFirst = seg.src === z.first.addr && seg.srcPort === z.first.port;
  const sender = senderIsFirst ? z.first : z.second;
  const receiver = senderIsFirst ? z.second : z.first;
  resetEndpoint(sender, true);
  resetEndpoint(receiver, false);
  z.orig = sender;
  z.resp = receiver;
  z.active = true;
  z.history = '';
  z.histSeen = 0;
  z.startTime = t;
  z.lastTime = t;
  z.lastPacketTime = t;
  z.attemptAt = NaN;
  z.deleteAt = NaN;
  // TCPSessionAdapter's constructor: ExpireTimer at network_time + tcp_SYN_timeout.
  z.expireBase = t + cfg.synTimeout;
  z.closeExpireBase = NaN;
  z.inactivityTimeout = cfg.udpInactivityTimeout;
  z.isActive = true;
  z.partial = false;
  z.firstSeen = 0;
  z.missedBytes = 0;
  z.closeDeferred = false;
  z.deferredGenEvent = false;

  let flip = false;
  const flags = seg.flags;
  const ports = cfg.likelyServerPorts;
  if ((flags & SYN) === 0 || (flags & ACK) !== 0) {
    if (ports.has(seg.srcPort)) {
      flip = ports.has(seg.dstPort) ? (flags & SYN) === 0 && seg.srcPort < seg.dstPort : true;
    }
  }
  // NewConn: `if ( flip && ! id->dst_addr.IsBroadcast() )`.
  if (flip && seg.dst !== '255.255.255.255') flipRoles(z);
}

/** The row Zeek writes for the connection it has now. */
function rowOf(z: ZeekState): ZeekConnRow {
  const o = z.orig;
  const r = z.resp;
  return {
    ts: z.startTime, origAddr: o.addr, origPort: o.port, respAddr: r.addr, respPort: r.port,
    origIsFirstSender: o === z.first, duration: z.lastTime - z.startTime,
    origBytes: zeekEndpointSize(o, r), respBytes: zeekEndpointSize(r, o), connState: zeekConnState(z),
    history: z.history, missedBytes: z.missedBytes,
    origPkts: o.pkts, origIpBytes: o.ipBytes, respPkts: r.pkts, respIpBytes: r.ipBytes,
  };
}

/** Session removal: the connection's row is written, and the next packet on the tuple starts a new one. */
function removeConnection(z: ZeekState): void {
  (z.rows ??= []).push(rowOf(z));
  z.active = false;
}

/**
 * Every conn.log row of the flow: the connections Zeek removed, then the one
 * it has now (at the end of the capture Zeek logs live connections with
 * their states as they are, `done_with_network` → `Drain`).
 */
export function zeekRows(z: ZeekState): ZeekConnRow[] {
  const rows = z.rows === undefined ? [] : z.rows.slice();
  if (z.active) rows.push(rowOf(z));
  return rows;
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
  z.firstSeen = ((z.firstSeen & 1) !== 0 ? 2 : 0) | ((z.firstSeen & 2) !== 0 ? 1 : 0);
  z.partial = false;
}

function isHandshake(s: ZeekEndpointState): boolean {
  return s === 'INACTIVE' || s === 'SYN_SENT' || s === 'SYN_ACK_SENT';
}

/**
 * TCP_Endpoint::SetState: prev_state only changes when the state does, and
 * the first side to leave the handshake states sets tcp_inactivity_timeout.
 */
function setState(z: ZeekState, cfg: ZeekConfig, ep: ZeekEndpoint, peer: ZeekEndpoint, next: ZeekEndpointState): void {
  if (next !== ep.state) {
    if (!isHandshake(next) && isHandshake(ep.state) && isHandshake(peer.state)) z.inactivityTimeout = cfg.inactivityTimeout;
    ep.prevState = ep.state;
    ep.state = next;
  }
}

/**
 * Session::CheckHistory through TCP_Endpoint::CheckHistory: true if already
 * seen. A history that is exactly `H` (a lone SYN-ACK from the originator)
 * followed by an `A` or `D` from either side means the SYN was missed and
 * the SYN-ACK sender is the server: Zeek flips the connection, rewrites the
 * history to `^h` and records the letter in the new orientation.
 */
function checkHistory(z: ZeekState, ep: ZeekEndpoint, mask: number, code: string): boolean {
  if ((mask === HIST_ACK_PKT || mask === HIST_DATA_PKT) && z.history === 'H') {
    flipRoles(z);
    z.history = '^h';
  }
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

type ScaledKind = 'rxmt' | 'win0' | 'chk' | 'gap';

/**
 * Session::ScaledHistoryEntry with base 10: the letter is added at the 1st,
 * 10th, 100th... event. Thresholds are uint32 in Zeek; on wrap-around the
 * counter restarts and the threshold stays.
 */
function scaledHistoryEntry(z: ZeekState, ep: ZeekEndpoint, code: string, kind: ScaledKind): void {
  let count: number;
  let thresh: number;
  switch (kind) {
    case 'rxmt': count = ep.rxmtCount = u32(ep.rxmtCount + 1); thresh = ep.rxmtThresh; break;
    case 'win0': count = ep.win0Count = u32(ep.win0Count + 1); thresh = ep.win0Thresh; break;
    case 'chk': count = ep.chkCount = u32(ep.chkCount + 1); thresh = ep.chkThresh; break;
    case 'gap': count = ep.gapCount = u32(ep.gapCount + 1); thresh = ep.gapThresh; break;
  }
  if (count !== thresh) return;
  addHistory(z, ep, code);
  const next = u32(Math.imul(thresh, 10));
  const wrapped = next <= thresh;
  switch (kind) {
    case 'rxmt': if (wrapped) ep.rxmtCount = 0; else ep.rxmtThresh = next; break;
    case 'win0': if (wrapped) ep.win0Count = 0; else ep.win0Thresh = next; break;
    case 'chk': if (wrapped) ep.chkCount = 0; else ep.chkThresh = next; break;
    case 'gap': if (wrapped) ep.gapCount = 0; else ep.gapThresh = next; break;
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
    scaledHistoryEntry(z, ep, 'W', 'win0');
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
function updateLastSeq(z: ZeekState, ep: ZeekEndpoint, lastSeq: number, flags: number, len: number): void {
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
    scaledHistoryEntry(z, ep, 'T', 'rxmt');
  }
}

// UpdateStateMachine's outputs and what happens after the packet, as module
// scratch rather than an object per segment (replays never nest).
let doClose = false;
let genEvent = false;
let establishedEvent = false;

/** UpdateInactiveState: the first packet a side sends. */
function updateInactiveState(
  z: ZeekState, cfg: ZeekConfig, ep: ZeekEndpoint, peer: ZeekEndpoint, baseSeq: number, len: number, isOrig: boolean,
  flags: number, t: number,
): void {
  if (flags & SYN) {
    if (isOrig) {
      setState(z, cfg, ep, peer, flags & ACK ? 'SYN_ACK_SENT' : 'SYN_SENT');
      if (cfg.attemptDelay !== 0) z.attemptAt = t + cfg.attemptDelay;
    } else {
      if (!(flags & ACK) && peer.state === 'SYN_ACK_SENT' && baseSeq === ep.startSeq) {
        // "This is a SYN/SYN-ACK reversal ... Flip the endpoints and establish
        // the connection." (init_endpoint has just set startSeq from this SYN.)
        z.partial = false;
        flipRoles(z);
        setState(z, cfg, peer, ep, 'ESTABLISHED');
        z.firstSeen |= 1;
      }
      if (peer.state === 'SYN_SENT') setState(z, cfg, peer, ep, 'ESTABLISHED');
      setState(z, cfg, ep, peer, 'ESTABLISHED');
      if (peer.state !== 'PARTIAL') establishedEvent = true;
    }
  }
  if (flags & FIN) {
    setState(z, cfg, ep, peer, 'CLOSED');
    doClose = genEvent = true;
  }
  if (flags & RST) {
    setState(z, cfg, ep, peer, 'RESET');
    // A reject (the responder refusing a SYN, or the originator resetting a
    // SYN-ACK it never asked for) raises connection_rejected, not finished.
    const isReject = isOrig ? peer.state === 'ESTABLISHED' : peer.state === 'SYN_SENT' || peer.state === 'SYN_ACK_SENT';
    doClose = true;
    genEvent = !isReject;
  }
  if (ep.state === 'INACTIVE') {
    // No control flags to change the state.
    if (!isOrig && len === 0 && z.orig.state === 'SYN_SENT') {
      // "Some eccentric TCP's will ack an initial SYN prior to sending a SYN
      // reply": such an ack does not make a partial connection.
    } else if (flags & ACK && peer.state === 'ESTABLISHED') {
      // A SYN-ACK seen without its SYN, then a pure ACK: the SYN was missed.
      setState(z, cfg, ep, peer, 'ESTABLISHED');
      z.partial = false;
      z.firstSeen |= isOrig ? 1 : 2;
    } else {
      setState(z, cfg, ep, peer, 'PARTIAL');
    }
  }
}

/** UpdateSYN_SentState (SYN_SENT and SYN_ACK_SENT). */
function updateSynSentState(z: ZeekState, cfg: ZeekConfig, ep: ZeekEndpoint, peer: ZeekEndpoint, flags: number): void {
  if (flags & FIN) {
    setState(z, cfg, ep, peer, 'CLOSED');
    doClose = genEvent = true;
  }
  if (flags & RST) {
    setState(z, cfg, ep, peer, 'RESET');
    z.isActive = false; // ConnectionReset
    doClose = true;
  }
}

/** UpdateEstablishedState (ESTABLISHED and PARTIAL). */
function updateEstablishedState(z: ZeekState, cfg: ZeekConfig, ep: ZeekEndpoint, peer: ZeekEndpoint, flags: number): void {
  if (flags & SYN && ep.state === 'PARTIAL' && peer.state === 'INACTIVE' && !(flags & ACK)) {
    setState(z, cfg, ep, peer, 'SYN_SENT');
  }
  if (flags & FIN && !(flags & RST)) {
    setState(z, cfg, ep, peer, 'CLOSED');
    // "The peer sent a FIN followed by a RST. Turn it back into CLOSED state,
    // because this was actually normal termination."
    if (peer.state === 'RESET' && peer.prevState === 'CLOSED') setState(z, cfg, peer, ep, 'CLOSED');
    doClose = genEvent = true;
  }
  if (flags & RST) {
    setState(z, cfg, ep, peer, 'RESET');
    doClose = true;
    if (peer.state !== 'RESET' || peer.prevState !== 'ESTABLISHED') z.isActive = false; // ConnectionReset
  }
}

/** UpdateClosedState: a RST after our FIN counts unless the peer closed too. */
function updateClosedState(z: ZeekState, cfg: ZeekConfig, ep: ZeekEndpoint, peer: ZeekEndpoint, flags: number): void {
  if (flags & RST && peer.state !== 'CLOSED') {
    setState(z, cfg, ep, peer, 'RESET');
    if (!ep.didClose) doClose = true;
  }
}

/**
 * ConnectionClosed, after the packet: a complete close (this side reset, or
 * the peer closed too, or never spoke) cancels the analyzer's timers and
 * removes the connection tcp_close_delay after its last activity; an
 * incomplete one starts an expire-timer chain looking for the other side's
 * close. (Zeek defers this while reassembled data is pending; synfin does
 * not hold payload, see docs/zeek.md.)
 */
function connectionClosed(z: ZeekState, cfg: ZeekConfig, ep: ZeekEndpoint, peer: ZeekEndpoint, gen: boolean): void {
  if (dataPending(ep, peer)) {
    // "Don't close out the connection yet, there's still data to deliver."
    z.closeDeferred = true;
    if (!z.deferredGenEvent) z.deferredGenEvent = gen;
    return;
  }
  z.closeDeferred = false;
  if (ep.didClose) return;
  ep.didClose = true;
  const complete = ep.state === 'RESET' || peer.didClose || peer.state === 'INACTIVE';
  if (complete) {
    if (ep.prevState !== 'INACTIVE' || peer.state !== 'INACTIVE') {
      if (z.deferredGenEvent) {
        gen = true;
        z.deferredGenEvent = false;
      }
      // ConnectionFinished clears is_active.
      if (gen) z.isActive = false;
    }
    // CancelTimers: the attempt and expire timers go.
    z.attemptAt = NaN;
    z.expireBase = NaN;
    z.closeExpireBase = NaN;
    z.deleteAt = cfg.closeDelay !== 0 ? z.lastTime + cfg.closeDelay : z.lastTime;
  } else if (ep.prevState !== 'INACTIVE') {
    z.closeExpireBase = z.lastTime + cfg.sessionTimer;
  }
}

/**
 * TCP_Reassembler::DataPending for the closing side `e`: its data is not all
 * delivered (up to the octet before its FIN, or to its last seq after a
 * RST), or, unless it reset, its peer's reassembler still holds data.
 */
function dataPending(e: ZeekEndpoint, peer: ZeekEndpoint): boolean {
  const last = e.seqWraps * TWO_32 + e.lastSeq - e.startSeq;
  if (last < e.reassem) return false;
  if (e.reassem !== last - 1 && e.reassem !== last) return true;
  // HasUndeliveredData: the peer's reassembler still holds blocks, delivered
  // but not yet acknowledged ([trimSeq, reassem)) or held above a hole.
  return e.state !== 'RESET' && (peer.bufHi > peer.bufLo || peer.reassem > peer.trimSeq);
}

/**
 * TCP_Reassembler::CheckEOF: once a side that sent a FIN or RST has all its
 * data delivered, EndpointEOF runs a deferred close (for this side).
 */
function checkEOF(z: ZeekState, cfg: ZeekConfig, e: ZeekEndpoint, peer: ZeekEndpoint): void {
  if (e.didEOF || !(e.finCount > 0 || e.state === 'CLOSED' || e.state === 'RESET') || dataPending(e, peer)) return;
  e.didEOF = true;
  if (z.closeDeferred) {
    connectionClosed(z, cfg, e, peer, z.deferredGenEvent);
    z.closeDeferred = false;
  }
}

/** Both sides cleanly established or closing from established: the only states in which Zeek reports gaps. */
function isClean(a: ZeekEndpoint): boolean {
  return a.state === 'ESTABLISHED' || (a.state === 'CLOSED' && a.prevState === 'ESTABLISHED');
}

/** TCP_Reassembler::Gap: `G` and missed_bytes, when both sides are clean. */
function gap(z: ZeekState, e: ZeekEndpoint, peer: ZeekEndpoint, len: number): void {
  if (isClean(e) && isClean(peer)) {
    scaledHistoryEntry(z, e, 'G', 'gap');
    z.missedBytes += len;
  }
}

/**
 * TCP_Reassembler::AckReceived on the data sender `e`'s reassembler: the
 * peer acknowledged up to relative seq `relAck`. Data acknowledged but never
 * delivered is a gap (Undelivered): first the hole below any data held above
 * it, then what lies beyond that data.
 */
function ackReceived(z: ZeekState, cfg: ZeekConfig, e: ZeekEndpoint, peer: ZeekEndpoint, relAck: number): void {
  if (!trimToAck(z, e, peer, relAck)) return;
  // "Check EOF here because t_reassem->LastReassemSeq() may have changed after calling TrimToSeq()."
  checkEOF(z, cfg, e, peer);
}

/** AckReceived's trim: false when the ack is not past what was acknowledged before ("Nothing to do"). */
function trimToAck(z: ZeekState, e: ZeekEndpoint, peer: ZeekEndpoint, relAck: number): boolean {
  let seq = relAck;
  if (e.finCount > 0 && seq >= e.finSeq) seq = e.finSeq - 1;
  if (seq <= e.trimSeq) return false;
  e.trimSeq = seq;
  if (seq <= e.reassem) return true;
  // "Since it was a partial connection, we faked up its initial sequence
  // numbers as though we'd seen a SYN": a complaint about seq 1 or 2 is ignored.
  if (seq <= 2 && z.partial) return true;
  if (e.bufHi > e.bufLo && e.bufLo < seq) {
    if (e.bufLo > e.reassem) gap(z, e, peer, e.bufLo - e.reassem);
    if (e.bufHi > e.reassem) e.reassem = e.bufHi;
    e.bufLo = e.bufHi = 0;
  }
  if (seq > e.reassem) {
    gap(z, e, peer, seq - e.reassem);
    e.reassem = seq;
  }
  return true;
}

/** TCP_Reassembler::DataSent: payload [seq, seq + len) in relative numbers, minus what was already acknowledged. */
function dataSent(e: ZeekEndpoint, relDataSeq: number, len: number): void {
  let seq = relDataSeq;
  const upper = seq + len;
  const acked = e.ackWraps * TWO_32 + e.ackSeq - e.startSeq;
  if (seq < acked) {
    if (upper <= acked) return;
    seq = acked;
  }
  if (upper <= e.reassem) return;
  if (seq <= e.reassem) {
    e.reassem = upper;
    if (e.bufHi > e.bufLo && e.bufLo <= e.reassem) {
      if (e.bufHi > e.reassem) e.reassem = e.bufHi;
      e.bufLo = e.bufHi = 0;
    }
  } else if (e.bufHi > e.bufLo) {
    if (seq < e.bufLo) e.bufLo = seq;
    if (upper > e.bufHi) e.bufHi = upper;
  } else {
    e.bufLo = seq;
    e.bufHi = upper;
  }
}

/**
 * True when one of Zeek's timers would have removed the connection by time
 * `t` (every timer due at or before a packet's time runs before it). The
 * endpoint states have not changed since the last packet, so each timer's
 * verdict is its condition on those states. Timers that ran without
 * removing are consumed.
 */
function removedByTimers(z: ZeekState, t: number, cfg: ZeekConfig): boolean {
  // ConnDeleteTimer (or DeleteTimer when tcp_close_delay is 0) removes unconditionally.
  if (z.deleteAt <= t) return true;
  // AttemptTimer: the originator's SYN (or SYN-ACK) still unanswered.
  if (z.attemptAt <= t) {
    if (z.isActive && (z.orig.state === 'SYN_SENT' || z.orig.state === 'SYN_ACK_SENT') && z.resp.state === 'INACTIVE') return true;
    z.attemptAt = NaN;
  }
  if (expireFires(z, z.expireBase, t, cfg) || expireFires(z, z.closeExpireBase, t, cfg)) return true;
  // Session::InactivityTimer, re-armed at last_time + timeout until it finds none.
  return z.inactivityTimeout > 0 && z.lastTime + z.inactivityTimeout <= t;
}

/**
 * ExpireTimer, run at base, base + tcp_session_timer, ... while the
 * connection is active: after tcp_connection_linger without activity it
 * removes a connection one of whose sides closed when both did, or either
 * reset, or either never spoke; and one where nobody ever spoke. Only the
 * last run before `t` matters: the idle time only grows, the states are fixed.
 */
function expireFires(z: ZeekState, base: number, t: number, cfg: ZeekConfig): boolean {
  if (!(base <= t) || !z.isActive || !(cfg.sessionTimer > 0)) return false;
  const last = base + Math.floor((t - base) / cfg.sessionTimer) * cfg.sessionTimer;
  if (last <= z.lastPacketTime || !(z.lastTime + cfg.connectionLinger < last)) return false;
  const o = z.orig;
  const r = z.resp;
  if (o.didClose || r.didClose) {
    if ((o.didClose && r.didClose) || o.state === 'RESET' || r.state === 'RESET' || o.state === 'INACTIVE' || r.state === 'INACTIVE') {
      return true;
    }
  }
  return r.state === 'INACTIVE' && o.state === 'INACTIVE';
}

/**
 * TCPSessionAdapter::IsReuse: a packet with SYN that starts a new connection
 * on the tuple. A plain SYN is a reuse once either side has closed (so every
 * retry of a refused connection is a row of its own), or while the
 * connection is open if its seq is not the originator's ISN (and not the
 * reversed SYN of a SYN-ACK seen first). A SYN-ACK is one only while the
 * originator has said nothing (then the responder's ISN counts).
 */
function isReuse(z: ZeekState, seg: Segment): boolean {
  const flags = seg.flags;
  if ((flags & SYN) === 0) return false;
  let connOrig = z.orig;
  if (flags & ACK) {
    if (z.orig.state !== 'INACTIVE') return false;
    connOrig = z.resp;
  }
  if (!z.orig.didClose && !z.resp.didClose) {
    const baseSeq = u32(seg.seq);
    if (baseSeq === connOrig.startSeq) return false;
    if (!(flags & ACK) && connOrig.state === 'SYN_ACK_SENT' && z.resp.state === 'INACTIVE' && baseSeq === z.resp.startSeq) return false;
  }
  return true;
}

/**
 * Replays one segment through Zeek: timers due by its time, the reuse test,
 * a new connection if there is none, then TCPAnalyzer::DeliverPacket and
 * TCPSessionAdapter::Process. The direction is Zeek's: the segment is the
 * originator's when its source address and port are the originator's.
 * conn.log's orig_ip_bytes/resp_ip_bytes add up Segment.ipLen.
 */
export function updateZeek(z: ZeekState, seg: Segment, cfg: ZeekConfig = DEFAULT_ZEEK_CONFIG): void {
  const verify = cfg.checksums === 'verify';
  // IP.cc: a bad IPv4 header checksum drops the packet before any connection sees it.
  if (verify && seg.badChecksum === 'ip') return;
  // IP.cc: an IP length past the packet's wire length drops it too (weird
  // truncated_IP_len), whatever the checksum setting: a sliced or forged packet.
  if (seg.missingLen !== undefined) return;
  const t = zeekPacketTime(seg);
  if (z.active && (removedByTimers(z, t, cfg) || ((seg.flags & SYN) !== 0 && isReuse(z, seg)))) removeConnection(z);
  if (!z.active) startConnection(z, seg, t, cfg);
  z.lastPacketTime = t;

  const fromFirst = seg.src === z.first.addr && seg.srcPort === z.first.port;
  const ep = fromFirst ? z.first : z.second;
  const peer = fromFirst ? z.second : z.first;
  const isOrig = ep.isOrig;

  // TCP.cc ValidateChecksum: C/c, and the packet goes no further (no letter,
  // no state, no count). A segment cut by the snaplen is not checked.
  if (verify && seg.badChecksum === 'tcp') {
    scaledHistoryEntry(z, ep, 'C', 'chk');
    return;
  }

  const flags = seg.flags;
  const baseSeq = u32(seg.seq);
  const ackSeq = u32(seg.ack);
  const len = seg.payloadLen;

  // SetPartialStatus
  if (isOrig) {
    if ((z.firstSeen & 1) === 0) z.partial = (flags & SYN) === 0 || (flags & ACK) !== 0;
  } else if ((z.firstSeen & 2) === 0 && !z.partial) {
    z.partial = (flags & SYN) === 0;
  }

  const segLen = segmentLength(len, flags);
  const seqOnePastSegment = u32(baseSeq + segLen);
  initEndpoint(ep, flags, baseSeq, seqOnePastSegment);
  const relSeq = relativeSeq(ep, baseSeq, ep.lastSeq, ep.seqWraps);

  updateHistory(z, ep, flags, relSeq, len);
  updateWindow(z, ep, peer, seg.window, flags);

  if (!z.orig.didClose || !z.resp.didClose) z.lastTime = t;

  if (flags & FIN) {
    ++ep.finCount;
    ep.finSeq = relSeq + segLen;
  }
  if (flags & RST) ++ep.rstCount;

  let relAck = 0;
  if (flags & ACK) {
    if (peer.state === 'INACTIVE') {
      relAck = 1;
      initPeer(peer, ackSeq);
    } else {
      // An ack below the peer's start is "TCP_ack_underflow_or_misorder" and
      // ignored; "Don't trust ack's in RST packets."
      relAck = relativeSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps);
      if (relAck < 0) relAck = 0;
      else if (!(flags & RST)) updateAckSeq(peer, ackSeq);
    }
  }

  updateLastSeq(z, ep, seqOnePastSegment, flags, len);

  // UpdateStateMachine
  doClose = false;
  genEvent = false;
  establishedEvent = false;
  switch (ep.state) {
    case 'INACTIVE':
      updateInactiveState(z, cfg, ep, peer, baseSeq, len, isOrig, flags, t);
      break;
    case 'SYN_SENT':
    case 'SYN_ACK_SENT':
      updateSynSentState(z, cfg, ep, peer, flags);
      break;
    case 'ESTABLISHED':
    case 'PARTIAL':
      updateEstablishedState(z, cfg, ep, peer, flags);
      break;
    case 'CLOSED':
      updateClosedState(z, cfg, ep, peer, flags);
      break;
    case 'RESET':
      break;
  }

  // "We wait on doing this until we've updated the state machine so that if
  // the ack reveals a content gap, we can tell whether it came at the very
  // end of the connection (in a FIN or RST)."
  if (flags & ACK) ackReceived(z, cfg, peer, ep, relAck);

  // CheckPIA_FirstPacket
  z.firstSeen |= isOrig ? 1 : 2;

  // TCP_Endpoint::DataSent hands the reassembler only payload the capture
  // holds whole (caplen >= len): a segment cut by the snaplen is, to the
  // reassembler, data never seen, and a gap once acknowledged.
  if (len > 0 && !(flags & RST) && relSeq >= 0 && !seg.truncated) dataSent(ep, flags & SYN ? relSeq + 1 : relSeq, len);
  checkEOF(z, cfg, ep, peer);

  // "We need to postpone doing this until after we process DataSent."
  if (doClose) connectionClosed(z, cfg, ep, peer, genEvent);

  // ConnSize sees the packet last, with the direction computed before any
  // flip this packet caused, after its counters were swapped by that flip.
  const counted = isOrig ? z.orig : z.resp;
  ++counted.pkts;
  counted.ipBytes += seg.ipLen;

  // inactivity.zeek's connection_established handler, run after the packet:
  // interactive services' ports get their own inactivity timeout.
  if (establishedEvent) {
    let servicePort = z.resp.port;
    if (z.orig.state === 'INACTIVE' && !cfg.likelyServerPorts.has(servicePort) && cfg.likelyServerPorts.has(z.orig.port)) {
      servicePort = z.orig.port;
    }
    const timeout = cfg.portInactivityTimeouts.get(servicePort);
    if (timeout !== undefined) z.inactivityTimeout = timeout;
  }
}
