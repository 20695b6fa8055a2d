/**
 * The TCP state machine synfin replays, as data: one row per (state, event),
 * each citing the section of RFC 9293 that defines it, so the table can be read
 * line by line against §3.3.2 (Figure 5) and §3.10.
 *
 * Events are named from one endpoint's point of view ("snd" what it sent, "rcv"
 * what it received). synfin sees segments, not system calls, so a CLOSE call is
 * visible as "snd FIN" and an ABORT as "snd RST".
 */

/** RFC 9293 state names, plus UNKNOWN for an endpoint a midstream capture has not yet shown. */
export type TcpState =
  | 'UNKNOWN'
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

/** Every state, in the order RFC 9293 §3.3.2 lists them (UNKNOWN first). */
export const STATES: readonly TcpState[] = [
  'UNKNOWN', 'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1',
  'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
];

/** What an endpoint did or had done to it, as the capture shows. */
export type TcpEvent =
  | 'snd SYN'
  | 'snd SYN+ACK'
  | 'rcv SYN+ACK'
  | 'rcv ACK of SYN'
  | 'snd ACK'
  | 'snd FIN'
  | 'rcv FIN'
  | 'rcv ACK of FIN'
  | 'snd RST'
  | 'rcv RST'
  | 'rcv RST (active open)'
  | '2MSL timeout'
  | 'peer FIN not received'
  | 'new SYN on the tuple'
  | 'snd FIN again'
  | 'snd SYN+ACK again'
  | 'user timeout'
  | 'rcv ICMP error'
  | 'ICMP error was soft';

/** One row of the table. */
export interface Transition {
  readonly from: TcpState;
  readonly on: TcpEvent;
  readonly to: TcpState;
  /** RFC 9293 section, or `synfin` with the reason for rows the RFC has no need of. */
  readonly rfc: string;
}

/** RFC 9293's synchronized states in which a connection is still held (TIME_WAIT waits only for stray segments). */
export const SYNCHRONIZED: readonly TcpState[] = ['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK'];

/** States in which an endpoint holds a connection an RST can abort. */
const ABORTABLE: readonly TcpState[] = [
  'UNKNOWN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2',
  'CLOSE_WAIT', 'CLOSING', 'LAST_ACK',
];

/**
 * The table. Where a receipt is applied later than the capture shows it, a
 * comment says why; everything else follows the RFC's segment processing order
 * (the ACK field is processed before the FIN bit, §3.10.7.4, so a FIN+ACK that
 * acknowledges our FIN takes FIN_WAIT_1 through FIN_WAIT_2 to TIME_WAIT).
 */
