/**
 * `--format junit` (src/report/junit.ts): every document synfin writes is
 * valid against the JUnit schema CI servers accept (test/fixtures/junit.xsd,
 * the Jenkins/Ant shape), checked with xmllint; text from a capture cannot
 * break it; flows --fail-on and diff keep their exit statuses.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatJunit, xmlAttr } from '../../src/report/junit.ts';

const work = mkdtempSync(join(tmpdir(), 'synfin-junit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** xmllint's verdict on `xml` against the schema: '' when valid, else what it said. */
function schemaProblems(xml: string): string {
  const file = join(work, 'report.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit.xsd', file], { encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`xmllint is needed (Debian: apt-get install libxml2-utils): ${r.error.message}`);
  return r.status === 0 ? '' : r.stderr;
}

function synfin(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/synfin.js', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('formatJunit', () => {
  it('counts tests and failures per suite and in all', () => {
    const xml = formatJunit([{
      name: 's',
      cases: [
        { name: 'a', classname: 'c', time: 0.5 },
        { name: 'b', classname: 'c', time: 1.25, failure: { message: 'm', type: 't', text: 'x\n' } },
      ],
    }]);
    expect(xml).toContain('<testsuites name="synfin" tests="2" failures="1" errors="0" time="1.75">');
    expect(xml).toContain('<testsuite name="s" tests="2" failures="1" errors="0" skipped="0" time="1.75">');
    expect(schemaProblems(xml)).toBe('');
  });

  it('stays valid whatever a name holds: markup, C0 controls, DEL, lone surrogates, U+FFFF', () => {
    const hostile = 'a&b<c>d"e\'f\u0000g\u0001h\u001bi\u007fj\u0085k\ud800l\udc00m\uffffn\ttab\nline';
    const xml = formatJunit([{ name: hostile, cases: [{ name: hostile, classname: hostile, time: 0, failure: { message: hostile, type: hostile, text: `${hostile}\n]]>` } }] }]);
    expect(schemaProblems(xml)).toBe('');
    expect(xmlAttr('\u0000<\n')).toBe('\\x00&lt;&#10;');
    // A character XML cannot hold is shown as an escape, never dropped silently.
    expect(xml).toContain('\\x1bi');
    expect(xml).toContain('\\u{d800}l');
  });

  it('an empty suite is valid', () => {
    expect(schemaProblems(formatJunit([{ name: 'none', cases: [] }]))).toBe('');
  });
});

describe('flows --fail-on --format junit', () => {
  const CAPTURES = ['captures/normal-close-client.pcap', 'captures/refused.pcap', 'captures/stuck-close-wait.pcap'];

  it('one test per flow, the matching ones failed with terms and the anomaly\'s message; exit 1', () => {
    const r = synfin(['flows', '--fail-on', 'stuck-close-wait,connection-refused', '--format', 'junit', ...CAPTURES]);
    expect(r.status).toBe(1);
    expect(schemaProblems(r.stdout)).toBe('');
    expect(r.stdout).toContain(`<testsuite name="synfin flows --fail-on stuck-close-wait,connection-refused ${CAPTURES.join(' ')}" tests="3" failures="2"`);
    expect(r.stdout).toMatch(/<testcase name="10\.99\.0\.2:9501 ← 10\.99\.0\.1:41001 \(flow 1\)" classname="synfin\.flows" time="[0-9.]+"\/>/);
    expect(r.stdout).toMatch(/<testcase name="10\.99\.0\.2:9505 ← 10\.99\.0\.1:41005 \(flow 2\)"[^>]*>\n\s*<failure message="matched stuck-close-wait: stuck-close-wait: [^"]+" type="fail-on">/);
    expect(r.stdout).toMatch(/<failure message="matched connection-refused: connection-refused: [^"]+" type="fail-on">/);
    // The gate's lines stay on stderr, as with every format.
    expect(r.stderr).toMatch(/flow 2 .* matched stuck-close-wait\n/);
  });

  it('exit 0 and only passing tests when nothing matches; filters pick the tests', () => {
    const r = synfin(['flows', '--fail-on', 'rst-only', '--format', 'junit', '--port', '9501', ...CAPTURES]);
    expect(r.status).toBe(0);
    expect(schemaProblems(r.stdout)).toBe('');
    expect(r.stdout).toContain('tests="1" failures="0"');
  });

  it('is refused without --fail-on: there is no gate to report', () => {
    const r = synfin(['flows', '--format', 'junit', CAPTURES[0]!]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--format junit .*--fail-on/);
  });
});

describe('diff --format junit', () => {
  it('one test per matched pair and lone flow, the changed ones failed with the change; exit 1', () => {
    const r = synfin(['diff', '--format', 'junit', 'test/fixtures/ci/yesterday.pcap', 'test/fixtures/ci/stuck.pcap']);
    expect(r.status).toBe(1);
    expect(schemaProblems(r.stdout)).toBe('');
    expect(r.stdout).toContain('tests="3" failures="1"');
    expect(r.stdout).toContain('<testcase name="127.0.0.1:18080 ← 127.0.0.1 (A#1, B#1)" classname="synfin.diff" time="0"/>');
    expect(r.stdout).toContain('<failure message="close three-segment → half-closed; client.final_state TIME_WAIT → FIN_WAIT_2; server.final_state CLOSED → CLOSE_WAIT; client.outcome EOF → closed" type="changed">');
  });

  it('flows only in A or only in B are failed tests; equal runs exit 0 with every test passing', () => {
    const lone = synfin(['diff', '--format', 'junit', 'captures/normal-close-client.pcap', 'captures/any-sll2-normal-close.pcap']);
    expect(lone.status).toBe(1);
    expect(schemaProblems(lone.stdout)).toBe('');
    expect(lone.stdout).toContain('<testcase name="10.99.0.2:9501 ← 10.99.0.1 (A#1, B -)"');
    expect(lone.stdout).toContain('<failure message="only in B: three-way → four-way" type="only-in-b">');
    const same = synfin(['diff', '--format', 'junit', 'test/fixtures/ci/yesterday.pcap', 'test/fixtures/ci/today.pcap']);
    expect(same.status).toBe(0);
    expect(schemaProblems(same.stdout)).toBe('');
    expect(same.stdout).toContain('tests="3" failures="0"');
  });
});
