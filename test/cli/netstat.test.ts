/**
 * `synfin netstat --at`: a moment outside the capture is refused with the
 * capture's range (exit 2), and a half-open state held longer than its kernel
 * would hold it is shown as inferred (`*`, as the flows table marks a final
 * state the capture cannot prove).
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeTmp } from '../capture/build.ts';

function synfin(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/synfin.js', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--at outside the capture', () => {
  it.each([
    ['frame:999', /^synfin: --at frame:999 is outside the capture: it has frames 1-38$/],
    ['frame:0', /^synfin: --at frame:0 is outside the capture: it has frames 1-38$/],
    ['2026-11-26T02:00:00Z', /^synfin: --at 2026-11-26T02:00:00\.000000Z is outside the capture: its TCP frames run from 2026-11-26T02:54:14\.713342Z to 2026-11-26T02:54:21\.054849Z \(0 to 6\.341507 s into it\)$/],
    ['7', /^synfin: --at 2026-11-26T02:54:21\.713342Z is outside the capture: its TCP frames run from .* \(0 to 6\.341507 s into it\)$/],
  ])('%s is refused with the range, exit 2', (at, message) => {
    const r = synfin(['netstat', '--at', at, 'captures/demo-mixed.pcap']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd()).toMatch(message);
  });

  it('the first and the last frame, and times at the edges, are inside', () => {
    for (const at of ['frame:1', 'frame:38', '0', '6.341507', '2026-11-26T02:54:21.054849Z']) {
      expect(synfin(['netstat', '--at', at, 'captures/demo-mixed.pcap']).status, at).toBe(0);
    }
  });
});

describe('a SYN_SENT older than connect() lives', () => {
  /** syn-unanswered.pcap, then refused.pcap's connection 995 s after its first SYN: the merged capture lasts that long. */
  function laterCapture(): string {
    const t0 = readFileSync('captures/syn-unanswered.pcap').readUInt32LE(24);
    const b = Buffer.from(readFileSync('captures/refused.pcap'));
    const r0 = b.readUInt32LE(24);
    for (let at = 24; at < b.length; at += 16 + b.readUInt32LE(at + 8)) b.writeUInt32LE(b.readUInt32LE(at) - r0 + t0 + 995, at);
    return writeTmp('refused-995-s-later.pcap', b);
  }

  it('is marked inferred past ~127 s, plain before', () => {
    const later = laterCapture();
    const end = synfin(['netstat', 'captures/syn-unanswered.pcap', later]);
    expect(end.status).toBe(0);
    expect(end.stdout).toMatch(/10\.99\.0\.1:41009 +10\.99\.0\.2:9509 +SYN_SENT\* +994\.7 s \(since frame 1\)/);
    expect(end.stdout).toMatch(/^\* inferred: Linux's connect\(\) gives up on a SYN_SENT socket after about 127 s \(tcp_syn_retries 6\)/m);
    const early = synfin(['netstat', '--at', '100', 'captures/syn-unanswered.pcap', later]);
    expect(early.stdout).toMatch(/SYN_SENT +100\.0 s/);
    expect(early.stdout).not.toMatch(/inferred/);
  });
});

describe('a reused tuple holds one socket: the new connection replaces the old one\'s TIME_WAIT', () => {
  // tuple-reuse.pcap: 10.99.0.1:41016 connects to 10.99.0.2:9516 twice; the server's TIME_WAIT
  // from the first connection is gone once the second one opens (the kernel reuses the tuple).
  it('at the end, only the second connection\'s sockets are listed', () => {
    const r = synfin(['netstat', 'captures/tuple-reuse.pcap']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Active Internet connections on 10.99.0.2\n(no connection sockets)\n');
    expect(r.stdout.match(/TIME_WAIT/g)).toHaveLength(1);
  });

  it('--over-time counts one socket per tuple at each moment', () => {
    const r = synfin(['netstat', '--over-time', 'captures/tuple-reuse.pcap']);
    expect(r.status).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows.at(-2)).toMatch(/^0\.721688 +20 +2 +1 +1 +0$/);
    expect(rows.at(-1)).toMatch(/^0\.801876 +22 +1 +0 +0 +1$/);
  });
});
