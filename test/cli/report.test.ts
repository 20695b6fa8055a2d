/**
 * `synfin report` and `explain --svg`'s companions as a user meets them
 * through `bin/synfin.js`: `-o -` is standard output, the help says what is
 * required and offers nothing that does nothing, a page read from standard
 * input says so, counts are singular when they are one, and `--states` or
 * `--out` without `--svg` is refused rather than ignored.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { reportHtml } from '../../src/report/html.ts';
import { formatText } from '../../src/report/text.ts';

function synfin(args: string[], input?: Buffer, cwd?: string) {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/synfin.js'), ...args], { encoding: 'utf8', timeout: 30_000, input, cwd: cwd ?? process.cwd() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'synfin-report-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synfin report', () => {
  it('-o - writes the page to standard output, and no file named -', () => {
    const r = synfin(['report', join(process.cwd(), 'captures/refused.pcap'), '-o', '-'], undefined, dir);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(r.stdout.trimEnd().endsWith('</html>')).toBe(true);
    expect(existsSync(join(dir, '-'))).toBe(false);
    expect(r.stderr).toBe('synfin: wrote the report to standard output (1 flow)\n');
  });

  it('--help says -o is required and offers no --color', () => {
    const r = synfin(['report', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/-o, --output <file>\s+required:/);
    expect(r.stdout).not.toContain('--color');
    expect(r.stdout).toContain('--quiet');
  });

  it('a page made from standard input is titled "standard input"', () => {
    const r = synfin(['report', '-', '-o', '-'], readFileSync('captures/refused.pcap'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('<title>synfin report: standard input</title>');
    expect(r.stdout).toContain('<h1>synfin report: standard input</h1>');
  });

  it('says "1 flow", never "1 flows"', async () => {
    const result = await analyzeFile('captures/refused.pcap', { events: true });
    const html = reportHtml(result, 'refused.pcap');
    expect(html).toContain('<span id="flow-total">1</span> flow</h2>');
    expect(html).not.toMatch(/\b1 flows/);
    expect(formatText(result)).not.toMatch(/\b1 flows/);
    const file = join(dir, 'one.html');
    expect(synfin(['report', 'captures/refused.pcap', '-o', file]).stderr).toBe(`synfin: wrote ${file} (1 flow)\n`);
  });

  it('counts anomalies as the flows table does: occurrences, labelled so', async () => {
    const result = await analyzeFile('captures/demo-mixed.pcap', { events: true });
    const html = reportHtml(result, 'demo-mixed.pcap');
    const text = formatText(result);
    // The CLI: "syn-retransmit 2 ... (2 errors, 6 warnings)".
    expect(text).toContain('syn-retransmit 2');
    expect(text).toContain('(2 errors, 6 warnings)');
    expect(html).toContain('Anomalies (occurrences, as <code>synfin flows</code> counts them)');
    expect(html).toContain('<li><code>syn-retransmit</code> 2</li>');
    expect(html).toContain('<h3 class="sev-error">2 errors</h3>');
    expect(html).toContain('<h3 class="sev-warning">6 warnings</h3>');
  });
});

describe('explain --states and --out need --svg', () => {
  it.each([
    [['--states'], '--states works only with --svg'],
    [['--out', 'x'], '--out works only with --svg'],
    [['--states', '--out', 'x'], '--states and --out work only with --svg'],
  ])('%j is refused with exit 2', (opts, line) => {
    const r = synfin(['explain', ...opts, 'captures/refused.pcap'], undefined);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(line);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });
});
