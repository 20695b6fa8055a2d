/**
 * `--fail-on EXPR`: a CI gate over the flows of a capture. EXPR is a comma
 * list of terms and a flow matches when any term does. The vocabulary below is
 * every value the JSON output can hold for the fields a term can name, so a
 * typo is a usage error rather than a gate that silently never fires.
 */

import { hostPort } from '../decode/address.ts';
import type { Side } from '../tcp/types.ts';
import { isAnomalyCode, type AnomalyCode, type Severity } from '../tcp/anomalies/registry.ts';
import type { AnomalyRecord, CloseKind, FlowRecord, HandshakeKind, Outcome } from '../tcp/record.ts';
import { STATES, type TcpState } from '../tcp/transitions.ts';

/** Every `handshake.kind` (docs/design.md). */
export const HANDSHAKE_KINDS = [
  'three-way', 'simultaneous-open', 'split-syn-ack', 'refused', 'unreachable', 'unanswered', 'no-final-ack',
  'reset-during-handshake', 'not-observed',
] as const satisfies readonly HandshakeKind[];

/** Every `close.kind` (docs/design.md). */
export const CLOSE_KINDS = [
  'four-way', 'three-segment', 'simultaneous', 'reset', 'half-closed', 'open', 'none',
] as const satisfies readonly CloseKind[];

/** Every `outcome.client` / `outcome.server` value (docs/json.md). */
export const OUTCOMES = [
  'ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'EOF', 'open', 'closed', 'none',
  'EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'ENOPROTOOPT', 'EHOSTDOWN', 'ENONET', 'EOPNOTSUPP', 'EPROTO',
] as const satisfies readonly Outcome[];

/** Severities, least severe first: `severity>=warning` means warning or error. */
export const SEVERITIES = ['info', 'warning', 'error'] as const satisfies readonly Severity[];

// Compile-time proof that the lists above name every member of their unions:
// adding a kind to record.ts without adding it here fails the typecheck.
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : Exclude<All, Listed>;
const complete: [
  Missing<HandshakeKind, (typeof HANDSHAKE_KINDS)[number]>,
  Missing<CloseKind, (typeof CLOSE_KINDS)[number]>,
  Missing<Outcome, (typeof OUTCOMES)[number]>,
  Missing<Severity, (typeof SEVERITIES)[number]>,
] = [true, true, true, true];
void complete;

/** One term of a `--fail-on` expression; `text` is the term as written (trimmed). */
export type FailTerm =
  | { readonly kind: 'anomaly'; readonly code: AnomalyCode; readonly text: string }
  | { readonly kind: 'severity'; readonly op: '>=' | '>' | '='; readonly severity: Severity; readonly text: string }
  | { readonly kind: 'handshake'; readonly value: HandshakeKind; readonly text: string }
  | { readonly kind: 'close'; readonly value: CloseKind; readonly text: string }
  | { readonly kind: 'state'; readonly value: TcpState; readonly text: string }
  | { readonly kind: 'outcome'; readonly value: Outcome; readonly text: string };

/** A parsed expression, or why it is not one (a single line naming the bad term). */
export type FailOnParse =
  | { readonly ok: true; readonly terms: readonly FailTerm[] }
  | { readonly ok: false; readonly error: string };

const FIELD_TERM = /^(handshake|close|state|outcome)\s*=\s*(\S+)$/;
const SEVERITY_TERM = /^severity\s*(>=|>|=)\s*(\S+)$/;

/**
 * Parses `--fail-on` EXPR: comma-separated terms, each one of
 * `CODE` (an anomaly code), `severity>=S` (also `>` and `=`),
 * `handshake=KIND`, `close=KIND`, `state=STATE` (either side's final state;
 * `close-wait` and `CLOSE-WAIT` as ss prints them are accepted), `outcome=VALUE`.
 */
export function parseFailOn(expr: string): FailOnParse {
  const parts = expr.split(',').map((t) => t.trim());
  if (parts.every((t) => t === '')) return { ok: false, error: 'empty expression' };
  const terms: FailTerm[] = [];
  for (const text of parts) {
    if (text === '') return { ok: false, error: `empty term in '${expr}'` };
    const term = parseTerm(text);
    if (typeof term === 'string') return { ok: false, error: term };
    terms.push(term);
  }
  return { ok: true, terms };
}

function oneOf<T extends string>(list: readonly T[], v: string): T | undefined {
  return list.find((x) => x === v);
}

