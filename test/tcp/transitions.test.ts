import { describe, expect, it } from 'vitest';

import { applyEvent, createEndpoint, pairEndpoints } from '../../src/tcp/endpoint.ts';
import type { Endpoint } from '../../src/tcp/types.ts';
import {
  STATES, TRANSITIONS, transition, type TcpEvent, type TcpState,
} from '../../src/tcp/transitions.ts';

/** Every event, so the "no row" sweep below covers the whole (state, event) square. */
const EVENTS = [
  'snd SYN', 'snd SYN+ACK', 'rcv SYN+ACK', 'rcv ACK of SYN', 'snd ACK', 'snd FIN', 'rcv FIN',
  'rcv ACK of FIN', 'snd RST', 'rcv RST', 'rcv RST (active open)', '2MSL timeout', 'peer FIN not received',
  'new SYN on the tuple', 'snd FIN again', 'snd SYN+ACK again', 'user timeout', 'rcv ICMP error', 'ICMP error was soft',
] as const satisfies readonly TcpEvent[];

// Fails to compile when TcpEvent gains a member EVENTS does not list.
type Missing = Exclude<TcpEvent, (typeof EVENTS)[number]>;
const everyEventListed: [Missing] extends [never] ? true : never = true;

/** An endpoint already in `state` (smoltcp's `socket_fin_wait_1()`), paired with a peer. */
function endpointIn(state: TcpState): Endpoint {
  const ep = createEndpoint('client', '10.0.0.1', 40000, state, 100, 1);
  pairEndpoints(ep, createEndpoint('server', '10.0.0.2', 80, 'LISTEN', 100, 1));
  return ep;
}

/** [event, next state, RFC 9293 section or synfin's reason]. */
type Row = readonly [on: TcpEvent, to: TcpState, rfc: string];

