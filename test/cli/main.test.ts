/**
 * The CLI as a user meets it: exit statuses, one-line errors naming file,
 * record and byte offset, help with examples, standard input, and a pipe
 * closed early. Each case spawns `bin/synfin.js` exactly as `npx synfin` does.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function synfin(args: string[], input?: Buffer) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['bin/synfin.js', ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

describe('bad input: one line on stderr, exit 2, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synfin-cli-'));
  const cases: [string, string, RegExp][] = [
    ['not a capture', 'captures/bad/err-not-a-capture.pcap', /err-not-a-capture\.pcap: .*(magic|not a)/i],
    ['zero-length file', 'captures/bad/err-empty.pcap', /err-empty\.pcap: .*empty/i],
    ['pcapng block length 0', 'captures/bad/err-pcapng-block-len-0.pcapng', /block .* at byte \d+: block length 0/],
    ['pcapng block length 0xFFFFFFFF', 'captures/bad/err-pcapng-block-len-ffffffff.pcapng', /at byte \d+: .*block length/],
    ['record caplen 0xFFFFFFFF', 'captures/bad/err-caplen-huge.pcap', /record 1 at byte 24: caplen 4294967295/],
    ['a directory', 'captures', /captures: .*directory/i],
    ['a missing file', join(dir, 'nope.pcap'), /nope\.pcap: .*(no such|not found|does not exist)/i],
  ];
  it.each(cases)('%s', (_, file, message) => {
    const r = synfin(['flows', file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^synfin: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad usage exits 2', () => {
    expect(synfin(['flows']).status).toBe(2);
    expect(synfin(['flows', '--format', 'xml', 'captures/refused.pcap']).status).toBe(2);
    expect(synfin(['nosuchcommand']).status).toBe(2);
  });

  it('a file cut mid-record is analysed to its last whole record, with a warning, exit 0', () => {
    const r = synfin(['flows', '--format', 'json', 'captures/bad/err-cut-mid-record.pcap']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*err-cut-mid-record\.pcap: record \d+ at byte \d+: .*mid-record/);
    const out = JSON.parse(r.stdout);
    expect(out.captures[0].truncated).toBe(true);
    expect(out.summary.frames).toBeGreaterThan(0);
  });

  it('garbage written to a temp file is refused quickly', () => {
    const f = join(dir, 'random.pcap');
    writeFileSync(f, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff)));
    const r = synfin(['flows', f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/random\.pcap: /);
  });
});

describe('help', () => {
  it('flows --help shows an example and exits 0', () => {
    const r = synfin(['flows', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+synfin flows /);
  });
});

describe('output', () => {
  it('reads standard input with -', () => {
    const viaFile = synfin(['flows', '--format', 'json', 'captures/refused.pcap']);
    const viaStdin = synfin(['flows', '--format', 'json', '-'], readFileSync('captures/refused.pcap'));
    expect(viaStdin.status).toBe(0);
    expect(JSON.parse(viaStdin.stdout).flows).toEqual(JSON.parse(viaFile.stdout).flows);
  });

  it('ndjson prints one parseable flow per line', () => {
    const r = synfin(['flows', '--format', 'ndjson', 'captures/tuple-reuse.pcap']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual([1, 2]);
  });

  it('a reader that closes the pipe early ends it quietly', () => {
    const r = spawnSync('bash', ['-c', 'node bin/synfin.js flows captures/concurrent-200.pcap | head -1; echo "status ${PIPESTATUS[0]}"'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/status 0/);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });

  it('zeek format is a conn.log with one row per flow', () => {
    const r = synfin(['flows', '--format', 'zeek', 'captures/normal-close-client.pcap']);
    const rows = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split('\t')).toContain('SF');
  });
});
