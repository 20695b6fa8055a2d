/**
 * The walked state diagram: well-formed for every capture, and each side's
 * highlighted steps chain from its initial state through exactly the states
 * the ladder (and so explain) lists, each labelled with its frame.
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { ladderStates } from '../../src/report/ladder-svg.ts';
import { stateDiagramSvg } from '../../src/report/state-diagram-svg.ts';
import { xmlProblems } from './xml-check.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();

describe('walked state diagram', () => {
  it.each(CAPTURES)('%s: well-formed, steps follow the states explain lists', async (name) => {
    for (const f of (await analyzeFile(`captures/${name}.pcap`, { events: true })).flows) {
      const svg = stateDiagramSvg(f);
      expect(xmlProblems(svg), `flow ${f.id}`).toEqual([]);
      for (const side of ['client', 'server'] as const) {
        const steps = [...svg.matchAll(new RegExp(`class="${side}(?: odd)? step" data-from="(\\w+)" data-to="(\\w+)" data-frame="(\\d+)"`, 'g'))];
        const want = ladderStates(f)[side];
        expect([want[0], ...steps.map((m) => m[2])], `flow ${f.id} ${side}`).toEqual(want);
        steps.forEach((m, i) => expect(m[1]).toBe(want[i]));
        const frames = steps.map((m) => Number(m[3]));
        expect(frames).toEqual([...frames].sort((a, b) => a - b));
      }
    }
  });

  it('draws the server of lost-final-ack going LAST_ACK → CLOSED twice (frames 11 and 13)', async () => {
    const [f] = (await analyzeFile('captures/lost-final-ack.pcap', { events: true })).flows;
    const svg = stateDiagramSvg(f!);
    expect(svg).toContain('class="server step" data-from="LAST_ACK" data-to="CLOSED" data-frame="11"');
    expect(svg).toContain('class="server step" data-from="LAST_ACK" data-to="CLOSED" data-frame="13"');
    expect(svg).toContain('class="server odd step" data-from="CLOSED" data-to="LAST_ACK" data-frame="12"');
  });
});
