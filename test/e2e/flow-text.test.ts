/**
 * `synfin flows --format json|ndjson` without a filter prints a flow whose
 * record was made when it was done (tcp/compact.ts) from the JSON text it was
 * kept as, without parsing it and writing it again (AnalyzeOptions.flowText,
 * FlowFormat.fromJson). What it prints must be what the record itself gives,
 * settled and with its `via`, and the summary must count it as the record:
 * for every committed capture, with TIME_WAITs outliving the capture and with
 * every one running out.
 */

import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { formatJsonFlowEntry, formatNdjsonFlow, jsonFormat, ndjsonFormat } from '../../src/report/json.ts';
import { jsonText } from '../../src/report/flow-format.ts';
import { capturesUnder } from './captures.ts';

// captures/bad are refused before any flow.
const CAPTURES = capturesUnder('captures').filter((f) => !f.startsWith('captures/bad/'));

describe('records made early, printed from their text', () => {
  it('covers the committed captures, tunnels and ICMP among them', () => {
    expect(CAPTURES.length).toBeGreaterThan(100);
    expect(CAPTURES.some((f) => f.includes('icmp'))).toBe(true);
  });

  let fromText = 0;
  for (const file of CAPTURES) {
    for (const msl of [30, 0.001]) {
      it(`${file} (MSL ${msl} s): the same lines and summary as from the records`, async () => {
        const texts = new Map<number, string>();
        const entries = new Map<number, string>();
        const lines = new Map<number, string>();
        const asText = await analyzeFile(file, {
          msl,
          flowText: (id, json) => {
            texts.set(id, jsonText(ndjsonFormat.fromJson!(json)));
            entries.set(id, jsonText(jsonFormat.fromJson!(json)));
          },
          onFlow: (f) => lines.set(f.id, formatNdjsonFlow(f)),
        });
        const asRecords = await analyzeFile(file, { msl });
        expect(asText.summary).toStrictEqual(asRecords.summary);
        // Each flow once, one way or the other, and the records it leaves out are those it printed as text.
        expect(texts.size + lines.size).toBe(asRecords.flows.length);
        expect(asText.flows.map((f) => f.id)).toStrictEqual([...lines.keys()].sort((a, b) => a - b));
        for (const f of asRecords.flows) {
          expect(texts.get(f.id) ?? lines.get(f.id)).toBe(formatNdjsonFlow(f));
          if (entries.has(f.id)) expect(entries.get(f.id)).toBe(formatJsonFlowEntry(f));
        }
        fromText += texts.size;
      });
    }
  }

  it('printed most flows of those captures from their text', () => {
    expect(fromText).toBeGreaterThan(200);
  });
});
