/**
 * Prints the functions with the most self time in a V8 CPU profile (what
 * `node --cpu-prof` writes), with their share of all samples: the table
 * docs/performance.md quotes.
 *
 *   node --cpu-prof --cpu-prof-dir=prof bin/synfin.js flows --format json big.pcap > /dev/null
 *   npx tsx scripts/bench/profile-summary.ts prof/*.cpuprofile [--top 25]
 */

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One row: a function (name, file, line) and its self time. */
export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  readonly share: number;
}

/** Self time per function, largest first. */
export function selfTimes(profile: Profile): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    const node = byId.get(id);
    if (node === undefined) return;
    const f = node.callFrame;
    const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/(src|node_modules|scripts)\//, '$1/');
    const where = file === '' ? '' : `${file}:${f.lineNumber + 1}`;
    const name = f.functionName === '' ? '(anonymous)' : f.functionName;
    const key = `${name} ${where}`;
    const t = totals.get(key) ?? { name, where, us: 0 };
    t.us += dt;
    totals.set(key, t);
  });
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .map((t) => ({ name: t.name, where: t.where, ms: t.us / 1000, share: all === 0 ? 0 : t.us / all }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  // Without --top, topAt + 1 is 0: it must not drop the first file.
  const files = args.filter((a, i) => a !== '--top' && (topAt < 0 || i !== topAt + 1));
  for (const file of files) {
    const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile);
    const total = rows.reduce((n, r) => n + r.ms, 0);
    process.stdout.write(`${file}: ${(total / 1000).toFixed(2)} s sampled\n`);
    process.stdout.write('| self ms | share | function | where |\n|---:|---:|---|---|\n');
    for (const r of rows.slice(0, top)) {
      process.stdout.write(`| ${r.ms.toFixed(0)} | ${(r.share * 100).toFixed(1)} % | \`${r.name}\` | ${r.where} |\n`);
    }
  }
}
