/**
 * `synfin flows --fail-on EXPR` as a CI gate: the normal output first, then
 * the matching flows on stderr and exit 1; exit 0 when nothing matches; a bad
 * EXPR is one line and exit 2 before any capture is read.
 */

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function synfin(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/synfin.js', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CAPTURES = ['captures/normal-close-client.pcap', 'captures/refused.pcap', 'captures/stuck-close-wait.pcap'];

describe('flows --fail-on', () => {
  it('exits 1 after printing the normal output, listing each matching flow on stderr', () => {
    const plain = synfin(['flows', ...CAPTURES]);
    const r = synfin(['flows', '--fail-on', 'stuck-close-wait,connection-refused', ...CAPTURES]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(plain.stdout);
    expect(r.stderr.split('\n')).toEqual([
      'synfin: --fail-on: flow 2 10.99.0.1:41005 → 10.99.0.2:9505 matched stuck-close-wait',
      'synfin: --fail-on: flow 3 10.99.0.1:41008 → 10.99.0.2:9508 matched connection-refused',
      '',
    ]);
  });

  it('works with every format: the JSON is complete and parses', () => {
    const r = synfin(['flows', '--format', 'json', '--fail-on', 'severity>=warning', ...CAPTURES]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).flows).toHaveLength(3);
    expect(r.stderr).toMatch(/flow 2 .* matched severity>=warning\n.*flow 3 .* matched severity>=warning\n$/);
    const nd = synfin(['flows', '--format', 'ndjson', '--fail-on', 'state=CLOSE_WAIT', ...CAPTURES]);
    expect(nd.status).toBe(1);
    expect(nd.stdout.trimEnd().split('\n')).toHaveLength(3);
  });

  it('exits 0 when no flow matches', () => {
    const r = synfin(['flows', '--fail-on', 'close=reset,outcome=ECONNRESET,handshake=no-final-ack', ...CAPTURES]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.each([
    ['stuck-closewait', /^synfin: --fail-on: 'stuck-closewait' is not an anomaly code/],
    ['severity>=fatal', /^synfin: --fail-on: 'severity>=fatal': severity is one of info, warning, error$/],
    ['', /^synfin: --fail-on: empty expression$/],
  ])('a bad EXPR %j: one line, exit 2, no output', (expr, message) => {
    const r = synfin(['flows', '--fail-on', expr, ...CAPTURES]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
