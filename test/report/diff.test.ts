/**
 * `diff` as a regression test uses it: a run against itself, against the same
 * scenario recorded again (new client ports, ISNs and times; every container
 * and link type), and against the same exchange with one thing gone wrong.
 * Re-recordings are real (test/fixtures/ci: one integration test recorded
 * twice; any-sll2-normal-close: a kernel scenario recorded again) or made by
 * test/fixtures/rerecord.ts from committed kernel captures.
 */

import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile, analyzeFiles, type AnalysisResult } from '../../src/analyze.ts';
import {
  checkIgnore, diff, DIFF_TIMELINE, finGapMs, finsCrossed, FlowShelf, formatDiffText, parseRttTolerance, readSavedOutput, slimForDiff, type DiffInput,
} from '../../src/report/diff.ts';
import { formatJson, formatNdjsonFlow } from '../../src/report/json.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';
import { goldenCaptures } from '../e2e/golden-cases.ts';
import { rerecord } from '../fixtures/rerecord.ts';

const dir = mkdtempSync(join(tmpdir(), 'synfin-diff-'));

/** normal-close-client.pcap run again a day later: client port 41001 → 52344, both ISNs moved. */
function today(): string {
  const out = join(dir, 'today.pcap');
  rerecord('captures/normal-close-client.pcap', out, {
    serverPort: 9501, ports: { 41001: 52344 }, clientIsnShift: 0x12345678, serverIsnShift: 0x9abcdef0, seconds: 86_400,
  });
  return out;
}

/** The same exchange with the client's final ACK lost (lost-final-ack.pcap), on the baseline's server port 9501. */
function lostFinalAck(): string {
  const out = join(dir, 'lost-final-ack-9501.pcap');
  rerecord('captures/lost-final-ack.pcap', out, { serverPort: 9512, ports: { 9512: 9501 } });
  return out;
}

