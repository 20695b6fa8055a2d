/**
 * The `flows` table a person reads: colour that never moves a column, the
 * stuck verdict, the severity tally, the filters every command shares, and
 * the progress line on standard error.
 */

import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { ANSI, PLAIN, stripAnsi, useColor } from '../../src/report/color.ts';
import { createProgress, formatProgress, inputSize } from '../../src/report/progress.ts';
import { canonicalAddr } from '../../src/decode/address.ts';
import {
  alignColumns, formatText, matchesFilter, parseStamp, parseStateName, secondsFixed, severityTally, verdict,
} from '../../src/report/text.ts';

describe('colour', () => {
  it.each([
    ['auto on a terminal', 'auto', true, {}, true],
    ['auto on a pipe', 'auto', false, {}, false],
    ['auto with NO_COLOR set', 'auto', true, { NO_COLOR: '1' }, false],
    ['auto with NO_COLOR empty (unset, per no-color.org)', 'auto', true, { NO_COLOR: '' }, true],
    ['auto on a dumb terminal', 'auto', true, { TERM: 'dumb' }, false],
    ['always on a pipe', 'always', false, {}, true],
    ['always beats NO_COLOR', 'always', true, { NO_COLOR: '1' }, true],
    ['never on a terminal', 'never', true, {}, false],
  ] as const)('%s', (_, mode, isTTY, env, expected) => {
    expect(useColor(mode, { isTTY }, env)).toBe(expected);
  });

  it('paints cells without moving a column: stripped of escapes it is the plain table', () => {
    const plain = alignColumns([['A', 'BB', 'C'], ['long cell', 'x', 'y']]);
    const painted = alignColumns([['A', 'BB', 'C'], [{ text: 'long cell', paint: ANSI.bad }, 'x', { text: 'y', paint: ANSI.warn }]]);
    expect(painted[1]).toMatch(/\x1b\[31mlong cell\x1b\[39m  x   \x1b\[33my\x1b\[39m/);
    expect(plain).toEqual(['A          BB  C', 'long cell  x   y']);
    expect(painted.map(stripAnsi)).toEqual(plain);
  });

  it.each(['concurrent-200', 'accept-queue-full', 'stuck-close-wait', 'crafted-syn-flood', 'zero-window'])(
    '%s: the coloured table has the plain table\'s characters and the plain one no escapes', async (name) => {
      const r = await analyzeFile(`captures/${name}.pcap`);
      const plain = formatText(r);
      expect(plain).not.toMatch(/\x1b/);
      expect(formatText(r, { painter: PLAIN })).toBe(plain);
      const coloured = formatText(r, { painter: ANSI });
      expect(coloured).toMatch(/\x1b\[/);
      expect(stripAnsi(coloured)).toBe(plain);
    },
  );
});

describe('verdict and summary', () => {
  it('a CLOSE_WAIT still going at the end is the verdict, with how long at least', async () => {
    const [f] = (await analyzeFile('captures/stuck-close-wait.pcap', { stuckAfter: 0.01 })).flows;
    expect(verdict(f!)).toBe('three-way → server stuck in CLOSE_WAIT ≥42.9 ms');
    // Under --stuck-after it is an open connection in CLOSE_WAIT (the states column says so).
    const [open] = (await analyzeFile('captures/stuck-close-wait.pcap', { stuckAfter: 30 })).flows;
    expect(verdict(open!)).toBe('three-way → half-closed (client first)');
  });

  it('a CLOSE_WAIT that ended after --stuck-after keeps the close kind and says how long', async () => {
    const [f] = (await analyzeFile('captures/half-close.pcap', { stuckAfter: 0.1 })).flows;
    expect(verdict(f!)).toBe('three-way → four-way (client first), server stuck in CLOSE_WAIT 251.9 ms');
  });

  it('clean, refused and unanswered flows keep their verdicts', async () => {
    expect(verdict((await analyzeFile('captures/normal-close-client.pcap')).flows[0]!)).toBe('three-way → four-way (client first)');
    expect(verdict((await analyzeFile('captures/refused.pcap')).flows[0]!)).toBe('refused');
    expect(verdict((await analyzeFile('captures/syn-unanswered.pcap')).flows[0]!)).toBe('unanswered');
  });

  it('tallies every finding by severity, gravest first', async () => {
    const r = await analyzeFile('captures/accept-queue-full.pcap');
    expect(severityTally(r.flows)).toBe('(1 error, 4 warnings)');
    expect(formatText(r)).toMatch(/\nanomalies: {2}accept-queue-full 1, syn-retransmit 2, synack-retransmit 2 \(1 error, 4 warnings\)\n$/);
    expect(severityTally((await analyzeFile('captures/normal-close-client.pcap')).flows)).toBe('');
    expect(severityTally((await analyzeFile('captures/keepalive.pcap')).flows)).toBe('(3 info)');
  });

  it('adds up to the summary\'s count of every finding', async () => {
    const r = await analyzeFile('captures/crafted-syn-flood.pcap');
    expect(r.summary.anomalies).toEqual({ 'handshake-incomplete': 64, 'syn-unanswered': 236 });
    expect(severityTally(r.flows)).toBe('(236 errors, 64 warnings)');
  });
});

describe('filters', () => {
  it('match by host (any spelling of an IPv6 address), port, either final state, kind, anomaly and id', async () => {
    const r = await analyzeFile('captures/accept-queue-full.pcap');
    const ids = (filter: Parameters<typeof matchesFilter>[1]): number[] => r.flows.filter((f) => matchesFilter(f, filter)).map((f) => f.id);
    expect(ids({})).toEqual([1, 2, 3]);
    expect(ids({ host: '10.99.0.2' })).toEqual([1, 2, 3]);
    expect(ids({ host: '10.99.0.3' })).toEqual([]);
    expect(ids({ port: 41119 })).toEqual([2]);
    expect(ids({ state: 'SYN_RECEIVED' })).toEqual([3]);
    expect(ids({ kind: 'open' })).toEqual([1, 2, 3]);
    expect(ids({ kind: 'three-way', anomaly: 'syn-retransmit' })).toEqual([2, 3]);
    expect(ids({ anomaly: 'accept-queue-full' })).toEqual([3]);
    expect(ids({ flow: [1, 3] })).toEqual([1, 3]);
    const v6 = await analyzeFile('captures/ipv6-normal-close.pcap');
    expect(v6.flows.filter((f) => matchesFilter(f, { host: '[FD00:0099:0000::0001]' }))).toHaveLength(1);
    expect(canonicalAddr('[FD00:0099::2]')).toBe('fd00:99::2');
  });

  it('the table lists the chosen flows and says how many of how many', async () => {
    const r = await analyzeFile('captures/accept-queue-full.pcap');
    const text = formatText(r, { filter: { anomaly: 'accept-queue-full' } });
    expect(text.split('\n').filter((l) => /^ *\d+ {2}\d+\./.test(l))).toEqual([expect.stringMatching(/^ 3 {2}10\.99\.0\.1:41219 /)]);
    expect(text).toContain('\nshown:      1 of 3 flows (--anomaly accept-queue-full)\n');
  });

  it('state names in RFC, netstat and ss spellings', () => {
    expect(['time-wait', 'TIME_WAIT', 'FIN_WAIT2', 'fin-wait-2', 'SYN_RECV', 'SYN-RECV', 'ESTAB', 'close_wait'].map(parseStateName))
      .toEqual(['TIME_WAIT', 'TIME_WAIT', 'FIN_WAIT_2', 'FIN_WAIT_2', 'SYN_RECEIVED', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT']);
    expect(parseStateName('WAITING')).toBeUndefined();
  });
});

describe('times', () => {
  it('parses ISO times to the nanosecond and prints spans exactly', () => {
    expect(parseStamp('2026-11-26T02:12:12.191893Z')).toEqual({ sec: 1795659132, nsec: 191893000 });
    expect(parseStamp('2026-11-26T02:12:12.123456789Z')?.nsec).toBe(123456789);
    expect(parseStamp('2026-11-26T02:12:12Z')?.nsec).toBe(0);
    expect(parseStamp('not a time')).toBeUndefined();
    expect(secondsFixed(42_965_000, 6)).toBe('0.042965');
    expect(secondsFixed(3_043_887_000, 6)).toBe('3.043887');
    expect(secondsFixed(1, 9)).toBe('0.000000001');
  });
});

describe('parseStamp', () => {
  // An oracle apart from parseStamp's own two readers: Date.UTC for the second, the digits for the fraction.
  const oracle = (y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string): { sec: number; nsec: number } =>
    ({ sec: Math.floor(Date.UTC(y, mo - 1, d, h, mi, s) / 1000), nsec: Number(frac.padEnd(9, '0')) });
  const two = (n: number): string => String(n).padStart(2, '0');

  it('reads every fraction length, in runs of one second and across seconds, as exactly as the digits say', () => {
    let seed = 7;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let k = 0; k < 3000; k++) {
      // Runs that share their second (the parser's cache) and runs that do not.
      const y = 1970 + rand(200), mo = 1 + rand(12), d = 1 + rand(28), h = rand(24), mi = rand(60), s = rand(60);
      for (let digits = 0; digits <= 9; digits++) {
        const frac = Array.from({ length: digits }, () => String(rand(10))).join('');
        const iso = `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}${digits > 0 ? `.${frac}` : ''}Z`;
        expect(parseStamp(iso), iso).toEqual(oracle(y, mo, d, h, mi, s, frac));
      }
    }
  });

  it('refuses what is not a time, whatever the second before it was', () => {
    parseStamp('2026-11-26T02:12:12.5Z');
    for (const bad of [
      '2026-11-26T02:12:12.Z', '2026-11-26T02:12:12.1234567890Z', '2026-11-26T02:12:12.12a4Z', '2026-11-26T02:12:1x.5Z',
      '2026-11-26 02:12:12.5Z', '2026-11-26T02:12:12,5Z', '2026-13-26T02:12:12.5Z', '2026-11-26T02:12:12.5ZZ', '',
    ]) expect(parseStamp(bad), bad).toBeUndefined();
  });

  it('still reads the forms synfin does not write: no zone, an offset, spaces around', () => {
    expect(parseStamp('2026-11-26T02:12:12.5')).toEqual({ sec: 1795659132, nsec: 500000000 });
    expect(parseStamp(' 2026-11-26T02:12:12.5Z ')).toEqual({ sec: 1795659132, nsec: 500000000 });
    expect(parseStamp('2026-11-26T03:12:12.25+01:00')).toEqual({ sec: 1795659132, nsec: 250000000 });
  });
});

describe('progress', () => {
  const writes = (isTTY: boolean): { stream: { isTTY: boolean; columns: number; write: (s: string) => boolean }; out: string[] } => {
    const out: string[] = [];
    return { stream: { isTTY, columns: 100, write: (s: string) => { out.push(s); return true; } }, out };
  };

  it('draws bytes of total, packets/s and flows open, fitted to the terminal', () => {
    const line = formatProgress({ frames: 50_000, bytes: 5_000_000, flowsOpen: 1204, total: 20_000_000, elapsedMs: 500 }, 100);
    expect(line).toMatch(/^\[#+\.+\]  25%  5\.0 MB of 20\.0 MB  100,000 packets\/s  1,204 flows open$/);
    expect([...line].length).toBeLessThan(100);
    expect(formatProgress({ frames: 10, bytes: 1000, flowsOpen: 1, total: undefined, elapsedMs: 1000 })).toBe('reading 1.0 kB  10 packets/s  1 flows open');
  });

  it('waits before the first draw, redraws at most 10 times a second, and erases itself', () => {
    const { stream, out } = writes(true);
    let t = 0;
    const p = createProgress({ stream, total: 1000, now: () => t });
    const tick = { frames: 1, bytes: 100, flowsOpen: 1 };
    p.update(tick);
    t = 100; p.update(tick);
    expect(out).toEqual([]); // a small capture never flickers
    t = 300; p.update(tick);
    t = 350; p.update(tick);
    t = 399; p.update(tick);
    t = 401; p.update(tick);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\r\x1b\[2K\[/);
    p.done();
    expect(out[2]).toBe('\r\x1b[2K');
  });

  it('is silent when standard error is not a terminal, and with --quiet', () => {
    for (const [isTTY, quiet] of [[false, false], [true, true]] as const) {
      const { stream, out } = writes(isTTY);
      let t = 0;
      const p = createProgress({ stream, total: 10, quiet, now: () => t });
      for (t = 0; t < 5000; t += 50) p.update({ frames: t, bytes: t, flowsOpen: 0 });
      p.done();
      expect(p.active).toBe(false);
      expect(out).toEqual([]);
    }
  });

  it('knows the total: file sizes, and a gzip file\'s uncompressed size from its trailer', async () => {
    const { statSync } = await import('node:fs');
    expect(await inputSize(['captures/refused.pcap', 'captures/stuck-close-wait.pcap']))
      .toBe(statSync('captures/refused.pcap').size + statSync('captures/stuck-close-wait.pcap').size);
    expect(await inputSize(['-'])).toBeUndefined();
    const { gunzipSync } = await import('node:zlib');
    const { readFileSync } = await import('node:fs');
    const gz = 'captures/variants/ipv6-normal-close.pcap.gz';
    expect(await inputSize([gz])).toBe(gunzipSync(readFileSync(gz)).length);
  });
});
