/**
 * ICMP errors in a flow's replay (lifecycle.ts replayIcmp), for the cases the
 * kernel captures in captures/icmp/ do not hold: a parameter problem, a soft
 * error that a later death by retransmissions reports, and errors Linux
 * ignores. test/e2e/icmp.test.ts holds the recorded cases to the kernel's word.
 */

import { describe, expect, it } from 'vitest';
import type { IcmpError, IcmpKind } from '../../src/decode/icmp.ts';
import { ACK, SYN, type Segment } from '../../src/decode/segment.ts';
import { flowKey } from '../../src/flow/key.ts';
import { feedIcmp, feedSegment, openFlow } from '../../src/tcp/connection.ts';
import { finishFlow, type FlowRecord } from '../../src/tcp/record.ts';
import type { Flow, LifecycleOptions } from '../../src/tcp/types.ts';

const OPTS: LifecycleOptions = { msl: 30, stuckAfter: 5, events: true };
const T0 = 1_795_000_000;
const C = { addr: '10.0.0.1', port: 40000 };
const S = { addr: '10.0.0.2', port: 80 };
const ROUTER = '10.0.0.254';
const C_ISN = 1000;
const S_ISN = 5000;

function seg(frame: number, t: number, from: 'c' | 's', over: Partial<Segment>): Segment {
  const [src, dst] = from === 'c' ? [C, S] : [S, C];
  const payloadLen = over.payloadLen ?? 0;
  const ns = Math.round(t * 1e9);
  return {
    frame, sec: T0 + Math.floor(ns / 1e9), nsec: ns % 1e9, ipVersion: 4, src: src.addr, dst: dst.addr, srcPort: src.port, dstPort: dst.port,
    seq: 0, ack: 0, flags: ACK, window: 65535, urgent: 0, headerLen: 20, payloadLen, frameLen: 54 + payloadLen, ipLen: 40 + payloadLen,
    options: [], optionsError: undefined, truncated: false, ...over,
  };
}

function icmp(frame: number, t: number, about: 'c' | 's', seq: number, kind: IcmpKind, name: string, errno: string | undefined, from = ROUTER): IcmpError {
  const [src, dst] = about === 'c' ? [C, S] : [S, C];
  const ns = Math.round(t * 1e9);
  return {
    protocol: 'ICMP', type: kind === 'time-exceeded' ? 11 : kind === 'parameter-problem' ? 12 : 3, code: 0, kind, name, errno, mtu: undefined, pointer: undefined,
    quoted: { ipVersion: 4, src: src.addr, dst: dst.addr, srcPort: src.port, dstPort: dst.port, seq, ack: undefined, flags: undefined, payloadLen: 0, ipLen: 40, ttl: 1, tcpQuoted: 8 },
    frame, sec: T0 + Math.floor(ns / 1e9), nsec: ns % 1e9, ipVersion: 4, src: from, dst: src.addr, frameLen: 70,
  };
}

function run(segs: readonly Segment[], errors: readonly IcmpError[], captureEnd: number): { flow: Flow; record: FlowRecord } {
  const flow = openFlow(segs[0]!, 1, flowKey(segs[0]!), undefined);
  const all = [...segs.map((s) => ({ frame: s.frame, s })), ...errors.map((e) => ({ frame: e.frame, e }))].sort((a, b) => a.frame - b.frame);
  for (const x of all) {
    if ('s' in x) feedSegment(flow, x.s, OPTS);
    else feedIcmp(flow, x.e, OPTS);
  }
  return { flow, record: finishFlow(flow, { options: OPTS, precision: 'us', captureEnd: T0 + captureEnd }) };
}

const handshake = [
  seg(1, 0, 'c', { flags: SYN, seq: C_ISN }),
  seg(2, 0.001, 's', { flags: SYN | ACK, seq: S_ISN, ack: C_ISN + 1 }),
  seg(3, 0.002, 'c', { seq: C_ISN + 1, ack: S_ISN + 1 }),
];

describe('an ICMP error about a SYN', () => {
  it('a parameter problem ends the attempt too, with EPROTO (tcp_v4_err: every error but fragmentation needed in SYN_SENT)', () => {
    const { record } = run([handshake[0]!], [icmp(2, 0.001, 'c', C_ISN, 'parameter-problem', 'pointer-indicates-error', 'EPROTO')], 0.001);
    expect(record.handshake.kind).toBe('unreachable');
    expect(record.outcome).toEqual({ client: 'EPROTO', server: 'none' });
    expect(record.client.final_state).toBe('CLOSED');
    expect(record.anomalies.map((a) => [a.code, a.severity])).toEqual([['icmp-parameter-problem', 'error']]);
    expect(record.icmp?.[0]?.effect).toBe('ended-attempt');
    expect(record.events?.map((e) => [e.frame, e.flags, e.client])).toEqual([[1, '[S]', 'SYN_SENT'], [2, 'ICMP', 'CLOSED']]);
  });

  it('one quoting another sequence number is ignored (Linux counts it in OutOfWindowIcmps), and the SYN goes unanswered', () => {
    const { record } = run([handshake[0]!], [icmp(2, 0.001, 'c', C_ISN + 777, 'unreachable', 'port-unreachable', 'ECONNREFUSED', S.addr)], 5);
    expect(record.handshake.kind).toBe('unanswered');
    expect(record.client.final_state).toBe('SYN_SENT');
    expect(record.icmp?.[0]?.effect).toBe('ignored');
    expect(record.anomalies.find((a) => a.code === 'icmp-unreachable')?.severity).toBe('info');
  });
});

describe('an ICMP error on an established connection', () => {
  // The server vanishes; the client retransmits its 100 bytes with a doubling timeout, and a router says host unreachable on the way.
  const data = [1, 1.2, 1.6, 2.4, 4.0].map((t, i) => seg(4 + i + (i >= 2 ? 1 : 0), t, 'c', { seq: C_ISN + 1, ack: S_ISN + 1, payloadLen: 100 }));
  const error = icmp(6, 1.3, 'c', C_ISN + 1, 'unreachable', 'host-unreachable', 'EHOSTUNREACH');

  it('is a soft error: no state changes, and the connection goes on', () => {
    const { record } = run([...handshake, ...data.slice(0, 3)], [error], 1.6);
    expect(record.client.final_state).toBe('ESTABLISHED');
    expect(record.handshake.kind).toBe('three-way');
    const a = record.anomalies.find((x) => x.code === 'icmp-unreachable')!;
    expect([a.severity, a.details?.['effect']]).toEqual(['warning', 'soft-error']);
    expect(a.message).toMatch(/a router at 10\.0\.0\.254 said host unreachable .*sees EHOSTUNREACH, not ETIMEDOUT/);
  });

  it('and when the connection then dies of retransmissions, its application sees EHOSTUNREACH instead of ETIMEDOUT (tcp_write_err)', () => {
    const { record } = run([...handshake, ...data], [error], 60);
    expect(record.client.final_state).toBe('CLOSED');
    expect(record.outcome.client).toBe('EHOSTUNREACH');
    expect(record.anomalies.find((a) => a.code === 'retransmission-timeout')?.message).toMatch(/its application saw EHOSTUNREACH$/);
  });

  it('without the ICMP error the same death is ETIMEDOUT', () => {
    const { record } = run([...handshake, ...data], [], 60);
    expect(record.outcome.client).toBe('ETIMEDOUT');
  });
});
