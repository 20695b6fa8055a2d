/**
 * `synfin diff` as a CI job runs it: yesterday's baseline JSON against today's
 * capture, where the server port is fixed and the client port, ISNs and times
 * change. Two kinds of re-recording: real ones (test/fixtures/ci, the same
 * integration test recorded twice on lo by its record.sh) and ones made from
 * committed kernel captures by test/fixtures/rerecord.ts. Exit 0 equal,
 * 1 different, 2 bad input, each spawned like `npx synfin`.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rerecord } from '../fixtures/rerecord.ts';

function synfin(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, ['bin/synfin.js', ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'synfin-cli-diff-'));
const baseline = join(dir, 'baseline.json');
const baselineNd = join(dir, 'baseline.ndjson');
const today = join(dir, 'today.pcap');
const broken = join(dir, 'today-lost-ack.pcap');

// Yesterday: the integration run's capture saved as JSON (with --events, as the goldens are).
writeFileSync(baseline, synfin(['flows', '--format', 'json', '--events', 'captures/normal-close-client.pcap']).stdout);
writeFileSync(baselineNd, synfin(['flows', '--format', 'ndjson', 'captures/normal-close-client.pcap']).stdout);
// Today, all is well: a new client port, new ISNs, a day later.
rerecord('captures/normal-close-client.pcap', today, {
  serverPort: 9501, ports: { 41001: 38211 }, clientIsnShift: 1_000_003, serverIsnShift: 2_000_029, seconds: 86_400,
});
// Today, the final ACK is lost: lost-final-ack.pcap on the service's port 9501, another client port.
rerecord('captures/lost-final-ack.pcap', broken, { serverPort: 9512, ports: { 9512: 9501, 41012: 50123 }, seconds: 86_400 });

describe('exit statuses', () => {
  it('a capture against itself: 0, and says so', () => {
    const r = synfin(['diff', 'captures/normal-close-client.pcap', 'captures/normal-close-client.pcap']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('no differences: captures/normal-close-client.pcap (1 flow) vs captures/normal-close-client.pcap (1 flow), 1 matched by server address and port, client address and order\n');
  });

  it('two real runs of one integration test (test/fixtures/ci: new client ports and ISNs, server on 18080): 0', () => {
    const ports = (f: string): number[] => JSON.parse(synfin(['flows', '--format', 'json', f]).stdout).flows.map((x: { client: { port: number } }) => x.client.port);
    const yesterday = ports('test/fixtures/ci/yesterday.pcap');
    const todays = ports('test/fixtures/ci/today.pcap');
    expect(yesterday).toHaveLength(3);
    expect(todays.filter((p) => yesterday.includes(p))).toEqual([]);
    const r = synfin(['diff', 'test/fixtures/ci/yesterday.pcap', 'test/fixtures/ci/today.pcap']);
    expect(r.stdout).toMatch(/^no differences: .* 3 matched by server address and port/);
    expect(r.status).toBe(0);
  });

  it('a real run with a leaked server socket (test/fixtures/ci/stuck.pcap): 1, on the third connection only', () => {
    const r = synfin(['diff', 'test/fixtures/ci/yesterday.pcap', 'test/fixtures/ci/stuck.pcap']);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1).every((l) => l.startsWith('127.0.0.1 → 127.0.0.1:18080 (A#3, B#3): '))).toBe(true);
    expect(lines.slice(0, -1).map((l) => l.split(': ')[1])).toEqual([
      'close three-segment → half-closed',
      'client.final_state TIME_WAIT → FIN_WAIT_2',
      'server.final_state CLOSED → CLOSE_WAIT',
      'client.outcome EOF → closed',
    ]);
  });

  it('baseline JSON vs a re-recording with a new client port and ISNs: 0', () => {
    const r = synfin(['diff', baseline, today]);
    expect(r.stdout).toMatch(/^no differences: /);
    expect(r.status).toBe(0);
  });

  it('the same with an ndjson baseline, and with the capture on standard input', () => {
    expect(synfin(['diff', baselineNd, today]).status).toBe(0);
    expect(synfin(['diff', baseline, '-'], readFileSync(today)).status).toBe(0);
    expect(synfin(['diff', '-', today], readFileSync(baseline)).status).toBe(0);
  });

  it('a saved document is read a flow at a time: compact, pretty, with a byte-order mark, all the same', () => {
    const doc = JSON.parse(readFileSync(baseline, 'utf8')) as unknown;
    const compact = join(dir, 'compact.json');
    const bom = join(dir, 'bom.json');
    writeFileSync(compact, JSON.stringify(doc));
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(baseline)]));
    const expected = synfin(['diff', '--format', 'json', baseline, broken]);
    expect(expected.status).toBe(1);
    for (const file of [compact, bom]) {
      const r = synfin(['diff', '--format', 'json', file, broken]);
      expect([r.status, r.stdout.replaceAll(file, baseline)]).toEqual([1, expected.stdout]);
    }
  });

  it('baseline vs the same exchange with the final ACK lost: 1, naming exactly that change', () => {
    const r = synfin(['diff', baseline, broken]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      '10.99.0.1 → 10.99.0.2:9501 (A#1, B#1): anomaly added fin-retransmit (warning, server, B frame 12)',
      '10.99.0.1 → 10.99.0.2:9501 (A#1, B#1): anomaly added last-ack-lost (warning, server, B frame 12)',
      `1 changed, 0 only in A, 0 only in B: ${baseline} (1 flow) vs ${broken} (1 flow), 1 matched by server address and port, client address and order`,
      '',
    ]);
  });

  it('--format json says the same, and --ignore can accept the change', () => {
    const r = synfin(['diff', '--format', 'json', baseline, broken]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ schema: 2, a: baseline, b: broken, equal: false, match: 'server', matched: 1 });
    expect(out.changed[0].anomalies_added.map((a: { code: string }) => a.code)).toEqual(['fin-retransmit', 'last-ack-lost']);
    expect(synfin(['diff', '--ignore', 'last-ack-lost,fin-retransmit', baseline, broken]).status).toBe(0);
  });

  it('--match strict compares 4-tuples: the new client port makes it a different flow', () => {
    const r = synfin(['diff', '--match', 'strict', baseline, today]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('10.99.0.1:41001 → 10.99.0.2:9501 (A#1, B -): only in A: three-way → four-way');
    expect(r.stdout).toContain('10.99.0.1:38211 → 10.99.0.2:9501 (A -, B#1): only in B: three-way → four-way');
  });

  it('--match order pairs the committed captures, whose server ports differ', () => {
    expect(synfin(['diff', '--match', 'order', 'captures/normal-close-client.pcap', 'captures/any-sll2-normal-close.pcap']).status).toBe(0);
    const r = synfin(['diff', '--match', 'order', 'captures/normal-close-client.pcap', 'captures/lost-final-ack.pcap']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('10.99.0.1 → 10.99.0.2:9501 (A#1) ≈ 10.99.0.1 → 10.99.0.2:9512 (B#1): anomaly added last-ack-lost');
  });

  it('--rtt-tolerance: RTT differences count only when asked for', () => {
    // Baseline and re-recording share their RTT to the microsecond; a 0 tolerance still finds nothing.
    expect(synfin(['diff', '--rtt-tolerance', '0ms', baseline, today]).status).toBe(0);
    const r = synfin(['diff', '--match', 'order', '--rtt-tolerance', '1%', 'captures/normal-close-client.pcap', 'captures/any-sll2-normal-close.pcap']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/: rtt_ms [\d.]+ ms → [\d.]+ ms\n/);
  });
});

describe('bad input: one line on stderr, exit 2', () => {
  const garbled = join(dir, 'garbled.json');
  writeFileSync(garbled, '{\n  "schema": 1,\n  "flows": [\n');
  const newer = join(dir, 'newer.json');
  writeFileSync(newer, JSON.stringify({ schema: 3, captures: [], summary: {}, flows: [] }));
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['diff', join(dir, 'nope.pcap'), today], /nope\.pcap: .*no such file/i],
    ['an unreadable capture', ['diff', 'captures/bad/err-caplen-huge.pcap', today], /record 1 at byte 24: caplen 4294967295/],
    ['broken JSON', ['diff', garbled, today], /garbled\.json: not valid JSON/],
    ['a newer schema', ['diff', newer, today], /newer\.json: schema 3 is newer than this synfin reads \(2\)/],
    ['a bad --rtt-tolerance', ['diff', '--rtt-tolerance', 'fast', baseline, today], /--rtt-tolerance takes a time .* got 'fast'/],
    ['an unknown --ignore entry', ['diff', '--ignore', 'lastackloss', baseline, today], /--ignore: 'lastackloss' is neither a field/],
    ['both on standard input', ['diff', '-', '-'], /only one of A and B can be -/],
  ];
  it.each(cases)('%s', (_, args, message) => {
    const r = synfin(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^synfin: /);
    expect(lines[0]).toMatch(message);
  });

  it('bad usage exits 2', () => {
    expect(synfin(['diff', baseline]).status).toBe(2);
    expect(synfin(['diff', '--match', 'fuzzy', baseline, today]).status).toBe(2);
    expect(synfin(['diff', '--format', 'xml', baseline, today]).status).toBe(2);
  });
});

/**
 * docs/regression.md pastes real output in ```console blocks: `$ synfin …`
 * (optionally `> file`) and `$ echo $?`, each followed by what it printed
 * (stdout, then stderr). They are run here, in order, in a directory whose
 * `captures` is the repository's, so the page cannot drift from the program.
 */