/** A saved `--format json` output read back, as `synfin diff baseline.json …` reads it. */
function saved(r: AnalysisResult): DiffInput {
  const s = readSavedOutput(formatJson(r));
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

describe('a capture against itself', () => {
  it.each(goldenCaptures())('%s: equal', async (name) => {
    const a = await analyzeFile(`captures/${name}.pcap`);
    const d = diff(a, await analyzeFile(`captures/${name}.pcap`));
    expect(d.equal).toBe(true);
    expect(d.matched).toBe(a.flows.length);
  });
});

describe('format variants: the same packets stored another way', () => {
  const variants = existsSync('captures/variants') ? readdirSync('captures/variants').sort() : [];
  const whole = variants.filter((f) => !f.includes('.cut.'));
  const cut = variants.filter((f) => f.includes('.cut.'));

  it('exist', () => {
    expect(whole.length).toBeGreaterThan(50);
    expect(cut.length).toBeGreaterThan(3);
  });

  it.each(whole)('%s: empty diff against the pcap it was made from', async (file) => {
    const base = file.replace(/\..*$/, '');
    const d = diff(await analyzeFile(`captures/${base}.pcap`), await analyzeFile(`captures/variants/${file}`));
    expect(d).toMatchObject({ equal: true, changed: [], only_in_a: [], only_in_b: [] });
  });

  // A file cut mid-record loses its last frame, the client's final ACK: the
  // server never leaves LAST_ACK. That is the one difference, and diff says so.
  it.each(cut)('%s: exactly one change, the server left in LAST_ACK', async (file) => {
    const base = file.replace(/\..*$/, '');
    const a = await analyzeFile(`captures/${base}.pcap`);
    const d = diff(a, await analyzeFile(`captures/variants/${file}`));
    expect(d.equal).toBe(false);
    expect(d.changed).toHaveLength(1);
    expect(d.changed[0]!.changes).toEqual([{ field: 'server.final_state', a: 'CLOSED', b: 'LAST_ACK' }]);
    expect(d.changed[0]!.anomalies_added).toEqual([]);
    expect(d.changed[0]!.anomalies_gone).toEqual([]);
  });
});

describe('a re-recording of the same scenario: new client port, ISNs and times', () => {
  it('the JSON itself differs in exactly those (so the test below is not vacuous)', async () => {
    const a = (await analyzeFile('captures/normal-close-client.pcap')).flows[0]!;
    const b = (await analyzeFile(today())).flows[0]!;
    expect([a.client.port, b.client.port]).toEqual([41001, 52344]);
    expect(b.client.isn).not.toBe(a.client.isn);
    expect(b.server.isn).not.toBe(a.server.isn);
    expect(b.start).not.toBe(a.start);
    expect(b.server.port).toBe(a.server.port);
  });

  it('baseline JSON vs today\'s capture: equal', async () => {
    const baseline = saved(await analyzeFile('captures/normal-close-client.pcap', { events: true }));
    const d = diff(baseline, await analyzeFile(today()));
    expect(d).toMatchObject({ equal: true, matched: 1, changed: [], only_in_a: [], only_in_b: [] });
  });

  it('two real runs of one integration test on a fixed server port (test/fixtures/ci): equal', async () => {
    const a = await analyzeFile('test/fixtures/ci/yesterday.pcap');
    const b = await analyzeFile('test/fixtures/ci/today.pcap');
    expect(a.flows.map((f) => f.client.port)).not.toEqual(b.flows.map((f) => f.client.port));
    expect(a.flows.map((f) => f.client.isn)).not.toEqual(b.flows.map((f) => f.client.isn));
    expect(diff(saved(a), b)).toMatchObject({ equal: true, matched: 3 });
  });

  it('--match strict pairs by the 4-tuple, so the new client port makes them two different flows', async () => {
    const d = diff(await analyzeFile('captures/normal-close-client.pcap'), await analyzeFile(today()), { match: 'strict' });
    expect(d.equal).toBe(false);
    expect(d.only_in_a.map((f) => f.client.port)).toEqual([41001]);
    expect(d.only_in_b.map((f) => f.client.port)).toEqual([52344]);
  });

  it('a real second kernel recording (tcpdump -i any, SLL2, client port 41020, its own ISNs), served on 9501: equal', async () => {
    const moved = join(dir, 'any-sll2-9501.pcap');
    rerecord('captures/any-sll2-normal-close.pcap', moved, { serverPort: 9520, ports: { 9520: 9501 } });
    const a = await analyzeFile('captures/normal-close-client.pcap');
    const b = await analyzeFile(moved);
    expect(b.captures[0]!.linktypes).toEqual(['LINUX_SLL2']);
    expect(b.flows[0]!.client.port).toBe(41020);
    expect(diff(a, b).equal).toBe(true);
    // Unchanged, its server port differs: pairing by first-frame order alone still finds no difference.
    expect(diff(a, await analyzeFile('captures/any-sll2-normal-close.pcap'), { match: 'order' }).equal).toBe(true);
  });
});

describe('one behaviour changed: the client\'s final ACK is lost', () => {
  it('names exactly that change: the server repeats its FIN, the client\'s TIME_WAIT answers', async () => {
    const baseline = saved(await analyzeFile('captures/normal-close-client.pcap'));
    const d = diff(baseline, await analyzeFile(lostFinalAck()));
    expect(d.equal).toBe(false);
    expect(d.only_in_a).toEqual([]);
    expect(d.only_in_b).toEqual([]);
    expect(d.changed).toHaveLength(1);
    const c = d.changed[0]!;
    expect(c.changes).toEqual([]);
    expect(c.anomalies_gone).toEqual([]);
    expect(c.anomalies_added).toEqual([
      { code: 'fin-retransmit', severity: 'warning', side: 'server', frame: 12 },
      { code: 'last-ack-lost', severity: 'warning', side: 'server', frame: 12 },
    ]);
    expect(formatDiffText(d, { a: 'baseline.json', b: 'today.pcap' })).toBe([
      '10.99.0.1 → 10.99.0.2:9501 (A#1, B#1): anomaly added fin-retransmit (warning, server, B frame 12)',
      '10.99.0.1 → 10.99.0.2:9501 (A#1, B#1): anomaly added last-ack-lost (warning, server, B frame 12)',
      '1 changed, 0 only in A, 0 only in B: baseline.json (1 flow) vs today.pcap (1 flow), 1 matched by server address and port, client address and order',
      '',
    ].join('\n'));
  });

  it('and the other way round the same codes are gone', async () => {
    const d = diff(await analyzeFile(lostFinalAck()), await analyzeFile('captures/normal-close-client.pcap'));
    expect(d.changed[0]!.anomalies_gone.map((a) => [a.code, a.frame])).toEqual([['fin-retransmit', 12], ['last-ack-lost', 12]]);
    expect(d.changed[0]!.anomalies_added).toEqual([]);
  });

  it('--ignore of both codes leaves nothing', async () => {
    const d = diff(await analyzeFile('captures/normal-close-client.pcap'), await analyzeFile(lostFinalAck()), { ignore: ['last-ack-lost', 'fin-retransmit'] });
    expect(d.equal).toBe(true);
    expect(d.ignore).toEqual(['fin-retransmit', 'last-ack-lost']);
  });

  it('a server that stops calling close(): the close, both states and the anomalies change', async () => {
    const stuck = join(dir, 'stuck-9501.pcap');
    rerecord('captures/stuck-close-wait.pcap', stuck, { serverPort: 9505, ports: { 9505: 9501, 41005: 41001 } });
    // The recording ends 42.9 ms into the CLOSE_WAIT: stuck only under a --stuck-after shorter than that.
    const d = diff(await analyzeFile('captures/normal-close-client.pcap'), await analyzeFile(stuck, { stuckAfter: 0.01 }));
    expect(d.changed[0]!.changes).toEqual([
      { field: 'close', a: 'four-way', b: 'half-closed' },
      { field: 'client.final_state', a: 'TIME_WAIT', b: 'FIN_WAIT_2' },
      { field: 'server.final_state', a: 'CLOSED', b: 'CLOSE_WAIT' },
      { field: 'client.outcome', a: 'EOF', b: 'closed' },
    ]);
    expect(d.changed[0]!.anomalies_added.map((a) => a.code)).toEqual(['stuck-close-wait']);
    const quiet = diff(await analyzeFile('captures/normal-close-client.pcap'), await analyzeFile(stuck, { stuckAfter: 0.01 }), {
      ignore: ['close', 'final_state', 'outcome', 'stuck-close-wait'],
    });
    expect(quiet.equal).toBe(true);
  });
});

describe('matching', () => {
  const five = ['normal-close-client', 'refused', 'stuck-close-wait', 'lost-final-ack', 'syn-unanswered'].map((n) => `captures/${n}.pcap`);

  it('a flow missing from B is listed only in A, the rest still match', async () => {
    const a = await analyzeFiles(five);
    const b = await analyzeFiles(five.filter((f) => !f.includes('syn-unanswered')));
    const d = diff(a, b);
    expect(d.matched).toBe(4);
    expect(d.changed).toEqual([]);
    expect(d.only_in_b).toEqual([]);
    expect(d.only_in_a).toEqual([{
      id: 3, client: { addr: '10.99.0.1', port: 41009 }, server: { addr: '10.99.0.2', port: 9509 }, handshake: 'unanswered', close: 'none',
    }]);
  });

  // The merged timeline ends with refused.pcap, recorded 98 s after the others:
  // without it the capture ends within 2 MSL of the clean closes, and the
  // clients are still in TIME_WAIT. Final states depend on when capture stopped.
  it('a capture that stops earlier leaves TIME_WAIT unexpired, and diff says so', async () => {
    const d = diff(await analyzeFiles(five), await analyzeFiles(five.filter((f) => !f.includes('refused'))));
    expect(d.only_in_a.map((f) => f.handshake)).toEqual(['refused']);
    expect(d.changed.map((c) => [c.a.server.port, c.changes])).toEqual([
      [9501, [{ field: 'client.final_state', a: 'CLOSED', b: 'TIME_WAIT' }]],
      [9512, [{ field: 'client.final_state', a: 'CLOSED', b: 'TIME_WAIT' }]],
    ]);
  });

  it('flows sharing server and client address pair in order of first frame (tuple-reuse: two connections)', async () => {
    const r = await analyzeFile('captures/tuple-reuse.pcap');
    expect(r.flows).toHaveLength(2);
    expect(diff(r, r).matched).toBe(2);
    // Dropping the first connection from B pairs A's first with B's only one: the story differs.
    const d = diff(r, { flows: [r.flows[1]!] });
    expect(d.matched).toBe(1);
    expect(d.only_in_a.map((f) => f.id)).toEqual([2]);
    expect(d.changed.map((c) => [c.a.id, c.b.id])).toEqual([[1, 2]]);
  });

  it('strict matching keeps a reused tuple\'s connections apart by order too', async () => {
    const r = await analyzeFile('captures/tuple-reuse.pcap');
    expect(diff(r, r, { match: 'strict' })).toMatchObject({ equal: true, matched: 2 });
  });

  it('a saved ndjson output (flows in the order they ended) compares like the JSON', async () => {
    const a = await analyzeFile('captures/concurrent-200.pcap');
    const lines = [...a.flows].reverse().map(formatNdjsonFlow).join('');
    const s = readSavedOutput(lines);
    expect(s.ok && s.format).toBe('ndjson');
    if (s.ok) expect(diff(s.value, a)).toMatchObject({ equal: true, matched: 200 });
  });
});

describe('handshake RTT', () => {
  const withRtt = (f: FlowRecord, rtt: number | null): FlowRecord => ({ ...f, handshake: { ...f.handshake, rtt_ms: rtt } });

  it('is not compared unless a tolerance is given', async () => {
    const a = await analyzeFile('captures/normal-close-client.pcap');
    const b = { flows: [withRtt(a.flows[0]!, 500)] };
    expect(diff(a, b).equal).toBe(true);
  });

  it('counts beyond an absolute or a relative tolerance, and only then', async () => {
    const a = { flows: [withRtt((await analyzeFile('captures/normal-close-client.pcap')).flows[0]!, 10)] };
    const b = (rtt: number): { flows: FlowRecord[] } => ({ flows: [withRtt(a.flows[0]!, rtt)] });
    expect(diff(a, b(15), { rttTolerance: { ms: 5 } }).equal).toBe(true);
    expect(diff(a, b(15.001), { rttTolerance: { ms: 5 } }).changed[0]!.changes).toEqual([{ field: 'rtt_ms', a: 10, b: 15.001 }]);
    expect(diff(a, b(12), { rttTolerance: { percent: 20 } }).equal).toBe(true);
    expect(diff(a, b(7.9), { rttTolerance: { percent: 20 } }).equal).toBe(false);
    expect(diff(a, b(50), { rttTolerance: { ms: 1 }, ignore: ['rtt'] }).equal).toBe(true);
    // No RTT on one side means the handshake itself differs, and that is what is reported.
    expect(diff(a, { flows: [withRtt(a.flows[0]!, null)] }, { rttTolerance: { ms: 1 } }).equal).toBe(true);
  });

  it('parses 5ms, 250us, 1s and 20%', () => {
    expect(parseRttTolerance('5ms')).toEqual({ ms: 5 });
    expect(parseRttTolerance('0.5ms')).toEqual({ ms: 0.5 });
    expect(parseRttTolerance('250us')).toEqual({ ms: 0.25 });
    expect(parseRttTolerance('1s')).toEqual({ ms: 1000 });
    expect(parseRttTolerance('20%')).toEqual({ percent: 20 });
    for (const bad of ['5', 'ms', '-5ms', '5 minutes', '']) expect(parseRttTolerance(bad)).toBeUndefined();
  });
});

describe('anomaly codes are compared as a set', () => {
  it('counts and frames do not matter; codes only counted beyond the listing limit do', async () => {
    const f = (await analyzeFile('captures/syn-unanswered.pcap')).flows[0]!;
    const fewer: FlowRecord = { ...f, anomalies: f.anomalies.filter((a, i) => a.code !== 'syn-retransmit' || i < 2) };
    expect(diff({ flows: [f] }, { flows: [fewer] }).equal).toBe(true);
    const onlyCounted: FlowRecord = { ...f, anomalies: f.anomalies.filter((a) => a.code !== 'syn-retransmit'), anomalies_not_listed: { 'syn-retransmit': 2 } };
    expect(diff({ flows: [f] }, { flows: [onlyCounted] }).equal).toBe(true);
    const gone: FlowRecord = { ...f, anomalies: f.anomalies.filter((a) => a.code !== 'syn-retransmit') };
    expect(diff({ flows: [f] }, { flows: [gone] }).changed[0]!.anomalies_gone.map((a) => a.code)).toEqual(['syn-retransmit']);
  });
});

describe('reading saved outputs', () => {
  it('refuses what is not a synfin output, naming the field', async () => {
    const doc = JSON.parse(formatJson(await analyzeFile('captures/refused.pcap'))) as { schema: number; flows: { handshake: { kind?: string } }[] };
    expect(readSavedOutput(JSON.stringify({ ...doc, schema: 3 }))).toEqual({ ok: false, error: 'schema 3 is newer than this synfin reads (2): upgrade synfin' });
    delete doc.flows[0]!.handshake.kind;
    expect(readSavedOutput(JSON.stringify(doc))).toEqual({ ok: false, error: 'flows[0].handshake.kind: expected a string' });
    expect(readSavedOutput('{\n  "schema": 1,\n')).toMatchObject({ ok: false, error: expect.stringMatching(/^not valid JSON/) });
    expect(readSavedOutput('{"a": 1}')).toEqual({ ok: false, error: 'a JSON document without "flows": not a synfin output' });
    expect(readSavedOutput('{"id": 1, "client": {}}\n')).toMatchObject({ ok: false, error: expect.stringMatching(/^line 1\.first_frame/) });
    expect(readSavedOutput('{"id": 1, "client"\n')).toMatchObject({ ok: false, error: expect.stringMatching(/^line 1: not valid JSON/) });
  });

  it('nothing in a saved file reaches the terminal raw', async () => {
    const f = (await analyzeFile('captures/refused.pcap')).flows[0]!;
    const hostile: FlowRecord = { ...f, client: { ...f.client, addr: '10.0.0.1\u001b[2J\u202e' } };
    const text = formatDiffText(diff({ flows: [f] }, { flows: [hostile] }), { a: 'a\u0007.json', b: 'b.json' });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(text).toContain('10.0.0.1\\x1b[2J\\u{202e}');
    expect(text).toContain('a\\x07.json');
  });

  it('--ignore entries must be fields or known codes', () => {
    expect(checkIgnore(['rtt', 'final_state', 'keepalive'])).toBeUndefined();
    expect(checkIgnore(['finalstate'])).toMatch(/'finalstate' is neither a field/);
  });
});

describe('slimForDiff: what the command holds of a capture\'s flows', () => {
  it.each([
    ['demo-mixed', 'lost-final-ack'], ['tuple-reuse', 'normal-close-client'], ['zero-window', 'zero-window'],
    ['crafted-syn-flood', 'accept-queue-full'], ['retransmission-death', 'keepalive-death'],
  ])('%s vs %s: the same result as from whole records, in every match mode', async (x, y) => {
    const a = await analyzeFile(`captures/${x}.pcap`);
    const b = await analyzeFile(`captures/${y}.pcap`);
    const slim = (r: typeof a) => ({ flows: r.flows.map(slimForDiff) });
    for (const match of ['server', 'strict', 'order'] as const) {
      for (const extra of [{}, { rttTolerance: { ms: 1 } }, { ignore: ['retransmission', 'final_state'] }]) {
        expect(diff(slim(a), slim(b), { match, ...extra })).toEqual(diff(a, b, { match, ...extra }));
      }
    }
    expect(JSON.stringify(slim(a).flows[0]).length).toBeLessThan(JSON.stringify(a.flows[0]).length / 2);
  });
});

describe('the timeline diff keeps (DIFF_TIMELINE): a flow\'s FIN segments only', () => {
  const reruns = readdirSync('captures/rerun').filter((n) => n.endsWith('.pcap')).map((n) => `rerun/${n.replace(/\.pcap$/, '')}`);
  let thinner = 0;
  it.each([...goldenCaptures(), ...reruns])('%s: the whole timeline\'s FIN entries, the rest of each record unchanged, every close timed as before', async (name) => {
    const path = `captures/${name}.pcap`;
    const whole = await analyzeFile(path, { events: true });
    const fins = await analyzeFile(path, DIFF_TIMELINE);
    expect(fins.flows).toHaveLength(whole.flows.length);
    for (let i = 0; i < whole.flows.length; i++) {
      const { events: all = [], events_omitted: _none, ...rest } = whole.flows[i]!;
      const { events: kept = [], events_omitted: omitted, ...same } = fins.flows[i]!;
      expect(same, `flow ${i + 1}`).toEqual(rest);
      const finEntries = all.filter((e) => e.icmp === undefined && e.flags.includes('F'));
      if (finEntries.length <= DIFF_TIMELINE.eventsKept) {
        expect(kept, `flow ${i + 1}`).toEqual(finEntries);
        expect(omitted).toBeUndefined();
      } else {
        const half = DIFF_TIMELINE.eventsKept / 2;
        expect(kept).toEqual([...finEntries.slice(0, half), ...finEntries.slice(-half)]);
        expect(omitted?.frames).toBe(finEntries.length - DIFF_TIMELINE.eventsKept);
      }
      if (kept.length < all.length) thinner++;
      expect(finGapMs(fins.flows[i]!), `flow ${i + 1}`).toBe(finGapMs(whole.flows[i]!));
      expect(finsCrossed(fins.flows[i]!), `flow ${i + 1}`).toBe(finsCrossed(whole.flows[i]!));
    }
  });
  it('is thinner than the whole timeline (so the comparison above is not between two equal things)', () => {
    expect(thinner).toBeGreaterThan(100);
  });
});

describe('two shelves (what the CLI holds of each side) diff as the flows themselves do', () => {
  it.each([['demo-mixed', 'lost-final-ack'], ['tuple-reuse', 'tuple-reuse'], ['crafted-syn-flood', 'accept-queue-full']])('%s vs %s, B shelved in reverse order, one flow of B dropped', async (x, y) => {
    const a = (await analyzeFile(`captures/${x}.pcap`)).flows.map(slimForDiff);
    const b = (await analyzeFile(`captures/${y}.pcap`)).flows.map(slimForDiff).slice(1).reverse();
    for (const match of ['server', 'strict', 'order'] as const) {
      const shelfA = new FlowShelf(match);
      const shelfB = new FlowShelf(match);
      for (const f of a) shelfA.add(f);
      for (const f of b) shelfB.add(f);
      const same: string[] = [];
      const fromShelves = diff(shelfA, shelfB, { match, onSame: (p, q) => same.push(`${p.id}/${q.id}`) });
      const sameArrays: string[] = [];
      expect(fromShelves).toEqual(diff({ flows: a }, { flows: b }, { match, onSame: (p, q) => sameArrays.push(`${p.id}/${q.id}`) }));
      expect(same.sort()).toEqual(sameArrays.sort());
      shelfA.close();
      shelfB.close();
    }
  });
});
