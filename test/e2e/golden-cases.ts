/** Which captures have goldens, and how a golden is rendered: shared by the test and the updater. */

import { readdirSync } from 'node:fs';
import { analyzeFile } from '../../src/analyze.ts';
import { formatJson } from '../../src/report/json.ts';
import { formatText } from '../../src/report/text.ts';

/** Folders of captures/ whose captures have goldens too, under the same name in test/golden/. */
export const GOLDEN_FOLDERS = ['icmp'] as const;

/** Every top-level capture in captures/, and those of GOLDEN_FOLDERS as FOLDER/NAME (variants and bad files have their own tests). */
export function goldenCaptures(): string[] {
  const names = (dir: string, prefix: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => prefix + f.replace(/\.pcap$/, ''));
  return [...names('captures', ''), ...GOLDEN_FOLDERS.flatMap((d) => names(`captures/${d}`, `${d}/`))].sort();
}

/** The JSON (with --events) and text outputs of one capture. */
export async function renderGolden(name: string): Promise<{ json: string; text: string }> {
  const file = `captures/${name}.pcap`;
  const withEvents = await analyzeFile(file, { events: true });
  const plain = await analyzeFile(file);
  return { json: formatJson(withEvents), text: formatText(plain) };
}
