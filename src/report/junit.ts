/**
 * `--format junit`: a CI gate's verdict as JUnit XML, the report GitLab,
 * Jenkins, GitHub test-report actions and Azure Pipelines read, so each
 * connection shows in the pipeline as a test. The shape is the one those tools
 * share (Jenkins' and Ant's JUnit XSD, test/fixtures/junit.xsd):
 * `testsuites > testsuite > testcase > failure`. One test per flow (flows
 * --fail-on) or per pair and lone flow (diff), named by server and client,
 * `10.0.0.2:443 ← 10.0.0.1:51234 (flow 3)`, as a test report lists who
 * served whom. Pure: records in, text out.
 */

import { bracketed, hostPort } from '../decode/address.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { changeLines, type DiffResult, type FlowRef, lone, type MatchMode } from './diff.ts';
import { describeHit, type FailTerm, matchFailOn } from './fail-on.ts';

/** One `<testcase>`. */
export interface JunitCase {
  readonly name: string;
  readonly classname: string;
  /** Seconds. */
  readonly time: number;
  readonly failure?: {
    /** One line: what a report lists beside the test's name. */
    readonly message: string;
    /** A short stable word (`fail-on`, `changed`, `only-in-a`…). */
    readonly type: string;
    /** The details, one fact a line. */
    readonly text: string;
  };
}

/** One `<testsuite>`. */
export interface JunitSuite {
  readonly name: string;
  readonly cases: readonly JunitCase[];
}

// XML 1.0 §2.2 allows no C0 character but tab, LF and CR, no lone surrogate
// and neither U+FFFE nor U+FFFF: not even as a character reference. Text from a
// capture or a saved JSON (a pcapng comment, a file name) may hold any of them,
// so they are written as visible escapes, as the terminal output writes them.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function visible(s: string): string {
  return s.replace(NOT_XML, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Text for an attribute value: one line, every markup character a reference. */
export function xmlAttr(s: string): string {
  return visible(s).replace(/[&<>"'\t\n\r]/g, (c) => ATTR_REFS[c]!);
}

const ATTR_REFS: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};

/** Text for element content: markup characters as references, lines kept. */
export function xmlText(s: string): string {
  return visible(s).replace(/[&<>]/g, (c) => ATTR_REFS[c]!).replace(/\r/g, '&#13;');
}

function seconds(t: number): string {
  // The XSD's time is an xs:decimal: never an exponent, never negative.
  return Number.isFinite(t) && t > 0 ? t.toFixed(6).replace(/\.?0+$/, '') || '0' : '0';
}

/** The whole document: every suite, its counts, its tests. */
export function formatJunit(suites: readonly JunitSuite[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = (s: JunitSuite): number => s.cases.filter((c) => c.failure !== undefined).length;
  const time = (s: JunitSuite): number => s.cases.reduce((t, c) => t + c.time, 0);
  const total = (f: (s: JunitSuite) => number): number => suites.reduce((n, s) => n + f(s), 0);
  lines.push(`<testsuites name="synfin" tests="${total((s) => s.cases.length)}" failures="${total(failures)}" errors="0" time="${seconds(total(time))}">`);
  for (const s of suites) {
    lines.push(`  <testsuite name="${xmlAttr(s.name)}" tests="${s.cases.length}" failures="${failures(s)}" errors="0" skipped="0" time="${seconds(time(s))}">`);
    for (const c of s.cases) {
      const head = `    <testcase name="${xmlAttr(c.name)}" classname="${xmlAttr(c.classname)}" time="${seconds(c.time)}"`;
      if (c.failure === undefined) {
        lines.push(`${head}/>`);
        continue;
      }
      lines.push(`${head}>`);
      lines.push(`      <failure message="${xmlAttr(c.failure.message)}" type="${xmlAttr(c.failure.type)}">${xmlText(c.failure.text)}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** `10.0.0.2:443 ← 10.0.0.1:51234 (flow 3)`: the server first, the service a test report groups by. */
export function flowTestName(f: Pick<FlowRecord, 'id' | 'client' | 'server'>): string {
  return `${hostPort(f.server.addr, f.server.port)} ← ${hostPort(f.client.addr, f.client.port)} (flow ${f.id})`;
}

/**
 * The test of one flow under `--fail-on`: failed when a term matches, with
 * the terms in the message and, a line each, what they saw (an anomaly's
 * message, a field's value). The time is the flow's duration.
 */
export function failOnCase(terms: readonly FailTerm[], flow: FlowRecord, classname: string): JunitCase {
  const hits = matchFailOn(terms, flow);
  const base = { name: flowTestName(flow), classname, time: flow.duration_s };
  if (hits.length === 0) return base;
  const seen = hits.map((t) => describeHit(t, flow));
  return {
    ...base,
    failure: {
      message: `matched ${hits.map((t) => t.text).join(', ')}: ${seen.join('; ')}`,
      type: 'fail-on',
      text: hits.map((t, i) => `${t.text}: ${seen[i]}\n`).join(''),
    },
  };
}

/** A diff's client as the match kept it: without the port unless the match compared it (it changes every run). */
function client(r: FlowRef, match: MatchMode): string {
  return match === 'strict' ? hostPort(r.client.addr, r.client.port) : bracketed(r.client.addr);
}

function pairName(a: FlowRef, b: FlowRef, match: MatchMode): string {
  const na = `${hostPort(a.server.addr, a.server.port)} ← ${client(a, match)}`;
  const nb = `${hostPort(b.server.addr, b.server.port)} ← ${client(b, match)}`;
  return na === nb ? `${na} (A#${a.id}, B#${b.id})` : `${na} (A#${a.id}) ≈ ${nb} (B#${b.id})`;
}

/**
 * The tests of a diff: one per matched pair (`same`, from diff's `onSame`,
 * and the changed ones, failed with the change) and one per flow only in A
 * or only in B (failed), in A's flow order, then B's lone flows.
 */
export function diffCases(result: DiffResult, same: readonly { readonly a: FlowRef; readonly b: FlowRef }[], classname: string): JunitCase[] {
  const m = result.match;
  const rows: { readonly order: number; readonly test: JunitCase }[] = [];
  for (const p of same) rows.push({ order: p.a.id, test: { name: pairName(p.a, p.b, m), classname, time: 0 } });
  for (const d of result.changed) {
    const lines = changeLines(d);
    rows.push({ order: d.a.id, test: { name: pairName(d.a, d.b, m), classname, time: 0, failure: { message: lines.join('; '), type: 'changed', text: lines.map((l) => `${l}\n`).join('') } } });
  }
  for (const r of result.only_in_a) {
    const what = `only in A: ${lone(r)}`;
    rows.push({ order: r.id, test: { name: `${hostPort(r.server.addr, r.server.port)} ← ${client(r, m)} (A#${r.id}, B -)`, classname, time: 0, failure: { message: what, type: 'only-in-a', text: `${what}\n` } } });
  }
  rows.sort((x, y) => x.order - y.order);
  const tests = rows.map((r) => r.test);
  for (const r of result.only_in_b) {
    const what = `only in B: ${lone(r)}`;
    tests.push({ name: `${hostPort(r.server.addr, r.server.port)} ← ${client(r, m)} (A -, B#${r.id})`, classname, time: 0, failure: { message: what, type: 'only-in-b', text: `${what}\n` } });
  }
  return tests;
}
