/**
 * `explain` against the references recorded with each kernel capture: its
 * timeline must print, frame for frame, the flags, seq/ack and length that
 * `tcpdump -nr` printed (captures/NAME.tcpdump.txt), and the states the
 * lifecycle engine's `--events` gives; its account must cite the frames a
 * postmortem needs.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { formatJson } from '../../src/report/json.ts';
import {
  citedFrames, explainAccount, explainTimeline, FOLD_AFTER, formatExplain, stateSpans, tcpdumpSeqAck,
} from '../../src/report/explain.ts';
import { ANSI } from '../../src/report/color.ts';
import type { EventRecord, FlowRecord } from '../../src/tcp/record.ts';

/** Kernel scenarios: the captures recorded with a tcpdump reference. */
const KERNEL = readdirSync('captures').filter((f) => f.endsWith('.tcpdump.txt')).map((f) => f.replace(/\.tcpdump\.txt$/, '')).sort();

/** What tcpdump printed for one frame: flags, the seq/ack text between them and `win`, and the length. */
interface TcpdumpLine {
  readonly flags: string;
  readonly seqAck: string;
  readonly length: number;
}

/** Parses `tcpdump -nr` lines (line N is frame N); the seq/ack text is what lies between `Flags [..], ` and `win`. */
function readTcpdump(name: string): TcpdumpLine[] {
  return readFileSync(`captures/${name}.tcpdump.txt`, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => {
    const m = /Flags (\[[^\]]*\]), (?:(.*?), )?win \d+.*, length (\d+)/.exec(l);
    if (m === null) throw new Error(`unparsed tcpdump line: ${l}`);
    return { flags: m[1]!, seqAck: m[2] ?? '', length: Number(m[3]) };
  });
}

/** One parsed line of explain's timeline. */
interface TimelineLine {
  readonly frame: number;
  readonly flags: string;
  readonly seqAck: string;
  readonly length: number;
  readonly win: number;
  readonly client: string;
  readonly server: string;
  readonly notes: string;
}

// Columns are at least two spaces apart; the seq/ack text has single spaces inside.
const LINE = /^\s*(\d+) {2,}\d+\.\d+ {2,}C[→←]S {2,}(\[[^\]]*\]) {2,}(.*?) {2,}(\d+) {2,}(\d+) {2,}([A-Z_0-9]+\*?) {2,}([A-Z_0-9]+\*?)(?: {2,}(.*))?$/;

function parseTimeline(lines: readonly string[]): TimelineLine[] {
  return lines.slice(1).filter((l) => !l.trimStart().startsWith('…')).map((l) => {
    const m = LINE.exec(l);
    if (m === null) throw new Error(`unparsed timeline line: ${l}`);
    return {
      frame: Number(m[1]), flags: m[2]!, seqAck: m[3]!, length: Number(m[4]), win: Number(m[5]),
      client: m[6]!, server: m[7]!, notes: m[8] ?? '',
    };
  });
}

describe.each(KERNEL)('%s: explain --all against tcpdump and --events', (name) => {
  it('prints tcpdump\'s flags, seq/ack and length for every frame', async () => {
    const r = await analyzeFile(`captures/${name}.pcap`, { events: true });
    const tcpdump = readTcpdump(name);
    const shown = new Map<number, TimelineLine>();
    for (const f of r.flows) for (const l of parseTimeline(explainTimeline(f, { all: true }))) shown.set(l.frame, l);
    expect(shown.size).toBe(tcpdump.length);
    tcpdump.forEach((t, i) => {
      const l = shown.get(i + 1);
      expect({ frame: i + 1, flags: l?.flags, seqAck: l?.seqAck, length: l?.length })
        .toEqual({ frame: i + 1, flags: t.flags, seqAck: t.seqAck, length: t.length });
    });
  });

  it('shows the states `flows --format json --events` gives after every frame, starred where they change', async () => {
    const r = await analyzeFile(`captures/${name}.pcap`, { events: true });
    // The JSON users diff: the same events, read back as a consumer reads them.
    const json = JSON.parse(formatJson(r)) as { flows: FlowRecord[] };
    for (const f of json.flows) {
      const lines = parseTimeline(explainTimeline(f, { all: true }));
      const events = f.events ?? [];
      expect(lines.map((l) => l.frame)).toEqual(events.map((e) => e.frame));
      let prev: Pick<EventRecord, 'client' | 'server'> = f.handshake.kind === 'not-observed'
        ? { client: 'UNKNOWN', server: 'UNKNOWN' } : { client: 'CLOSED', server: 'LISTEN' };
      lines.forEach((l, i) => {
        const e = events[i]!;
        const star = (s: string, before: string): string => (s === before ? s : `${s}*`);
        expect({ frame: l.frame, client: l.client, server: l.server, notes: l.notes, win: l.win })
          .toEqual({ frame: e.frame, client: star(e.client, prev.client), server: star(e.server, prev.server), notes: e.notes.join(', '), win: e.win });
        prev = e;
      });
    }
  });
});

