/**
 * One capture, every container and link type the readers support
 * (captures/variants/, written by captures/variants.py): the analysis must not
 * depend on how the bytes were stored. Everything but the `captures` block is
 * byte-identical (times at the file's precision); a Simple Packet Block file has no timestamps, and a file cut
 * mid-record loses its last frame, so those two are held to what they can show.
 */

import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile, type AnalysisResult } from '../../src/analyze.ts';

const DIR = 'captures/variants';
const variants = existsSync(DIR) ? readdirSync(DIR).sort() : [];

/**
 * Times print at each file's declared precision, so a nanosecond copy of a
 * microsecond capture shows the same instants with three more zeros: that is
 * one difference allowed; the other is frame_bytes, which counts the link
 * header a VLAN tag or a cooked header changes.
 */
function body(r: AnalysisResult): string {
  return JSON.stringify({ summary: r.summary, flows: r.flows })
    .replace(/(\.\d{6})000Z/g, '$1Z')
    // Frame lengths count the link header, which is what a variant changes.
    .replace(/"frame_bytes":\d+/g, '"frame_bytes":-');
}

function kinds(r: AnalysisResult): unknown {
  return r.flows.map((f) => [f.handshake.kind, f.close.kind, f.client.final_state, f.server.final_state, f.client.frames, f.server.frames]);
}

it('variants exist for the kernel captures', () => {
  expect(variants.length).toBeGreaterThan(50);
});

describe.each(variants)('%s', (file) => {
  const base = file.replace(/\..*$/, '');
  it('tells the same story as the microsecond pcap it was made from', async () => {
    const original = await analyzeFile(`captures/${base}.pcap`, { events: true });
    const variant = await analyzeFile(`${DIR}/${file}`, { events: true });
    if (file.includes('.spb.')) {
      expect(kinds(variant)).toEqual(kinds(original));
    } else if (file.includes('.cut.')) {
      expect(variant.captures[0]!.truncated).toBe(true);
      expect(variant.summary.frames).toBe(original.summary.frames - 1);
    } else {
      expect(variant.captures[0]!.truncated).toBe(false);
      expect(body(variant)).toBe(body(original));
    }
  });
});
