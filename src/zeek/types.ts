/** The shapes of Zeek's connection model (analyzer.ts) and of the conn.log rows it writes. */

/** Zeek's `EndpointState` (TCP_Endpoint.h), without the `TCP_ENDPOINT_` prefix. */
export type ZeekEndpointState =
  | 'INACTIVE' // no SYN (or other packets) seen for this side
  | 'SYN_SENT' // SYN seen, but no ack
  | 'SYN_ACK_SENT' // SYN ack seen, no initial SYN
  | 'PARTIAL' // data seen, but no SYN
  | 'ESTABLISHED' // SYN ack seen (implicit for SYN sent by responder)
  | 'CLOSED' // FIN seen
  | 'RESET'; // RST seen

/** The Zeek settings that change rows (`&redef` constants of scripts/base/init-bare.zeek). */
export interface ZeekConfig {
  /** `likely_server_ports` (TCP): the flip at creation. */
  readonly likelyServerPorts: ReadonlySet<number>;
  /**
   * `verify`: Zeek's default; a segment with a bad TCP checksum adds `C`/`c`
   * and is otherwise dropped, one with a bad IPv4 header checksum is dropped
   * without a trace. `ignore`: as `zeek -C`. Needs segments decoded with
   * DecodeOptions.markChecksums, which sets Segment.badChecksum.
   */
  readonly checksums: 'ignore' | 'verify';
  /** `tcp_attempt_delay` (5 s): an unanswered SYN's connection is removed this long after it. */
  readonly attemptDelay: number;
  /** `tcp_close_delay` (5 s): a closed connection is removed this long after its last activity. */
  readonly closeDelay: number;
  /** `tcp_connection_linger` (5 s): idle time before the expire timer removes a half-closed connection. */
  readonly connectionLinger: number;
  /** `tcp_SYN_timeout` (5 s): the first expire check, after the connection's first packet. */
  readonly synTimeout: number;
  /** `tcp_session_timer` (6 s): the period of the expire checks. */
  readonly sessionTimer: number;
  /** `tcp_inactivity_timeout` (5 min): once a side has left the handshake states. */
  readonly inactivityTimeout: number;
  /** `udp_inactivity_timeout` (1 min): what a TCP connection starts with (TCP.cc MakeSessionAdapter). */
  readonly udpInactivityTimeout: number;
  /** `Conn::port_inactivity_timeouts`: responder ports whose established connections get their own timeout. */
  readonly portInactivityTimeouts: ReadonlyMap<number, number>;
}

/** One side of the connection as Zeek's `TCP_Endpoint` keeps it (reused across the flow's rows). */
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
  /** Relative seq just past this side's FIN (Zeek's FIN_seq). */
  finSeq: number;
  /** Relative seq of the last SYN/FIN/RST, so that a repeat at the same seq adds no letter. */
  histLastSyn: number;
  histLastFin: number;
  histLastRst: number;
  /** Counters and next thresholds of the logarithmic letters T, W, C and G. */
  rxmtCount: number;
  rxmtThresh: number;
  win0Count: number;
  win0Thresh: number;
  chkCount: number;
  chkThresh: number;
  gapCount: number;
  gapThresh: number;
  /** Zeek's `did_close`: this side's close (FIN or RST) has been reported. */
  didClose: boolean;
  /**
   * This side's reassembler, reduced to numbers (relative seqs): delivered up
   * to `reassem`, acknowledged up to `trimSeq`, and data held above a hole
   * as one span [bufLo, bufHi) (empty when bufHi <= bufLo).
   */
  reassem: number;
  trimSeq: number;
  bufLo: number;
  bufHi: number;
  /** The reassembler's `did_EOF`: all of this side's data up to its FIN or RST delivered. */
  didEOF: boolean;
  /** ConnSize's packet and IP byte counters; they follow the host across a flip. */
  pkts: number;
  ipBytes: number;
}

/** One conn.log row, as Zeek would write it (without uid and the fields synfin never sets). */
export interface ZeekConnRow {
  /** Epoch seconds of the connection's first packet (microseconds, as Zeek has them). */
  readonly ts: number;
  readonly origAddr: string;
  readonly origPort: number;
  readonly respAddr: string;
  readonly respPort: number;
  /** Whether Zeek's originator is the endpoint that sent the flow's first segment. */
  readonly origIsFirstSender: boolean;
  readonly duration: number;
  readonly origBytes: bigint;
  readonly respBytes: bigint;
  readonly connState: string;
  readonly history: string;
  readonly missedBytes: number;
  readonly origPkts: number;
  readonly origIpBytes: number;
  readonly respPkts: number;
  readonly respIpBytes: number;
}

/** Zeek's state for one synfin flow: the connection Zeek has now, and the rows it already wrote. */
export interface ZeekState {
  /** The flow's two endpoints: `first` sent the flow's first segment. */
  readonly first: ZeekEndpoint;
  readonly second: ZeekEndpoint;
  /** Zeek's originator and responder now (first/second in some order). */
  orig: ZeekEndpoint;
  resp: ZeekEndpoint;
  /** Whether Zeek has a connection for the tuple now (false before the first packet and after a removal). */
  active: boolean;
  /** conn.log `history`, built letter by letter as Zeek's `AddHistory` does. */
  history: string;
  /** Zeek's `hist_seen` bit mask (responder bits shifted left by 16). */
  histSeen: number;
  /** Epoch seconds of the connection's first packet, as Zeek's double network time (microsecond precision). */
  startTime: number;
  /** Zeek's `last_time`: not advanced once both sides have closed. */
  lastTime: number;
  /** Time of the last packet that reached the connection (the expire timers' reference). */
  lastPacketTime: number;
  /** Pending timers, NaN when there is none (see removedByTimers). */
  attemptAt: number;
  deleteAt: number;
  /** Bases of the expire-timer chains (base, base + tcp_session_timer, ...). */
  expireBase: number;
  closeExpireBase: number;
  /** The session's inactivity timeout now (0: none). */
  inactivityTimeout: number;
  /** The adapter's `is_active`: cleared when Zeek reports the connection finished or reset. */
  isActive: boolean;
  /** The adapter's `is_partial` and `first_packet_seen` (1 orig, 2 resp), for the reassembler. */
  partial: boolean;
  firstSeen: number;
  /** conn.log `missed_bytes`: the content gaps Zeek reports. */
  missedBytes: number;
  /** The adapter's `close_deferred` and `deferred_gen_event`: a close waiting for its side's data. */
  closeDeferred: boolean;
  deferredGenEvent: boolean;
  /** Rows of the connections Zeek already removed, oldest first (undefined while there is none). */
  rows: ZeekConnRow[] | undefined;
}