describe('tcpdumpSeqAck: print-tcp.c\'s conventions', () => {
  const EV: EventRecord = {
    frame: 1, time: '2026-01-01T00:00:00.000000Z', dir: '>', flags: '[.]', seq: 1, end: null, ack: 1, len: 0, win: 63,
    client: 'ESTABLISHED', server: 'ESTABLISHED', notes: [],
  };
  it.each([
    ['SYN: absolute seq, no ack', { flags: '[S]', seq: 2089794698, ack: null }, 'seq 2089794698'],
    ['SYN-ACK: absolute both', { flags: '[S.]', seq: 3247419497, ack: 2089794699 }, 'seq 3247419497, ack 2089794699'],
    ['pure ACK: ack only', {}, 'ack 1'],
    ['data: seq A:B', { flags: '[P.]', len: 23, end: 24 }, 'seq 1:24, ack 1'],
    ['FIN: seq without range', { flags: '[F.]', seq: 24, ack: 45 }, 'seq 24, ack 45'],
    ['RST without ACK', { flags: '[R]', seq: 3425076185, ack: null }, 'seq 3425076185'],
    ['data wrapping 2^32', { flags: '[P.]', seq: 4294967290, len: 10, end: 4 }, 'seq 4294967290:4, ack 1'],
    ['no ACK, no flags that print seq', { flags: '[none]', ack: null }, ''],
  ])('%s', (_, over, expected) => {
    expect(tcpdumpSeqAck({ ...EV, ...over } as EventRecord)).toBe(expected);
  });
});

describe('folding', () => {
  it('folds long runs of plain data transfer into one line unless --all, never hiding a cited frame', async () => {
    const [f] = (await analyzeFile('captures/zero-window.pcap', { events: true })).flows;
    const folded = explainTimeline(f!);
    const all = explainTimeline(f!, { all: true });
    expect(all).toHaveLength(1 + f!.events!.length);
    const folds = folded.filter((l) => l.trimStart().startsWith('…'));
    expect(folds.length).toBeGreaterThan(0);
    // Every frame is either shown or counted in a fold.
    const shown = parseTimeline(folded).length;
    const counted = folds.reduce((n, l) => n + Number(/: ([\d,]+) segments/.exec(l)![1]!.replace(/,/g, '')), 0);
    expect(shown + counted).toBe(f!.events!.length);
    for (const l of folds) expect(Number(/: ([\d,]+) segments/.exec(l)![1]!.replace(/,/g, ''))).toBeGreaterThan(FOLD_AFTER);
    // The account cites the window update (frame 13): it must stay on screen.
    const cited = citedFrames(Object.values(explainAccount(f!)).flat().join(' '));
    expect(cited.has(13)).toBe(true);
    const visible = new Set(parseTimeline(folded).map((l) => l.frame));
    for (const n of cited) expect(visible.has(n)).toBe(true);
  });

  it('folds nothing in a short connection', async () => {
    const [f] = (await analyzeFile('captures/normal-close-client.pcap', { events: true })).flows;
    expect(explainTimeline(f!)).toEqual(explainTimeline(f!, { all: true }));
  });

  it('citedFrames reads single frames, lists and ranges', () => {
    expect([...citedFrames('SYN (frame 1), frames 4, 7 and 9, frames 12-14')].sort((a, b) => a - b)).toEqual([1, 4, 7, 9, 12, 14]);
  });
});

