/** Which captures have goldens, and how a golden is rendered: shared by the test and the updater. */

import { readdirSync } from 'node:fs';
import { analyzeFile } from '../../src/analyze.ts';
import { formatJson } from '../../src/report/json.ts';
import { formatText } from '../../src/report/text.ts';

/** Every top-level capture in captures/ (variants and bad files have their own tests). */
export function goldenCaptures(): string[] {
  return readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();
}

/** The JSON (with --events) and text outputs of one capture. */
export async function renderGolden(name: string): Promise<{ json: string; text: string }> {
  const file = `captures/${name}.pcap`;
  const withEvents = await analyzeFile(file, { events: true });
  const plain = await analyzeFile(file);
  return { json: formatJson(withEvents), text: formatText(plain) };
}