// The table as RFC 9293 §3.3.2 (Figure 5) and §3.10 read, one block per starting state.
const EXPECTED: Readonly<Record<TcpState, readonly Row[]>> = {
  UNKNOWN: [
    ['snd ACK', 'ESTABLISHED', 'synfin: midstream evidence'],
    ['snd FIN', 'FIN_WAIT_1', 'synfin: midstream evidence'],
    ['rcv FIN', 'CLOSE_WAIT', 'synfin: midstream evidence'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.4'],
  ],
  CLOSED: [
    ['snd SYN', 'SYN_SENT', '3.10.1'],
    ['ICMP error was soft', 'SYN_SENT', 'synfin: ICMP error while connect() held the socket (Linux LockDroppedIcmps)'],
    ['snd FIN again', 'LAST_ACK', 'synfin: final ACK lost (3.10.7.4 LAST_ACK)'],
  ],
  LISTEN: [
    ['snd SYN', 'SYN_SENT', '3.10.2'],
    ['snd SYN+ACK', 'SYN_RECEIVED', '3.10.7.2'],
    ['snd RST', 'CLOSED', 'synfin: no listener (3.10.7.1)'],
  ],
  SYN_SENT: [
    ['snd SYN+ACK', 'SYN_RECEIVED', '3.10.7.3'],
    ['rcv SYN+ACK', 'ESTABLISHED', '3.10.7.3'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.3'],
    ['rcv ICMP error', 'CLOSED', 'synfin: ICMP error in SYN_SENT (RFC 1122 4.2.3.9; Linux tcp_v4_err)'],
  ],
  SYN_RECEIVED: [
    ['rcv ACK of SYN', 'ESTABLISHED', '3.10.7.4'],
    ['snd ACK', 'ESTABLISHED', 'synfin: accept-queue evidence'],
    ['snd FIN', 'FIN_WAIT_1', '3.10.4'],
    ['rcv FIN', 'CLOSE_WAIT', '3.10.7.4'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'LISTEN', '3.10.7.4'],
    ['rcv RST (active open)', 'CLOSED', '3.10.7.4'],
  ],
  ESTABLISHED: [
    ['snd FIN', 'FIN_WAIT_1', '3.10.4'],
    ['rcv FIN', 'CLOSE_WAIT', '3.10.7.4'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.4'],
    ['snd SYN+ACK again', 'SYN_RECEIVED', 'synfin: final ACK of the handshake dropped'],
    ['user timeout', 'CLOSED', '3.8.3; 3.10.8'],
  ],
  FIN_WAIT_1: [
    ['rcv FIN', 'CLOSING', '3.10.7.4'],
    ['rcv ACK of FIN', 'FIN_WAIT_2', '3.10.7.4'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.4'],
    ['user timeout', 'CLOSED', '3.8.3; 3.10.8'],
  ],
  FIN_WAIT_2: [
    ['rcv FIN', 'TIME_WAIT', '3.10.7.4'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.4'],
    ['snd FIN again', 'FIN_WAIT_1', 'synfin: ACK of FIN lost'],
    ['user timeout', 'CLOSED', '3.8.3; 3.10.8'],
  ],
  CLOSE_WAIT: [
    ['snd FIN', 'LAST_ACK', '3.10.4'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.4'],
    ['peer FIN not received', 'ESTABLISHED', 'synfin: FINs crossed (3.10.7.4 simultaneous close)'],
    ['user timeout', 'CLOSED', '3.8.3; 3.10.8'],
  ],
  CLOSING: [
    ['rcv ACK of FIN', 'TIME_WAIT', '3.10.7.4'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.4'],
    ['user timeout', 'CLOSED', '3.8.3; 3.10.8'],
  ],
  LAST_ACK: [
    ['rcv ACK of FIN', 'CLOSED', '3.10.7.4'],
    ['snd RST', 'CLOSED', '3.10.5'],
    ['rcv RST', 'CLOSED', '3.10.7.4'],
    ['user timeout', 'CLOSED', '3.8.3; 3.10.8'],
  ],
  TIME_WAIT: [
    ['2MSL timeout', 'CLOSED', '3.10.8'],
    ['new SYN on the tuple', 'CLOSED', '3.10.7.4; RFC 6191'],
    ['snd RST', 'CLOSED', '3.10.7.4'],
    ['rcv RST', 'CLOSED', '3.10.7.4; RFC 1337'],
    ['snd FIN again', 'CLOSING', 'synfin: ACK of FIN lost'],
  ],
};

const pair = (from: TcpState, on: TcpEvent): string => `${from}|${on}`;

for (const from of STATES) {
  describe(`from ${from}`, () => {
    it.each(EXPECTED[from])('%s -> %s (%s)', (on, to, rfc) => {
      expect(transition(from, on)).toEqual({ from, on, to, rfc });
      const ep = endpointIn(from);
      const change = applyEvent(ep, on, 7, 101.5);
      expect(ep.state).toBe(to);
      expect(change).toEqual({ from, to, on, frame: 7, time: 101.5, rfc });
      expect(ep.changes).toEqual([change]);
      expect(ep.stateSince).toBe(101.5);
      expect(ep.stateFrame).toBe(7);
    });
  });
}

describe('the table as a whole', () => {
  it('lists every event type', () => {
    expect(everyEventListed).toBe(true);
    expect(new Set(EVENTS).size).toBe(EVENTS.length);
  });

  it('covers exactly the rows asserted above (a new row needs a test)', () => {
    const asserted = STATES.flatMap((from) => EXPECTED[from].map(([on]) => pair(from, on))).sort();
    const inTable = TRANSITIONS.map((t) => pair(t.from, t.on)).sort();
    expect(inTable).toEqual(asserted);
  });

  it('has no duplicate (from, on) pair', () => {
    const seen = new Map<string, number>();
    for (const t of TRANSITIONS) seen.set(pair(t.from, t.on), (seen.get(pair(t.from, t.on)) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
  });

  it.each(TRANSITIONS.map((t) => [pair(t.from, t.on), t.rfc] as const))('%s cites an RFC section or synfin: (%s)', (_, rfc) => {
    expect(rfc.trim()).not.toBe('');
    expect(rfc).toMatch(/^(\d+\.\d+(\.\d+)*\b|synfin: \S)/);
  });

  it('uses only known states and events', () => {
    for (const t of TRANSITIONS) {
      expect(STATES).toContain(t.from);
      expect(STATES).toContain(t.to);
      expect(EVENTS).toContain(t.on);
    }
  });

  it('has STATES listing each state once', () => {
    expect(new Set(STATES).size).toBe(STATES.length);
    expect(Object.keys(EXPECTED).sort()).toEqual([...STATES].sort());
  });
});

describe('a (state, event) pair with no row', () => {
  const withRow = new Set(TRANSITIONS.map((t) => pair(t.from, t.on)));
  const without = STATES.flatMap((from) => EVENTS.filter((on) => !withRow.has(pair(from, on))).map((on) => [from, on] as const));

  it('exists for most of the square', () => {
    expect(without.length).toBe(STATES.length * EVENTS.length - TRANSITIONS.length);
  });

  it.each(without)('%s on "%s" leaves the state unchanged', (from, on) => {
    expect(transition(from, on)).toBeUndefined();
    const ep = endpointIn(from);
    expect(applyEvent(ep, on, 9, 200)).toBeUndefined();
    expect(ep.state).toBe(from);
    expect(ep.changes).toEqual([]);
    expect(ep.stateSince).toBe(100);
    expect(ep.stateFrame).toBe(1);
  });
});