describe('docs/regression.md transcripts', () => {
  const doc = readFileSync('docs/regression.md', 'utf8');
  const blocks = [...doc.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const work = mkdtempSync(join(tmpdir(), 'synfin-regression-doc-'));
  symlinkSync(resolve('captures'), join(work, 'captures'));
  mkdirSync(join(work, 'test/fixtures'), { recursive: true });
  symlinkSync(resolve('test/fixtures/ci'), join(work, 'test/fixtures/ci'));
  const bin = resolve('bin/synfin.js');
  let status: number | null = null;

  it('has transcripts to check', () => {
    expect(blocks.length).toBeGreaterThan(8);
  });

  it.each(blocks.map((b, i) => [i + 1, b] as const))('transcript %i', (_, block) => {
    const lines = block.split('\n');
    lines.pop();
    for (let i = 0; i < lines.length;) {
      const command = lines[i]!;
      expect(command.startsWith('$ ')).toBe(true);
      let j = i + 1;
      while (j < lines.length && !lines[j]!.startsWith('$ ')) j++;
      const expected = lines.slice(i + 1, j).map((l) => `${l}\n`).join('');
      if (command === '$ echo $?') {
        expect(`${status}\n`).toBe(expected);
      } else {
        const words = [...command.slice(2).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
        expect(words[0]).toBe('synfin');
        const redirect = words.indexOf('>');
        const args = redirect === -1 ? words.slice(1) : words.slice(1, redirect);
        const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', timeout: 20_000 });
        if (redirect !== -1) writeFileSync(join(work, words[redirect + 1]!), r.stdout);
        status = r.status;
        expect(`${command}\n${redirect === -1 ? r.stdout : ''}${r.stderr}`).toBe(`${command}\n${expected}`);
      }
      i = j;
    }
  });
});