export const TRANSITIONS: readonly Transition[] = [
  // Opening: Figure 5, top half.
  { from: 'CLOSED', on: 'snd SYN', to: 'SYN_SENT', rfc: '3.10.1' }, // active OPEN
  { from: 'LISTEN', on: 'snd SYN', to: 'SYN_SENT', rfc: '3.10.2' }, // SEND on a listener
  // "rcv SYN / snd SYN,ACK": applied when the SYN,ACK is seen, because a listener
  // that stays silent (lost SYN, filtered port) leaves no trace of having received it.
  { from: 'LISTEN', on: 'snd SYN+ACK', to: 'SYN_RECEIVED', rfc: '3.10.7.2' },
  { from: 'SYN_SENT', on: 'snd SYN+ACK', to: 'SYN_RECEIVED', rfc: '3.10.7.3' }, // simultaneous open
  { from: 'SYN_SENT', on: 'rcv SYN+ACK', to: 'ESTABLISHED', rfc: '3.10.7.3' },
  { from: 'SYN_RECEIVED', on: 'rcv ACK of SYN', to: 'ESTABLISHED', rfc: '3.10.7.4' },
  // A midstream endpoint that sends an ACK is synchronized; the RFC has no such row
  // because a real endpoint always knows its own state.
  { from: 'UNKNOWN', on: 'snd ACK', to: 'ESTABLISHED', rfc: 'synfin: midstream evidence' },
  // A listener seen dropping the last ACK (accept queue full) is ESTABLISHED only
  // once it sends an ordinary ACK-bearing segment itself.
  { from: 'SYN_RECEIVED', on: 'snd ACK', to: 'ESTABLISHED', rfc: 'synfin: accept-queue evidence' },

  // Closing: Figure 5, bottom half.
  { from: 'SYN_RECEIVED', on: 'snd FIN', to: 'FIN_WAIT_1', rfc: '3.10.4' },
  { from: 'ESTABLISHED', on: 'snd FIN', to: 'FIN_WAIT_1', rfc: '3.10.4' },
  { from: 'UNKNOWN', on: 'snd FIN', to: 'FIN_WAIT_1', rfc: 'synfin: midstream evidence' },
  { from: 'CLOSE_WAIT', on: 'snd FIN', to: 'LAST_ACK', rfc: '3.10.4' },
  { from: 'SYN_RECEIVED', on: 'rcv FIN', to: 'CLOSE_WAIT', rfc: '3.10.7.4' },
  { from: 'ESTABLISHED', on: 'rcv FIN', to: 'CLOSE_WAIT', rfc: '3.10.7.4' },
  { from: 'UNKNOWN', on: 'rcv FIN', to: 'CLOSE_WAIT', rfc: 'synfin: midstream evidence' },
  { from: 'FIN_WAIT_1', on: 'rcv FIN', to: 'CLOSING', rfc: '3.10.7.4' }, // simultaneous close
  { from: 'FIN_WAIT_2', on: 'rcv FIN', to: 'TIME_WAIT', rfc: '3.10.7.4' },
  { from: 'FIN_WAIT_1', on: 'rcv ACK of FIN', to: 'FIN_WAIT_2', rfc: '3.10.7.4' },
  { from: 'CLOSING', on: 'rcv ACK of FIN', to: 'TIME_WAIT', rfc: '3.10.7.4' },
  { from: 'LAST_ACK', on: 'rcv ACK of FIN', to: 'CLOSED', rfc: '3.10.7.4' },
  { from: 'TIME_WAIT', on: '2MSL timeout', to: 'CLOSED', rfc: '3.10.8' },
  // A new SYN with a higher sequence number may reopen a connection in TIME_WAIT.
  { from: 'TIME_WAIT', on: 'new SYN on the tuple', to: 'CLOSED', rfc: '3.10.7.4; RFC 6191' },

  // Resets. Sending one is an ABORT (3.10.5); an acceptable one received aborts
  // the connection (3.10.7.4 second check; 3.10.7.3 in SYN_SENT).
  ...ABORTABLE.map((from): Transition => ({ from, on: 'snd RST', to: 'CLOSED', rfc: '3.10.5' })),
  // An RST in answer to a SYN shows there was no listener after all (3.10.7.1,
  // the CLOSED state's reply); a real listener would stay in LISTEN (3.10.7.2).
  { from: 'LISTEN', on: 'snd RST', to: 'CLOSED', rfc: 'synfin: no listener (3.10.7.1)' },
  { from: 'TIME_WAIT', on: 'snd RST', to: 'CLOSED', rfc: '3.10.7.4' },
  ...ABORTABLE.filter((s) => s !== 'SYN_RECEIVED').map((from): Transition => ({
    from, on: 'rcv RST', to: 'CLOSED', rfc: from === 'SYN_SENT' ? '3.10.7.3' : '3.10.7.4',
  })),
  // "If this connection was initiated with a passive OPEN, return to LISTEN."
  { from: 'SYN_RECEIVED', on: 'rcv RST', to: 'LISTEN', rfc: '3.10.7.4' },
  // "If this connection was initiated with an active OPEN (came from SYN-SENT),
  // then the connection was refused": the simultaneous opener closes.
  { from: 'SYN_RECEIVED', on: 'rcv RST (active open)', to: 'CLOSED', rfc: '3.10.7.4' },
  // RFC 1337 advises ignoring an RST in TIME_WAIT; Linux (tcp_rfc1337=0, the
  // default) and most stacks do not, so the assassination succeeds.
  { from: 'TIME_WAIT', on: 'rcv RST', to: 'CLOSED', rfc: '3.10.7.4; RFC 1337' },

  // Retransmissions unanswered for longer than the user timeout (R2, or
  // Linux's tcp_retries2 / TCP_USER_TIMEOUT) abort the connection without a
  // segment: the capture shows it only as silence (tcp/silence.ts).
  ...SYNCHRONIZED.map((from): Transition => ({ from, on: 'user timeout', to: 'CLOSED', rfc: '3.8.3; 3.10.8' })),

  // An ICMP destination unreachable, time exceeded or parameter problem about
  // its SYN ends a connection attempt at once: RFC 1122 4.2.3.9 allows it for
  // port and protocol unreachable, and Linux (tcp_v4_err, tcp_v6_err) does it
  // for every such error while the socket is in SYN_SENT. In a synchronized
  // connection an ICMP error changes no state (a soft error; lifecycle.ts).
  { from: 'SYN_SENT', on: 'rcv ICMP error', to: 'CLOSED', rfc: 'synfin: ICMP error in SYN_SENT (RFC 1122 4.2.3.9; Linux tcp_v4_err)' },

  // What the capture saw sent did not arrive: the endpoint's own retransmission
  // proves it never got the segment synfin credited to it at capture time.
  { from: 'CLOSED', on: 'snd FIN again', to: 'LAST_ACK', rfc: 'synfin: final ACK lost (3.10.7.4 LAST_ACK)' },
  { from: 'FIN_WAIT_2', on: 'snd FIN again', to: 'FIN_WAIT_1', rfc: 'synfin: ACK of FIN lost' },
  { from: 'TIME_WAIT', on: 'snd FIN again', to: 'CLOSING', rfc: 'synfin: ACK of FIN lost' },
  { from: 'ESTABLISHED', on: 'snd SYN+ACK again', to: 'SYN_RECEIVED', rfc: 'synfin: final ACK of the handshake dropped' },
  // It sends its SYN again after an ICMP error seemed to end the attempt: the
  // error found the socket held by the application inside connect(), and
  // Linux kept it only as a soft error (LockDroppedIcmps, tcp_v4_err).
  { from: 'CLOSED', on: 'ICMP error was soft', to: 'SYN_SENT', rfc: 'synfin: ICMP error while connect() held the socket (Linux LockDroppedIcmps)' },
  // Its own FIN does not acknowledge the peer's FIN: that FIN had not arrived (FINs crossed).
  { from: 'CLOSE_WAIT', on: 'peer FIN not received', to: 'ESTABLISHED', rfc: 'synfin: FINs crossed (3.10.7.4 simultaneous close)' },
];

/** Rows by state, then event: looked up without building a key string (this runs on every change of state). */
const BY_STATE = new Map<TcpState, Map<TcpEvent, Transition>>();
for (const t of TRANSITIONS) {
  let rows = BY_STATE.get(t.from);
  if (rows === undefined) BY_STATE.set(t.from, rows = new Map());
  rows.set(t.on, t);
}

/** The row for (state, event), or undefined when the event leaves the state as it is. */
export function transition(from: TcpState, on: TcpEvent): Transition | undefined {
  return BY_STATE.get(from)?.get(on);
}