function parseTerm(text: string): FailTerm | string {
  const sev = SEVERITY_TERM.exec(text);
  if (sev !== null) {
    const severity = oneOf(SEVERITIES, sev[2]!);
    if (severity === undefined) return `'${text}': severity is one of ${SEVERITIES.join(', ')}`;
    return { kind: 'severity', op: sev[1] as '>=' | '>' | '=', severity, text };
  }
  const field = FIELD_TERM.exec(text);
  if (field !== null) {
    const name = field[1]!;
    const v = field[2]!;
    if (name === 'handshake') {
      const value = oneOf(HANDSHAKE_KINDS, v);
      return value === undefined ? `'${text}': handshake is one of ${HANDSHAKE_KINDS.join(', ')}` : { kind: 'handshake', value, text };
    }
    if (name === 'close') {
      const value = oneOf(CLOSE_KINDS, v);
      return value === undefined ? `'${text}': close is one of ${CLOSE_KINDS.join(', ')}` : { kind: 'close', value, text };
    }
    if (name === 'state') {
      // ss and netstat write CLOSE-WAIT / close-wait; the JSON writes CLOSE_WAIT.
      const value = oneOf(STATES, v.toUpperCase().replaceAll('-', '_'));
      return value === undefined ? `'${text}': state is one of ${STATES.join(', ')}` : { kind: 'state', value, text };
    }
    const value = oneOf(OUTCOMES, v);
    return value === undefined ? `'${text}': outcome is one of ${OUTCOMES.join(', ')}` : { kind: 'outcome', value, text };
  }
  if (isAnomalyCode(text)) return { kind: 'anomaly', code: text, text };
  if (/^[a-z0-9-]+$/.test(text)) return `'${text}' is not an anomaly code (see docs/json.md for the list)`;
  return `cannot read term '${text}': expected an anomaly code, severity>=S, handshake=K, close=K, state=S or outcome=O`;
}

function rank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

function severityMatches(term: Extract<FailTerm, { kind: 'severity' }>, a: AnomalyRecord): boolean {
  const want = rank(term.severity);
  const r = rank(a.severity);
  return term.op === '>=' ? r >= want : term.op === '>' ? r > want : r === want;
}

/** Does one term match one flow? */
function termMatches(term: FailTerm, flow: FlowRecord): boolean {
  const sides: readonly Side[] = ['client', 'server'];
  switch (term.kind) {
    case 'anomaly':
      return flow.anomalies.some((a) => a.code === term.code) || (flow.anomalies_not_listed?.[term.code] ?? 0) > 0;
    case 'severity':
      // Codes beyond the listing limit always have listed siblings of the same
      // severity (the limit applies per code), so the listed ones suffice.
      return flow.anomalies.some((a) => severityMatches(term, a));
    case 'handshake': return flow.handshake.kind === term.value;
    case 'close': return flow.close.kind === term.value;
    case 'state': return sides.some((s) => flow[s].final_state === term.value);
    case 'outcome': return sides.some((s) => flow.outcome[s] === term.value);
  }
}

/** The terms that match `flow`, in the order they were written (empty: no match). */
export function matchFailOn(terms: readonly FailTerm[], flow: FlowRecord): FailTerm[] {
  return terms.filter((t) => termMatches(t, flow));
}

/** The stderr line for a matching flow: `flow 2 10.0.0.1:40000 → 10.0.0.2:80 matched stuck-close-wait`. */
export function describeFailOnMatch(flow: FlowRecord, hits: readonly FailTerm[]): string {
  const who = `${hostPort(flow.client.addr, flow.client.port)} → ${hostPort(flow.server.addr, flow.server.port)}`;
  return `flow ${flow.id} ${who} matched ${hits.map((t) => t.text).join(', ')}`;
}

/**
 * What in `flow` a matching term saw, for a CI report: the first anomaly's
 * message for a code or severity term (`server did not close 12.0 s after
 * the client's FIN`), the field's value otherwise (`server.final_state CLOSE_WAIT`).
 */
export function describeHit(term: FailTerm, flow: FlowRecord): string {
  const sides: readonly Side[] = ['client', 'server'];
  switch (term.kind) {
    case 'anomaly': {
      const a = flow.anomalies.find((x) => x.code === term.code);
      return a === undefined ? `${term.code} (${flow.anomalies_not_listed?.[term.code] ?? 0} not listed)` : `${a.code}: ${a.message}`;
    }
    case 'severity': {
      const a = flow.anomalies.find((x) => severityMatches(term, x));
      return a === undefined ? term.text : `${a.code} (${a.severity}): ${a.message}`;
    }
    case 'handshake': return `handshake ${flow.handshake.kind}`;
    case 'close': return `close ${flow.close.kind}`;
    case 'state': return sides.filter((s) => flow[s].final_state === term.value).map((s) => `${s}.final_state ${flow[s].final_state}`).join(', ');
    case 'outcome': return sides.filter((s) => flow.outcome[s] === term.value).map((s) => `${s}.outcome ${flow.outcome[s]}`).join(', ');
  }
}
