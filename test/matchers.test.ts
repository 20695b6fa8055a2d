/**
 * `synfin/vitest`: the matchers, run by vitest itself on committed captures,
 * passing and failing, with the account each failure gives.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synfinMatchers } from '../src/vitest.ts';
import { synfinMatchers as built } from 'synfin/vitest';

expect.extend(synfinMatchers);

const work = mkdtempSync(join(tmpdir(), 'synfin-matchers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The message a failing assertion throws. */
async function failure(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

describe('toHaveNoAnomalies', () => {
  it('passes on a clean capture, and .not says so when it would', async () => {
    await expect('captures/normal-close-client.pcap').toHaveNoAnomalies();
    expect(await failure(expect('captures/normal-close-client.pcap').not.toHaveNoAnomalies()))
      .toBe('expected captures/normal-close-client.pcap to have anomalies, but none of its 1 flow has');
  });

  it('fails with one line per flow: server ← client, flow id, each anomaly\'s message', async () => {
    const message = await failure(expect('captures/demo-mixed.pcap').toHaveNoAnomalies());
    const lines = message.split('\n');
    expect(lines[0]).toBe('expected captures/demo-mixed.pcap to have no anomalies; 4 flows of 5 had:');
    expect(lines[1]).toMatch(/^ {2}10\.99\.0\.2:9603 ← 10\.99\.0\.1:41603 \(flow 1\): stuck-close-wait \(warning\): server 10\.99\.0\.2:9603 was still in CLOSE_WAIT .*; stuck-fin-wait-2 \(warning\): /);
    expect(lines[2]).toMatch(/^ {2}10\.99\.0\.2:9602 ← 10\.99\.0\.1:41602 \(flow 3\): connection-refused \(error\): server 10\.99\.0\.2:9602 answered the SYN with RST/);
    expect(lines).toHaveLength(5);
  });

  it('counts only anomalies at or above the severity asked for, and leaves out ignored codes', async () => {
    const message = await failure(expect('captures/demo-mixed.pcap').toHaveNoAnomalies({ severity: 'error' }));
    expect(message.split('\n')[0]).toBe('expected captures/demo-mixed.pcap to have no anomalies of severity error or above; 2 flows of 5 had:');
    expect(message).toContain('10.99.0.2:9602 ← 10.99.0.1:41602 (flow 3): connection-refused (error)');
    expect(message).toContain('10.99.0.3:9605 ← 10.99.0.1:41605 (flow 5): syn-unanswered (error)');
    await expect('captures/demo-mixed.pcap').toHaveNoAnomalies({ severity: 'error', ignore: ['syn-unanswered', 'connection-refused'] });
  });

  it('analyses with the library\'s --stuck-after default (5 s), and takes another', async () => {
    // stuck-close-wait.pcap ends 43 ms into CLOSE_WAIT: not stuck by default.
    await expect('captures/stuck-close-wait.pcap').toHaveNoAnomalies();
    const message = await failure(expect('captures/stuck-close-wait.pcap').toHaveNoAnomalies({ stuckAfter: 0.01 }));
    expect(message).toContain('10.99.0.2:9505 ← 10.99.0.1:41005 (flow 1): stuck-close-wait (warning)');
  });

  it('takes an analysis already made, and refuses anything else', async () => {
    const { analyzeFile } = await import('../src/index.ts');
    await expect(await analyzeFile('captures/normal-close-client.pcap')).toHaveNoAnomalies();
    await expect(expect(42).toHaveNoAnomalies()).rejects.toThrow(/expected a capture's path or an analysis, got number/);
  });
});

describe('toHaveCleanCloses', () => {
  it('passes on four-way and three-segment closes', async () => {
    await expect('captures/normal-close-client.pcap').toHaveCleanCloses();
    await expect('captures/three-segment-close.pcap').toHaveCleanCloses();
  });

  it('fails on a flow left half-closed, naming it and its final states', async () => {
    const message = await failure(expect('captures/stuck-close-wait.pcap').toHaveCleanCloses());
    expect(message).toBe([
      'expected every established connection in captures/stuck-close-wait.pcap to close cleanly (four-way, three-segment or simultaneous); 1 flow of 1 did not:',
      '  10.99.0.2:9505 ← 10.99.0.1:41005 (flow 1): three-way, left half-closed (final states client FIN_WAIT_2, server CLOSE_WAIT)',
    ].join('\n'));
  });

  it('fails on a reset, and leaves refused and unanswered attempts out (they never were established)', async () => {
    const reset = await failure(expect('captures/rst-linger0.pcap').toHaveCleanCloses());
    expect(reset).toMatch(/\(flow 1\): three-way, reset by (client|server) \(final states/);
    const mixed = await failure(expect('captures/demo-mixed.pcap').toHaveCleanCloses());
    expect(mixed.split('\n')).toEqual([
      'expected every established connection in captures/demo-mixed.pcap to close cleanly (four-way, three-segment or simultaneous); 1 flow of 3 did not:',
      expect.stringMatching(/^ {2}10\.99\.0\.2:9603 ← 10\.99\.0\.1:41603 \(flow 1\): three-way, left half-closed \(final states client FIN_WAIT_2, server CLOSE_WAIT\); stuck-close-wait \(warning\): .*; stuck-fin-wait-2 \(warning\): /),
    ]);
  });
});

/** Runs `body` with the environment variable CI set to `value` (undefined: unset), as a CI server or a laptop would have it. */
async function withCi<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
}

// The baselines these tests compare against are written with { update: true }: a missing one is not written under CI.
describe('toMatchLifecycleBaseline', () => {
  const match = synfinMatchers.toMatchLifecycleBaseline;

  it('writes a missing baseline as `synfin flows --format json` prints it, then passes against it (outside CI)', async () => {
    const baseline = join(work, 'new', 'baseline.json');
    // As vitest and jest run it outside CI: their snapshot state writes what is missing.
    const written = await match.call({ snapshotState: { _updateSnapshot: 'new' } }, 'captures/normal-close-client.pcap', baseline);
    expect(written.pass).toBe(true);
    expect(written.message()).toBe(`${baseline} was written from captures/normal-close-client.pcap: nothing to compare against`);
    const cli = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--format', 'json', 'captures/normal-close-client.pcap'], { encoding: 'utf8' });
    expect(JSON.parse(readFileSync(baseline, 'utf8')).flows).toEqual(JSON.parse(cli.stdout).flows);
    await expect('captures/normal-close-client.pcap').toMatchLifecycleBaseline(baseline);
    // A runner without a snapshot state (jest's standalone expect) off CI writes it too.
    const other = join(work, 'new', 'no-state.json');
    expect((await withCi(undefined, () => match.call({}, 'captures/normal-close-client.pcap', other))).pass).toBe(true);
    expect(existsSync(other)).toBe(true);
  });

  it('under CI, a missing baseline fails, even under .not, saying how to write it, and is not written', async () => {
    const baseline = join(work, 'ci', 'baseline.json');
    const expected = `${baseline} does not exist, and a missing baseline is not written under CI: run the tests locally, or with -u (vitest, jest) or SYNFIN_UPDATE_BASELINES=1, to write it from captures/normal-close-client.pcap, then review it and commit it`;
    // vitest's and jest's snapshot state under CI ('none'), whatever CI says.
    const none = await withCi(undefined, () => match.call({ snapshotState: { _updateSnapshot: 'none' } }, 'captures/normal-close-client.pcap', baseline));
    expect(none.pass).toBe(false);
    expect(none.message()).toBe(expected);
    // No snapshot state: the CI variable decides, as vitest's and jest's CI defaults read it.
    for (const ci of ['true', '1']) {
      expect((await withCi(ci, () => match.call({}, 'captures/normal-close-client.pcap', baseline))).pass).toBe(false);
    }
    expect((await withCi('true', () => match.call({ isNot: true }, 'captures/normal-close-client.pcap', baseline))).pass).toBe(true);
    expect(existsSync(baseline)).toBe(false);
    // CI=false is no CI; an update (-u, SYNFIN_UPDATE_BASELINES=1, the option) writes it under CI as anywhere.
    expect((await withCi('false', () => match.call({}, 'captures/normal-close-client.pcap', join(work, 'ci', 'false.json')))).pass).toBe(true);
    const updated = await withCi('true', () => match.call({ snapshotState: { _updateSnapshot: 'all' } }, 'captures/normal-close-client.pcap', baseline));
    expect(updated.pass).toBe(true);
    expect(existsSync(baseline)).toBe(true);
  });

  it('fails with the diff\'s changes, one line per flow', async () => {
    const baseline = join(work, 'normal.json');
    await expect('captures/normal-close-client.pcap').toMatchLifecycleBaseline(baseline, { update: true });
    const message = await failure(expect('captures/lost-final-ack.pcap').toMatchLifecycleBaseline(baseline, { match: 'order' }));
    const lines = message.split('\n');
    expect(lines[0]).toBe(`expected captures/lost-final-ack.pcap to open and close its connections as ${baseline} says (1 flow there, 1 here); 1 difference:`);
    expect(lines[1]).toMatch(/^ {2}\S+ ← \S+ \(flow 1, baseline flow 1\): new fin-retransmit \(warning\); new last-ack-lost/);
    expect(lines).toHaveLength(2);
    await expect('captures/lost-final-ack.pcap').toMatchLifecycleBaseline(baseline, { match: 'order', ignore: ['fin-retransmit', 'last-ack-lost'] });
  });

  it('names flows missing from the run and flows the baseline does not have', async () => {
    const baseline = join(work, 'mixed.json');
    await expect('captures/demo-mixed.pcap').toMatchLifecycleBaseline(baseline, { update: true });
    const message = await failure(expect('captures/normal-close-client.pcap').toMatchLifecycleBaseline(baseline));
    expect(message).toContain('10.99.0.2:9603 ← 10.99.0.1:41603 (baseline flow 1): missing from this run (was three-way → half-closed)');
    expect(message).toContain('10.99.0.2:9501 ← 10.99.0.1:41001 (flow 1): not in the baseline (three-way → four-way)');
  });

  it('rewrites the baseline in update mode (vitest -u, the option, or SYNFIN_UPDATE_BASELINES=1)', async () => {
    const baseline = join(work, 'update.json');
    await expect('captures/demo-mixed.pcap').toMatchLifecycleBaseline(baseline, { update: true });
    // As vitest -u runs the matcher: its snapshot state updates all.
    const updated = await synfinMatchers.toMatchLifecycleBaseline.call({ snapshotState: { _updateSnapshot: 'all' } }, 'captures/normal-close-client.pcap', baseline);
    expect(updated.pass).toBe(true);
    expect(JSON.parse(readFileSync(baseline, 'utf8')).flows).toHaveLength(1);
    process.env.SYNFIN_UPDATE_BASELINES = '1';
    try {
      await expect('captures/demo-mixed.pcap').toMatchLifecycleBaseline(baseline);
    } finally {
      delete process.env.SYNFIN_UPDATE_BASELINES;
    }
    expect(JSON.parse(readFileSync(baseline, 'utf8')).flows).toHaveLength(5);
    await expect('captures/normal-close-client.pcap').toMatchLifecycleBaseline(baseline, { update: true });
    await expect('captures/normal-close-client.pcap').toMatchLifecycleBaseline(baseline);
  });

  it('refuses a baseline that is not a saved flows output', async () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"nothing": 1}');
    await expect(expect('captures/normal-close-client.pcap').toMatchLifecycleBaseline(bad)).rejects.toThrow(/has no "flows" list/);
    expect(existsSync(bad)).toBe(true);
  });
});

describe('the package export synfin/vitest', () => {
  it('is the built matchers, importing the library rather than bundling a second copy', () => {
    expect(Object.keys(built).sort()).toEqual(['toHaveCleanCloses', 'toHaveNoAnomalies', 'toMatchLifecycleBaseline']);
    expect(readFileSync('dist/vitest.js', 'utf8')).toMatch(/from"\.\/index\.js"/);
  });
});
