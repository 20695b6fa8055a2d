/**
 * `--fail-on` terms: what parses, what is refused with one line, and which
 * flows of the committed kernel captures each term matches.
 */

import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.ts';
import { describeFailOnMatch, type FailTerm, matchFailOn, parseFailOn } from '../../src/report/fail-on.ts';

function terms(expr: string): readonly FailTerm[] {
  const p = parseFailOn(expr);
  if (!p.ok) throw new Error(p.error);
  return p.terms;
}

describe('parsing', () => {
  it.each([
    ['stuck-close-wait', [{ kind: 'anomaly', code: 'stuck-close-wait' }]],
    ['severity>=warning', [{ kind: 'severity', op: '>=', severity: 'warning' }]],
    ['severity > info', [{ kind: 'severity', op: '>', severity: 'info' }]],
    ['severity=error', [{ kind: 'severity', op: '=', severity: 'error' }]],
    ['handshake=refused', [{ kind: 'handshake', value: 'refused' }]],
    ['close=reset', [{ kind: 'close', value: 'reset' }]],
    ['state=CLOSE_WAIT', [{ kind: 'state', value: 'CLOSE_WAIT' }]],
    ['state=close-wait', [{ kind: 'state', value: 'CLOSE_WAIT' }]],
    ['outcome=ECONNRESET', [{ kind: 'outcome', value: 'ECONNRESET' }]],
    [' stuck-close-wait , connection-refused ', [{ kind: 'anomaly', code: 'stuck-close-wait' }, { kind: 'anomaly', code: 'connection-refused' }]],
  ])('%s', (expr, expected) => {
    expect(terms(expr)).toMatchObject(expected);
  });

  it.each([
    ['', 'empty expression'],
    ['stuck-close-wait,', "empty term in 'stuck-close-wait,'"],
    ['stuck-closewait', "'stuck-closewait' is not an anomaly code (see docs/json.md for the list)"],
    ['severity>=fatal', "'severity>=fatal': severity is one of info, warning, error"],
    ['handshake=two-way', "'handshake=two-way': handshake is one of three-way, simultaneous-open, split-syn-ack, refused, unreachable, unanswered, no-final-ack, reset-during-handshake, not-observed"],
    ['close=graceful', "'close=graceful': close is one of four-way, three-segment, simultaneous, reset, half-closed, open, none"],
    ['outcome=econnreset', "'outcome=econnreset': outcome is one of ECONNREFUSED, ETIMEDOUT, ECONNRESET, EOF, open, closed, none, EHOSTUNREACH, ENETUNREACH, EACCES, ENOPROTOOPT, EHOSTDOWN, ENONET, EOPNOTSUPP, EPROTO"],
    ['state=WAITING', expect.stringMatching(/^'state=WAITING': state is one of UNKNOWN, CLOSED/)],
    ['rtt>5', "cannot read term 'rtt>5': expected an anomaly code, severity>=S, handshake=K, close=K, state=S or outcome=O"],
  ])('refuses %j', (expr, error) => {
    expect(parseFailOn(expr)).toEqual({ ok: false, error });
  });
});

describe('matching the flows of five kernel captures', async () => {
  const five = ['normal-close-client', 'refused', 'stuck-close-wait', 'lost-final-ack', 'syn-unanswered', 'rst-linger0']
    .map((n) => `captures/${n}.pcap`);
  const { flows } = await analyzeFiles(five);
  const byPort = (expr: string): number[] => flows.filter((f) => matchFailOn(terms(expr), f).length > 0).map((f) => f.server.port);

  it.each([
    ['stuck-close-wait', [9505]],
    ['connection-refused', [9508]],
    ['stuck-close-wait,connection-refused', [9505, 9508]],
    ['severity>=error', [9509, 9508]],
    ['severity>=warning', [9505, 9509, 9512, 9508]],
    ['severity=info', []],
    ['handshake=refused', [9508]],
    ['handshake=unanswered', [9509]],
    ['close=reset', [9506]],
    ['close=four-way', [9501, 9512]],
    ['state=CLOSE_WAIT', [9505]],
    ['state=FIN_WAIT_2', [9505]],
    ['outcome=ECONNRESET', [9506]],
    ['outcome=ECONNREFUSED', [9508]],
    ['outcome=ETIMEDOUT', [9509]],
  ])('%s → server ports %j', (expr, ports) => {
    expect(byPort(expr)).toEqual(ports);
  });

  it('names the flow and every term that matched, in the order written', () => {
    const f = flows.find((x) => x.server.port === 9505)!;
    const hits = matchFailOn(terms('handshake=refused,state=close-wait,stuck-close-wait'), f);
    expect(describeFailOnMatch(f, hits)).toBe(`flow ${f.id} 10.99.0.1:41005 → 10.99.0.2:9505 matched state=close-wait, stuck-close-wait`);
  });
});
