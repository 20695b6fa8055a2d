/**
 * Peak memory and time of every output on the flood captures (generate.ts):
 * docs/design.md's bound ("Speed and memory") must hold for every format and
 * command, not only json. Runs, one after another under GNU time,
 *
 *   synfin flows --format ndjson|json|csv|text|zeek F > /dev/null
 *   synfin explain --all F > /dev/null
 *
 * on each capture (generating the missing ones), and prints a table with
 * the peak RSS judged against the 300 MB flood bound. Nothing asserts a
 * timing; docs/performance.md ("Floods") quotes the table.
 *
 *   npx tsx scripts/floods/measure.ts [--out DIR] [--only NAME,...] [--formats ndjson,csv,...] [--scale F]
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FLOODS } from './generate.ts';

const BOUND_MB = 300;
const FORMATS = ['ndjson', 'json', 'csv', 'text', 'zeek', 'explain'] as const;

function main(argv: readonly string[]): void {
  let out = 'bench-out';
  let only: string[] = Object.keys(FLOODS);
  let formats: string[] = [...FORMATS];
  let scale = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') out = argv[++i] ?? out;
    else if (a === '--only') only = (argv[++i] ?? '').split(',').filter((x) => x !== '');
    else if (a === '--formats') formats = (argv[++i] ?? '').split(',').filter((x) => x !== '');
    else if (a === '--scale') scale = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  const rows: string[] = ['| capture | output | seconds | peak RSS MB | under 300 MB |', '|---|---|--:|--:|---|'];
  for (const name of only) {
    const path = join(out, `flood-${name}${scale === 1 ? '' : `-x${scale}`}.pcap`);
    if (!existsSync(path)) {
      const make = FLOODS[name as keyof typeof FLOODS];
      if (make === undefined) throw new Error(`unknown capture ${name} (${Object.keys(FLOODS).join(', ')})`);
      make(path, scale);
    }
    for (const format of formats) {
      const args = format === 'explain' ? ['explain', '--all', path] : ['flows', '--format', format, path];
      const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, 'bin/synfin.js', ...args], {
        encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024,
      });
      const last = r.stderr.trim().split('\n').pop() ?? '';
      const [seconds, kb] = last.split(' ').map(Number);
      const mb = (kb ?? NaN) / 1024;
      const line = `| ${name} | ${format === 'explain' ? 'explain --all' : format} | ${seconds?.toFixed(1)} | ${mb.toFixed(0)} | ${mb < BOUND_MB ? 'yes' : '**no**'} |`;
      rows.push(line);
      process.stderr.write(`${line}\n`);
    }
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
