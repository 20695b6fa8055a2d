/**
 * A capture whose time runs backwards (a clock stepped back while capturing):
 * synfin warns at the frame where it happened, as tshark's negative
 * frame.time_delta shows it, and never prints a negative duration or wait.
 * Crafted from stuck-close-wait.pcap: frame 9 stamped a second earlier, before
 * frame 8's FIN (so the CLOSE_WAIT would have lasted -957 ms).
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { writeTmp } from '../capture/build.ts';

function backwards(): string {
  const b = Buffer.from(readFileSync('captures/stuck-close-wait.pcap'));
  for (let at = 24, n = 1; at < b.length; n++) {
    if (n === 9) b.writeUInt32LE(b.readUInt32LE(at) - 1, at);
    at += 16 + b.readUInt32LE(at + 8);
  }
  return writeTmp('time-backwards.pcap', b);
}

const WARNING = /^synfin: warning: the capture's time went backwards at frame 9 \(0\.957142 s before an earlier frame\): /m;

function synfin(args: string[]) {
  return spawnSync(process.execPath, ['bin/synfin.js', ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('time that runs backwards', () => {
  const file = backwards();

  it.each([
    [['flows', '--stuck-after', '0']],
    [['flows', '--format', 'csv']],
    [['flows', '--format', 'zeek']],
    [['explain', '--stuck-after', '0']],
    [['netstat']],
    [['netstat', '--over-time', '0.0001']],
  ])('%j: a warning naming the frame, no negative duration', (args) => {
    const r = synfin([...args, file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(WARNING);
    // No minus before a number anywhere: durations, waits, seconds into the capture.
    expect(r.stdout).not.toMatch(/(^|[\s(≥,+])-\d/m);
  });

  it('the JSON has no negative duration, wait or time offset', async () => {
    const r = await analyzeFile(file, { stuckAfter: 0, events: true });
    expect(r.warnings.some((w) => w.startsWith("the capture's time went backwards at frame 9"))).toBe(true);
    const f = r.flows[0]!;
    expect(f.duration_s).toBeGreaterThanOrEqual(0);
    for (const a of f.anomalies) {
      expect(a.message).not.toMatch(/-\d/);
      const waited = a.details?.['waited_s'];
      if (typeof waited === 'number') expect(waited).toBeGreaterThanOrEqual(0);
    }
    for (const z of f.zeek) expect(z.duration ?? 0).toBeGreaterThanOrEqual(0);
    // The events keep the file's order; frame 9 is at the latest time seen, frame 8's.
    const t = (f.events ?? []).map((e) => e.time);
    expect(t[8]).toBe(t[7]);
  });
});
