/**
 * The report's HTML without a browser: the same bytes on every run, nothing
 * it would fetch, and capture text that cannot close the data block.
 */

import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { reportHtml, scriptJson } from '../../src/report/html.ts';

describe('report HTML', () => {
  it('is the same bytes on every run and references nothing outside itself', async () => {
    const a = reportHtml(await analyzeFile('captures/demo-mixed.pcap', { events: true }), 'demo-mixed.pcap');
    const b = reportHtml(await analyzeFile('captures/demo-mixed.pcap', { events: true }), 'demo-mixed.pcap');
    expect(a).toBe(b);
    expect(a.match(/https?:\/\/[^"\s\\]*/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
    expect(a).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(a).toContain('content="default-src &apos;none&apos;; script-src &apos;sha256-');
  });

  it('keeps markup out of the JSON block', () => {
    const s = scriptJson({ x: '</script><script>alert(1)</script>&\u2028' });
    expect(s).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(s)).toEqual({ x: '</script><script>alert(1)</script>&\u2028' });
  });
});
