/**
 * The SVG ladder diagram: for every capture in captures/ it is well-formed
 * XML, writes each endpoint's states exactly as explain's timeline lists them
 * (the same event records), is the same bytes on every run, matches the
 * reviewed goldens for a few stories, folds long data phases and idle gaps,
 * and escapes whatever the capture carries.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { stateSpans } from '../../src/report/explain.ts';
import { LADDER_FRAME_LIMIT, ladderInitialStates, ladderStates, ladderSvg } from '../../src/report/ladder-svg.ts';
import type { EventRecord, FlowRecord } from '../../src/tcp/record.ts';
import type { AnomalyCode } from '../../src/tcp/anomalies/registry.ts';
import { renderSvgGolden, SVG_GOLDENS } from './svg-goldens.ts';
import { xmlProblems } from './xml-check.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();

/** The state labels the SVG draws beside one endpoint's line, top to bottom. */
function drawnStates(svg: string, side: 'client' | 'server'): string[] {
  return [...svg.matchAll(new RegExp(`<text [^>]*class="state ${side}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]!);
}

/** Explain's state sequence for one side: the initial state, then each span's state, repeats merged. */
/** explain's states: its timeline's, then the final state its account gives when a timer reached it after the last frame. */
function explainStates(f: FlowRecord, side: 'client' | 'server'): string[] {
  const seq = [ladderInitialStates(f)[side], ...stateSpans(f).filter((s) => s.side === side).map((s) => s.state), f[side].final_state];
  return seq.filter((s, i) => i === 0 || s !== seq[i - 1]);
}

async function flowsOf(name: string): Promise<FlowRecord[]> {
  return (await analyzeFile(`captures/${name}.pcap`, { events: true })).flows;
}

describe('ladder SVG', () => {
  it.each(CAPTURES)('%s: well-formed, and both endpoints\' states are explain\'s', async (name) => {
    const flows = await flowsOf(name);
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) {
      const svg = ladderSvg(f);
      expect(xmlProblems(svg), `flow ${f.id}`).toEqual([]);
      expect(svg).not.toMatch(/<script|on[a-z]+=/i);
      for (const side of ['client', 'server'] as const) {
        expect(drawnStates(svg, side), `flow ${f.id} ${side}`).toEqual(explainStates(f, side));
        expect(ladderStates(f)[side]).toEqual(explainStates(f, side));
      }
      // Every frame is drawn (no collapse below the limit), each with its number.
      if ((f.events ?? []).length <= LADDER_FRAME_LIMIT) {
        expect((svg.match(/class="arrow (c2s|s2c)"/g) ?? []).length).toBe((f.events ?? []).length);
      }
    }
  });

  it('the stories end as their names say', async () => {
    const last = async (name: string): Promise<[string, string]> => {
      const svg = ladderSvg((await flowsOf(name))[0]!);
      return [drawnStates(svg, 'client').at(-1)!, drawnStates(svg, 'server').at(-1)!];
    };
    expect(await last('stuck-close-wait')).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
    expect(await last('normal-close-client')).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(await last('refused')).toEqual(['CLOSED', 'CLOSED']);
    const lost = ladderSvg((await flowsOf('lost-final-ack'))[0]!);
    expect(lost).toContain('⚠ fin-retransmit, last-ack-lost');
  });

  it.each(SVG_GOLDENS)('%s matches its golden and is the same bytes on every run', async (name) => {
    const svg = await renderSvgGolden(name);
    expect(await renderSvgGolden(name)).toBe(svg);
    expect(svg).toBe(readFileSync(`test/golden/${name}.svg`, 'utf8'));
  });

  it('collapses a long data phase into one band and keeps the handshake and close whole', async () => {
    const [f] = await flowsOf('normal-close-client');
    const events = f!.events!;
    // Frame 5 onwards repeated: a data segment in ESTABLISHED, renumbered, 5,000 times.
    const data = events.find((e) => e.len > 0 && e.client === 'ESTABLISHED' && e.server === 'ESTABLISHED' && e.notes.length === 0)!;
    const at = events.indexOf(data);
    const bulk: EventRecord[] = Array.from({ length: 5000 }, (_, k) => ({ ...data, frame: data.frame + k }));
    const shift = (e: EventRecord): EventRecord => ({ ...e, frame: e.frame + 5000 });
    const long: FlowRecord = { ...f!, events: [...events.slice(0, at), ...bulk, ...events.slice(at).map(shift)] };
    const svg = ladderSvg(long);
    expect(xmlProblems(svg)).toEqual([]);
    const arrows = (svg.match(/class="arrow (c2s|s2c)"/g) ?? []).length;
    expect(arrows).toBeLessThan(30);
    expect(svg).toMatch(/frames \d+-\d+: 5,00\d segments of data transfer/);
    for (const side of ['client', 'server'] as const) expect(drawnStates(svg, side)).toEqual(explainStates(long, side));
    expect(Number(/height="(\d+)"/.exec(svg)![1])).toBeLessThan(1500);
  });

  it('folds a long idle gap and labels its length', async () => {
    const [f] = await flowsOf('normal-close-client');
    const events = f!.events!;
    const late = (e: EventRecord): EventRecord => ({ ...e, time: new Date(Date.parse(e.time) + 61_200).toISOString() });
    const idle: FlowRecord = { ...f!, events: [...events.slice(0, 5), ...events.slice(5).map(late)] };
    expect(ladderSvg(idle)).toMatch(/… 61\.2 s idle …/);
    expect(ladderSvg(f!)).not.toMatch(/ idle …/);
  });

  it('escapes markup from the capture', async () => {
    const [f] = await flowsOf('normal-close-client');
    const hostile: FlowRecord = {
      ...f!,
      client: { ...f!.client, addr: '<script>alert(1)</script>' },
      anomalies: [...f!.anomalies, { code: '"><img src=x onerror=alert(1)>' as AnomalyCode, severity: 'error', side: 'client', frame: 1, time: f!.start, message: '&' }],
    };
    const svg = ladderSvg(hostile);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;script&gt;');
  });
});