describe('the account', () => {
  it('stuck-close-wait: names the FIN, its ACK, the wait, the outcome and the leaked socket', async () => {
    const r = await analyzeFile('captures/stuck-close-wait.pcap', { events: true, stuckAfter: 0.01 });
    const f = r.flows[0]!;
    const a = explainAccount(f, { captureEnd: f.end });
    const text = Object.values(a).flat().join(' ');
    expect(a.opening.join(' ')).toMatch(/SYN \(frame 1\), SYN-ACK \(frame 2\), ACK \(frame 3\)/);
    expect(a.closing.join(' ')).toMatch(/client closed its direction \(FIN, frame 8, acknowledged at frame 9\)/);
    expect(a.closing.join(' ')).toMatch(/server was still in CLOSE_WAIT when the capture ended, 42\.9 ms after frame 8/);
    expect(a.applications.join(' ')).toMatch(/server application saw read\(\) return 0 \(EOF\)/);
    expect(a.next.join(' ')).toMatch(/server application did not call close\(\) for 42\.9 ms after the client's FIN \(frame 8/);
    expect(text).toMatch(/leaked socket/);
  });

  it('lost-final-ack: names the server\'s FIN, the lost ACK, the repeated FIN and the re-ACK from TIME_WAIT', async () => {
    const r = await analyzeFile('captures/lost-final-ack.pcap', { events: true });
    const f = r.flows[0]!;
    const a = explainAccount(f);
    expect(a.closing.join(' ')).toMatch(/client closed first: its FIN \(frame 8\) was acknowledged by the server \(frame 9\); the server sent its own FIN 152\.7 ms later \(frame 10\)/);
    expect(a.closing.join(' ')).toMatch(/server spent 152\.7 ms in CLOSE_WAIT \(frames 8-10\); the client spent 108\.9 ms in FIN_WAIT_2 \(frames 9-10\)/);
    const next = a.next.join(' ');
    expect(next).toMatch(/client's final ACK \(frame 11\) never reached the server/);
    expect(next).toMatch(/repeated its FIN from LAST_ACK \(frame 12, 207\.1 ms later\)/);
    expect(next).toMatch(/still in TIME_WAIT, acknowledged it again \(frame 13\)/);
    expect(next).toMatch(/TIME_WAIT doing its job/);
  });

  it.each([
    ['refused', /answered with an RST \(frame 2\)/, /listening on 10\.99\.0\.2:9508/],
    ['syn-unanswered', /3 SYNs .* \(frames 1, 2 and 3/, /did not answer/],
    ['accept-queue-full', /SYN \(frame 5\)/, /accept queue was full/],
    ['zero-window', /SYN \(frame 1\)/, /zero window at frame 7: .* window update at frame 13/],
    ['retransmission', /SYN \(frame 1\)/, /2 segments were retransmitted by the client \(first at frame 7\)/],
    ['synack-unacked', /SYN-ACK \(frame \d+, sent 3 times\)/, /SYN flood/],
    ['crafted-half-open', /SYN \(frame 1\)/, /Frame 8 reached an endpoint that no longer had the connection/],
    ['crafted-rst-in-time-wait', /SYN \(frame 1\)/, /ended the client's TIME_WAIT early/],
    ['normal-close-client', /SYN \(frame 1\)/, /closed cleanly/],
  ])('%s: opening and what to look at next', async (name, opening, next) => {
    const r = await analyzeFile(`captures/${name}.pcap`, { events: true });
    const f = r.flows[r.flows.length - 1]!;
    const a = explainAccount(f);
    expect(a.opening.join(' ')).toMatch(opening);
    expect(a.next.join(' ')).toMatch(next);
  });

  it('every committed capture explains without a gap: each flow gets an opening or closing and a next step', async () => {
    for (const file of readdirSync('captures').filter((x) => x.endsWith('.pcap'))) {
      const r = await analyzeFile(`captures/${file}`, { events: true });
      for (const f of r.flows) {
        const a = explainAccount(f);
        expect(a.opening.length + a.closing.length, `${file} flow ${f.id}`).toBeGreaterThan(0);
        expect(a.next.length, `${file} flow ${f.id}`).toBeGreaterThan(0);
        expect(Object.values(a).flat().join(' '), `${file} flow ${f.id}`).not.toMatch(/undefined|null|NaN|\?/);
      }
    }
  });
});

describe('stateSpans', () => {
  it('reads each side\'s waits from the events, open spans lasting to the capture end', async () => {
    const [f] = (await analyzeFile('captures/lost-final-ack.pcap', { events: true })).flows;
    const waits = stateSpans(f!).filter((s) => s.state === 'CLOSE_WAIT' || s.state === 'FIN_WAIT_2');
    expect(waits.map((s) => [s.side, s.state, s.fromFrame, s.toFrame])).toEqual([
      ['server', 'CLOSE_WAIT', 8, 10],
      ['client', 'FIN_WAIT_2', 9, 10],
    ]);
  });
});

describe('formatExplain', () => {
  it('has a header, the timeline and the account; colour changes no visible character', async () => {
    const r = await analyzeFile('captures/stuck-close-wait.pcap', { events: true, stuckAfter: 0.01 });
    const plain = formatExplain(r.flows[0]!);
    expect(plain).toMatch(/^Flow 1: client 10\.99\.0\.1:41005 → server 10\.99\.0\.2:9505\n/);
    expect(plain).toMatch(/three-way → server stuck in CLOSE_WAIT ≥42\.9 ms/);
    expect(plain).toMatch(/\nWhat happened\n {2}Opening: {4}/);
    expect(plain).not.toMatch(/\x1b\[/);
    const coloured = formatExplain(r.flows[0]!, { painter: ANSI });
    expect(coloured).toMatch(/\x1b\[/);
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('wraps the account without splitting a command in backticks', async () => {
    const r = await analyzeFile('captures/refused.pcap', { events: true });
    const out = formatExplain(r.flows[0]!, { width: 60 });
    expect(out).toMatch(/`ss -ltn 'sport = :9508'`/);
    for (const line of out.split('\n').filter((l) => l.startsWith('  ') && !/^\s+\d/.test(l))) {
      if (!line.includes('`')) expect([...line].length).toBeLessThanOrEqual(60);
    }
  });
});

describe('a close whose FINs crossed tells one story', () => {
  // captures/rerun/: the capture point saw one FIN arrive before the other left, so the timeline
  // shows that end in CLOSE_WAIT for an instant; its own FIN, not acknowledging the other, proves it had closed.
  const crossed = readdirSync('captures/rerun').filter((n) => n.endsWith('.pcap')).map((n) => `captures/rerun/${n}`);
  it.each([...crossed, 'captures/simultaneous-close.pcap'])('%s', async (path) => {
    const f = (await analyzeFile(path, { events: true })).flows[0]!;
    const closing = explainAccount(f, { captureEnd: f.end }).closing.join(' ');
    if (f.close.kind !== 'simultaneous') {
      expect(closing).not.toMatch(/crossed/);
      return;
    }
    expect(closing).toMatch(/FINs \(frames \d+ and \d+, [\d.]+ ms apart\) crossed/);
    expect(closing).not.toMatch(/spent [\d.]+ m?s in CLOSE_WAIT/);
    const waited = stateSpans(f).filter((s) => s.state === 'CLOSE_WAIT');
    for (const s of waited) expect(closing).toContain(`The timeline shows the ${s.side} in CLOSE_WAIT at frame ${s.fromFrame} only because`);
  });
});
