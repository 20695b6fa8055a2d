/**
 * explain, netstat and the human-facing options as a user meets them through
 * `bin/synfin.js`: piped output carries no escape codes, `--color always`
 * does, NO_COLOR is respected, no progress line reaches a non-terminal, the
 * filters work on every command, and a filter matching nothing is an error.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function synfin(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['bin/synfin.js', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// eslint-disable-next-line no-control-regex
const ESC = /\x1b/;

describe('without a terminal, no escape codes and no progress line', () => {
  it.each([
    ['flows', ['flows', 'captures/concurrent-200.pcap']],
    ['flows with filters', ['flows', '--anomaly', 'stuck-close-wait', 'captures/stuck-close-wait.pcap']],
    ['explain', ['explain', 'captures/stuck-close-wait.pcap', 'captures/lost-final-ack.pcap']],
    ['netstat', ['netstat', 'captures/accept-queue-full.pcap']],
    ['netstat --summary', ['netstat', '--summary', 'captures/concurrent-200.pcap']],
    ['netstat --over-time', ['netstat', '--over-time', 'captures/concurrent-200.pcap']],
  ])('%s', (_, args) => {
    // FORCE_COLOR and a colour TERM must not matter: only a terminal (or --color always) gets colour.
    const r = synfin(args, { TERM: 'xterm-256color', FORCE_COLOR: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(ESC);
    expect(r.stderr).toBe('');
  });
});

describe('--color', () => {
  it('always colours even a pipe; never and NO_COLOR do not', () => {
    const always = synfin(['flows', '--color', 'always', '--stuck-after', '0.01', 'captures/stuck-close-wait.pcap']);
    expect(always.stdout).toMatch(/\x1b\[33mstuck-close-wait\x1b\[39m/);
    // Colour never moves a column: without its escapes it is the plain table.
    const plain = synfin(['flows', '--stuck-after', '0.01', 'captures/stuck-close-wait.pcap']);
    expect(always.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain.stdout);
    expect(synfin(['flows', '--color', 'never', 'captures/stuck-close-wait.pcap']).stdout).not.toMatch(ESC);
    expect(synfin(['explain', '--color', 'auto', 'captures/stuck-close-wait.pcap'], { NO_COLOR: '1' }).stdout).not.toMatch(ESC);
    expect(synfin(['explain', '--color', 'always', 'captures/stuck-close-wait.pcap']).stdout).toMatch(ESC);
  });

  it('rejects a value it does not know', () => {
    const r = synfin(['flows', '--color', 'sometimes', 'captures/refused.pcap']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--color/);
  });
});

describe('explain', () => {
  it('explains the chosen flow: timeline in tcpdump\'s words, then the story', () => {
    const r = synfin(['explain', '--host', '10.99.0.2', '--port', '9512', 'captures/lost-final-ack.pcap']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Flow 1: client 10\.99\.0\.1:41012 → server 10\.99\.0\.2:9512\n/);
    expect(r.stdout).toMatch(/\n {3}12 +0\.359951 +C←S +\[F\.\] +seq 45, ack 25 +0 +64 +TIME_WAIT +LAST_ACK\* +fin-retransmit, last-ack-lost\n/);
    expect(r.stdout).toMatch(/client's final ACK \(frame 11\) never reached the server/);
  });

  it('--flow picks flows by id; --all shows every frame', () => {
    const r = synfin(['explain', '--flow', '3', 'captures/accept-queue-full.pcap']);
    expect(r.stdout.match(/^Flow \d+/gm)).toEqual(['Flow 3']);
    const folded = synfin(['explain', 'captures/zero-window.pcap']).stdout;
    const all = synfin(['explain', '--all', 'captures/zero-window.pcap']).stdout;
    expect(folded).toMatch(/… frames \d+-\d+: \d+ segments of data transfer/);
    expect(all).not.toMatch(/…/);
    expect(all.split('\n').filter((l) => /^ +\d+ {2}\d+\.\d{6} /.test(l))).toHaveLength(151);
  });

  it('a filter matching no flow is an error (exit 2, one line)', () => {
    const r = synfin(['explain', '--flow', '9', 'captures/refused.pcap']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual(["synfin: no flow matches --flow 9 (the capture has 1 flow; `synfin flows` lists them)"]);
  });

  it('bad filter values are usage errors', () => {
    expect(synfin(['explain', '--port', 'http', 'captures/refused.pcap']).status).toBe(2);
    expect(synfin(['explain', '--state', 'WAITING', 'captures/refused.pcap']).status).toBe(2);
    expect(synfin(['explain', '--kind', 'two-way', 'captures/refused.pcap']).status).toBe(2);
    expect(synfin(['explain', '--flow', '0', 'captures/refused.pcap']).status).toBe(2);
  });
});

describe('netstat', () => {
  it('--at frame:N, --host', () => {
    const r = synfin(['netstat', '--at', 'frame:9', '--host', '10.99.0.2', 'captures/stuck-close-wait.pcap']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^At 2026-11-26T02:12:12\.234858Z \(0\.042965 s into the capture, after frame 9\)\.\n/);
    expect(r.stdout).toMatch(/\nActive Internet connections on 10\.99\.0\.2\n/);
    expect(r.stdout).not.toMatch(/on 10\.99\.0\.1/);
    expect(r.stdout).toMatch(/tcp +- +- +10\.99\.0\.2:9505 +10\.99\.0\.1:41005 +CLOSE_WAIT +42\.9 ms \(since frame 8\)/);
  });

  it('--at in seconds and as an ISO time agree', () => {
    const a = synfin(['netstat', '--at', '0.1', 'captures/lost-final-ack.pcap']).stdout;
    const b = synfin(['netstat', '--at', '2026-11-26T02:12:34.938938Z', 'captures/lost-final-ack.pcap']).stdout;
    expect(a).toBe(b);
    expect(a).toMatch(/FIN_WAIT2/);
  });

  it('--over-time takes an interval, or 10 steps; --state narrows the counts', () => {
    const r = synfin(['netstat', '--over-time', '0.01', '--state', 'TIME_WAIT', 'captures/concurrent-200.pcap']);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[1]).toMatch(/^TIME \(s\) +FRAME +TOTAL +TIME_WAIT$/);
    expect(rows[rows.length - 1]).toMatch(/^0\.067115 +2000 +200 +200$/);
    expect(synfin(['netstat', 'captures/concurrent-200.pcap', '--over-time']).stdout.trimEnd().split('\n')).toHaveLength(12);
  });

  it('a bad --at is a usage error', () => {
    const r = synfin(['netstat', '--at', 'noon', 'captures/refused.pcap']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--at takes an ISO time .*got 'noon'/);
  });
});

describe('flows filters and summary', () => {
  it('filters every format; the text says how many were shown', () => {
    const text = synfin(['flows', '--port', '9512', 'captures/lost-final-ack.pcap', 'captures/refused.pcap']).stdout;
    expect(text).toMatch(/\nshown: {6}1 of 2 flows \(--port 9512\)\n/);
    expect(text).toMatch(/anomalies: .* \(1 error, 2 warnings\)\n$/);
    const json = JSON.parse(synfin(['flows', '--format', 'json', '--kind', 'refused', 'captures/lost-final-ack.pcap', 'captures/refused.pcap']).stdout);
    expect(json.flows.map((f: { id: number }) => f.id)).toEqual([2]);
    const nd = synfin(['flows', '--format', 'ndjson', '--state', 'TIME_WAIT', 'captures/tuple-reuse.pcap']).stdout.trimEnd().split('\n');
    expect(nd.map((l) => JSON.parse(l).id)).toEqual([2]);
  });
});

describe('README', () => {
  it('shows the real output of every `npx synfin explain|netstat` example it prints', () => {
    const readme = readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/```\n\$ npx synfin ((?:explain|netstat) [^\n]+)\n([\s\S]*?)```/g)];
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const [, command, shown] of blocks) {
      expect(synfin(command!.split(' ')).stdout, command).toBe(shown);
    }
  });
});

describe('explain holds the flows it will explain on disk, not in memory', () => {
  it.each([
    ['every flow of a capture, every frame', ['--all'], 'captures/concurrent-200.pcap'],
    ['one flow chosen', ['--flow', '4'], 'captures/demo-mixed.pcap'],
    ['a filter, several files', ['--anomaly', 'last-ack-lost'], 'captures/lost-final-ack.pcap captures/demo-mixed.pcap'],
  ])('prints what formatExplainAll prints for the whole result: %s', async (_, args, files) => {
    const { analyzeFiles } = await import('../../src/analyze.ts');
    const { formatExplainAll } = await import('../../src/report/explain.ts');
    const { PLAIN } = await import('../../src/report/color.ts');
    const { matchesFilter } = await import('../../src/report/text.ts');
    const paths = files.split(' ');
    const result = await analyzeFiles(paths, { events: true });
    const filter = args[0] === '--flow' ? { flow: [Number(args[1])] } : args[0] === '--anomaly' ? { anomaly: args[1]! } : {};
    const chosen = result.flows.filter((f) => matchesFilter(f, filter));
    expect(chosen.length).toBeGreaterThan(0);
    const captureEnd = result.flows.reduce((end, f) => (f.end > end ? f.end : end), result.flows[0]!.end);
    const expected = formatExplainAll(chosen, { all: args.includes('--all'), painter: PLAIN, captureEnd, msl: 30, width: 100 });
    const r = synfin(['explain', ...args, ...paths]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected);
  });
});
