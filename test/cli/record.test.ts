/**
 * `synfin record -- COMMAND` (src/cli/record.ts): tcpdump on loopback around
 * a real command, whose connections then appear; the command's exit status
 * is passed through; --baseline and --fail-on fail a run that changed or
 * leaked a socket. The commands (test/fixtures/record/) talk to 127.0.0.1
 * only, on one port the filter keeps, so nothing else on lo is recorded.
 */

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/free-port.ts';

const hasTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;
const work = mkdtempSync(join(tmpdir(), 'synfin-record-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));


interface Run { readonly status: number | null; readonly stdout: string; readonly stderr: string }

/** `synfin record --filter 'tcp port PORT' ARGS -- node FIXTURE PORT ...`. */
async function record(port: number, args: string[], fixture: string, ...extra: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['bin/synfin.js', 'record', '--filter', `tcp port ${port}`, ...args, '--', process.execPath, `test/fixtures/record/${fixture}.mjs`, String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const [status] = await once(child, 'close') as [number | null];
  return { status, stdout, stderr };
}

describe.skipIf(!hasTcpdump)('synfin record on lo (skipped when tcpdump is not installed)', () => {
  // A port of its own for each test, and a new one after a leaking run: the leaked server lives
  // on for 2 s, and its socket's end, caught by the next capture on its port, is another flow.
  let port = 0;
  beforeEach(async () => { port = await freePort(); });

  it('runs the command once tcpdump listens; its connection appears on stderr, its stdout stays its own, its status is passed through', async () => {
    const r = await record(port, [], 'clean', '3');
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('done\n');
    // tcpdump's "listening on" came before the command ran, the table after it.
    expect(r.stderr).toMatch(/tcpdump: listening on lo/);
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:\\d+ +→ +127\\.0\\.0\\.1:${port} .*three-way → (four-way|three-segment) \\(client first\\)`));
    expect(r.stderr).toMatch(/ TCP segments, 1 flow\n/);
  });

  it('-o keeps the whole capture: both FINs and the last ACK are in it', async () => {
    const file = join(work, 'kept.pcap');
    const r = await record(port, ['-o', file, '-q'], 'clean');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const flows = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--format', 'json', file], { encoding: 'utf8' });
    const [flow] = JSON.parse(flows.stdout).flows;
    expect(flow.handshake.kind).toBe('three-way');
    expect(flow.client.final_state).toBe('TIME_WAIT');
    expect(flow.server.final_state).toBe('CLOSED');
  });

  it('--baseline: a run like it exits 0; a leaked socket exits 1 and says what changed', async () => {
    const base = join(work, 'base.pcap');
    expect((await record(port, ['-o', base, '-q'], 'clean')).status).toBe(0);
    const same = await record(port, ['--baseline', base, '-q'], 'clean');
    expect(same.stderr).toMatch(/^synfin: diff: no differences: .*base\.pcap \(1 flow\) vs this run \(1 flow\)/m);
    expect(same.status).toBe(0);
    const leak = await record(port, ['--baseline', base, '-q'], 'half-closed');
    expect(leak.status).toBe(1);
    expect(leak.stderr).toMatch(/synfin: diff: .*close (four-way|three-segment) → half-closed/);
    expect(leak.stderr).toMatch(/server\.final_state CLOSED → CLOSE_WAIT/);
  });

  it('--fail-on: a socket left in CLOSE_WAIT exits 1 naming the flow; a clean run exits 0', async () => {
    const leak = await record(port, ['--fail-on', 'state=CLOSE_WAIT'], 'half-closed');
    expect(leak.status).toBe(1);
    expect(leak.stderr).toMatch(/half-closed \(client first\) +FIN_WAIT_2\/CLOSE_WAIT/);
    expect(leak.stderr).toMatch(new RegExp(`synfin: --fail-on: flow 1 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${port} matched state=CLOSE_WAIT\\n`));
    const clean = await record(await freePort(), ['--fail-on', 'state=CLOSE_WAIT', '-q'], 'clean');
    expect(clean.status).toBe(0);
  });

  it('the command\'s failure wins over the gates: its status, not 1', async () => {
    const r = await record(port, ['--fail-on', 'handshake=three-way', '-q'], 'clean', '5');
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/matched handshake=three-way/);
  });

  it('--format junit: the gates as JUnit XML on stdout, valid against the schema; the command\'s stdout goes to stderr', async () => {
    const r = await record(port, ['--format', 'junit', '--fail-on', 'state=CLOSE_WAIT', '-q'], 'half-closed');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^<\?xml/);
    expect(r.stdout).toMatch(new RegExp(`<testcase name="127\\.0\\.0\\.1:${port} ← 127\\.0\\.0\\.1:\\d+ \\(flow 1\\)" classname="synfin\\.record" time="[0-9.]+">\\n\\s*<failure message="matched state=CLOSE_WAIT: server\\.final_state CLOSE_WAIT" type="fail-on">`));
    const xml = join(work, 'record.xml');
    writeFileSync(xml, r.stdout);
    expect(spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit.xsd', xml], { encoding: 'utf8' }).status).toBe(0);
    const clean = await record(await freePort(), ['--format', 'junit', '--fail-on', 'state=CLOSE_WAIT', '-q'], 'clean');
    expect(clean.stderr).toBe('done\n');
    expect(clean.stdout).toContain('tests="1" failures="0"');
  });
});

describe('synfin record, refused before anything runs', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['bin/synfin.js', 'record', ...args], { encoding: 'utf8' });

  it('a bad --fail-on, a junit report with no gate, a baseline that cannot be read: exit 2, one line', () => {
    const marker = join(work, 'ran');
    const touch = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`];
    for (const args of [['--fail-on', 'stuck-closewait'], ['--format', 'junit'], ['--baseline', join(work, 'missing.json')]]) {
      const r = run([...args, ...touch]);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('no command: a usage error', () => {
    expect(run([]).status).toBe(2);
  });
});
