/**
 * The synfin/vitest matchers under jest: registered with `expect.extend` on
 * jest's own `expect` (the npm package jest ships and `@jest/globals`
 * re-exports), in a Node process of its own (test/fixtures/jest/expect.ts),
 * so that nothing of vitest's is there to help: jest's expect run inside
 * vitest shares vitest's matcher state, snapshot state included.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const work = mkdtempSync(join(tmpdir(), 'synfin-jest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Outcome { readonly name: string; readonly pass: boolean; readonly error?: string; readonly message?: string }

/** Runs the fixture's cases under jest's expect; CI as given (undefined: unset), BASELINE the baseline file. */
function jest(cases: string[], env: { CI?: string; BASELINE?: string; SYNFIN_UPDATE_BASELINES?: string } = {}): Outcome[] {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env.CI === undefined) delete childEnv.CI;
  if (env.SYNFIN_UPDATE_BASELINES === undefined) delete childEnv.SYNFIN_UPDATE_BASELINES;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/jest/expect.ts', ...cases], { encoding: 'utf8', env: childEnv });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Outcome);
}

describe('synfin/vitest with jest\'s expect (expect.extend(synfinMatchers))', () => {
  it('passes on clean captures, and fails as jest fails, naming the connection', () => {
    const [clean, errors, closes, leak] = jest(['no anomalies', 'no error anomalies once two codes are ignored', 'clean closes', 'a server left in CLOSE_WAIT']);
    expect(clean).toEqual({ name: 'no anomalies', pass: true });
    expect(errors!.pass).toBe(true);
    expect(closes!.pass).toBe(true);
    expect(leak).toEqual({
      name: 'a server left in CLOSE_WAIT',
      pass: false,
      error: 'JestAssertionError',
      message: [
        'expected every established connection in captures/stuck-close-wait.pcap to close cleanly (four-way, three-segment or simultaneous); 1 flow of 1 did not:',
        '  10.99.0.2:9505 ← 10.99.0.1:41005 (flow 1): three-way, left half-closed (final states client FIN_WAIT_2, server CLOSE_WAIT)',
      ].join('\n'),
    });
  });

  it('.not inverts (jest\'s this.isNot), with its own message; a bad argument is an error, not a failed assertion', () => {
    const [notClean, notMixed, bad] = jest(['not, on a clean capture', 'not, on a capture with anomalies', 'a number for a capture']);
    expect(notClean).toMatchObject({ pass: false, error: 'JestAssertionError', message: 'expected captures/normal-close-client.pcap to have anomalies, but none of its 1 flow has' });
    expect(notMixed!.pass).toBe(true);
    expect(bad).toMatchObject({ pass: false, error: 'TypeError', message: 'synfin matchers: expected a capture\'s path or an analysis, got number' });
  });

  it('toMatchLifecycleBaseline without a snapshot state: CI set, a missing baseline fails and is not written; off CI it is written, then compared', () => {
    const baseline = join(work, 'baseline.json');
    const [missing] = jest(['the baseline'], { CI: 'true', BASELINE: baseline });
    expect(missing).toEqual({
      name: 'the baseline',
      pass: false,
      error: 'JestAssertionError',
      message: `${baseline} does not exist, and a missing baseline is not written under CI: run the tests locally, or with -u (vitest, jest) or SYNFIN_UPDATE_BASELINES=1, to write it from captures/normal-close-client.pcap, then review it and commit it`,
    });
    expect(existsSync(baseline)).toBe(false);
    expect(jest(['the baseline'], { BASELINE: baseline })[0]!.pass).toBe(true);
    expect(existsSync(baseline)).toBe(true);
    const [same, changed] = jest(['the baseline', 'the baseline, by a changed run'], { CI: 'true', BASELINE: baseline });
    expect(same!.pass).toBe(true);
    expect(changed).toMatchObject({ pass: false, error: 'JestAssertionError' });
    const lines = changed!.message!.split('\n');
    expect(lines[0]).toBe(`expected captures/lost-final-ack.pcap to open and close its connections as ${baseline} says (1 flow there, 1 here); 1 difference:`);
    expect(lines[1]).toMatch(/^ {2}\S+ ← \S+ \(flow 1, baseline flow 1\): new fin-retransmit \(warning\); new last-ack-lost/);
  });

  it('SYNFIN_UPDATE_BASELINES=1 writes the baseline under CI too', () => {
    const baseline = join(work, 'updated.json');
    expect(jest(['the baseline'], { CI: 'true', BASELINE: baseline, SYNFIN_UPDATE_BASELINES: '1' })[0]!.pass).toBe(true);
    expect(existsSync(baseline)).toBe(true);
  });
});
