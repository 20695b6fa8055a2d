/**
 * Memory follows the connections open at once, not the capture's length
 * (docs/design.md "Speed and memory"): the same workload at 1× and 4× its length
 * must peak at about the same RSS, on one thread and with workers. A leak
 * that keeps what was read (as a Promise.race against one long-lived promise
 * once kept every batch of frames: 1.6 GB on the bench capture) fails here
 * at once. Peak RSS is the process's own, workers included: its VmHWM
 * (/proc/self/status). getrusage's maxRSS in a spawned child starts from the
 * parent's RSS at the fork, here the test runner's, so the comparison
 * depended on how big the runner happened to be at each spawn.
 * The bench (`npm run bench`) measures the same at 2 M packets; this is its
 * small, always-run version.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../scripts/bench/generate.ts';

const dir = mkdtempSync(join(tmpdir(), 'synfin-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Prints the process's peak RSS (kB) on standard error as it exits: VmHWM where there is one (Linux), else maxRSS. */
const preload = join(dir, 'peak-rss.cjs');
writeFileSync(preload, [
  "process.on('exit', () => {",
  "  const fs = require('node:fs');",
  "  let kb = process.resourceUsage().maxRSS;",
  "  try { kb = Number(/VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}",
  "  fs.writeSync(2, `\\npeak-rss-kb ${kb}\\n`);",
  '});',
  '',
].join('\n'));

function capture(scale: number): string {
  const path = join(dir, `short-x${scale}.pcap`);
  const chunks: Buffer[] = [];
  generateCapture({ seed: 3, packets: 100_000, scale, workload: 'short', concurrency: 500 }, { pcap: (c) => chunks.push(c) });
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

function peakRssMb(file: string, args: readonly string[]): number {
  const r = spawnSync(process.execPath, ['-r', preload, resolve('bin/synfin.js'), 'flows', ...args, file], {
    encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'],
  });
  expect(r.status).toBe(0);
  const kb = /peak-rss-kb (\d+)/.exec(r.stderr)?.[1];
  expect(kb).toBeDefined();
  return Number(kb) / 1024;
}

describe('peak memory does not grow with the capture', () => {
  const short = capture(1);
  const long = capture(4);

  it.each([
    ['json, one thread', ['--format', 'json', '--jobs', '1']],
    ['ndjson, one thread', ['--format', 'ndjson', '--jobs', '1']],
    ['json, two workers', ['--format', 'json', '--jobs', '2']],
  ])('%s: 4× the length peaks within 25 % (+16 MB) of 1×', (_name, args) => {
    const one = peakRssMb(short, args);
    const four = peakRssMb(long, args);
    expect(four, `1×: ${one.toFixed(0)} MB, 4×: ${four.toFixed(0)} MB`).toBeLessThan(one * 1.25 + 16);
  });
});
