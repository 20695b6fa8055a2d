/**
 * docs/architecture.md as a newcomer uses it: the folders import one way,
 * and its recipes work. A made-up anomaly and a made-up output format are
 * added to a copy of the sources by editing exactly the files the recipe
 * names; the copy must then type-check and show them on a real capture.
 */

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const DOC = readFileSync('docs/architecture.md', 'utf8');

/** The folders of src/ in pipeline order: each may import only from those before it (and the top-level files from any). */
const ORDER = ['spool', 'capture', 'decode', 'flow', 'zeek', 'tcp', 'parallel', 'report', 'cli'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : /\.(ts|mts|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)(?:\s+type)?[^'"]*?from\s+'(\.[^']+)'/g)].map((m) => join(file, '..', m[1]!));
}

describe('the pipeline', () => {
  it('every folder docs/architecture.md names exists, and it names every folder of src/', () => {
    const folders = readdirSync('src', { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(folders).toEqual([...ORDER].sort());
    for (const f of folders) expect(DOC).toContain(`\`src/${f}/\``);
  });

  it('imports flow one way: no folder imports from a folder after it', () => {
    const wrong: string[] = [];
    for (const file of files('src')) {
      const from = relative('src', file).split('/')[0]!;
      const i = ORDER.indexOf(from);
      if (i < 0) continue;
      for (const target of importsOf(file)) {
        const to = relative('src', target).split('/');
        const j = to.length > 1 ? ORDER.indexOf(to[0]!) : Infinity; // a top-level file (engine.ts, analyze.ts …) is above every folder
        // parallel/ runs engines, cli/ and report/ read analyses: those top-level files are theirs to import.
        const topLevelOk = to.length === 1 && (from === 'parallel' || from === 'report' || from === 'cli');
        if (j > i && !topLevelOk) wrong.push(`${relative('.', file)} → ${relative('.', target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** The backticked repository paths in the section of docs/architecture.md under `heading`. */
function recipeFiles(heading: string): string[] {
  const start = DOC.indexOf(`### ${heading}`);
  expect(start, heading).toBeGreaterThan(0);
  const end = DOC.indexOf('\n## ', start) < 0 ? DOC.length : Math.min(...[DOC.indexOf('\n### ', start + 4), DOC.indexOf('\n## ', start)].filter((i) => i > 0));
  return [...new Set([...DOC.slice(start, end).matchAll(/`((?:src|docs|schema|test)\/[\w./-]+\.\w+)`/g)].map((m) => m[1]!))];
}

const work = mkdtempSync(join(tmpdir(), 'synfin-recipe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of what the recipes edit, with the repository's node_modules. */
function copy(name: string): string {
  const dir = join(work, name);
  for (const p of ['src', 'scripts', 'schema', 'docs', 'captures', 'package.json', 'tsconfig.json']) cpSync(p, join(dir, p), { recursive: true });
  symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
  // The pipeline's sources: the tests and the matchers (src/vitest.ts) reach the package and its test runners by name.
  writeFileSync(join(dir, 'tsconfig.recipe.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src'], exclude: ['src/vitest.ts', 'src/report/html/browser'] }));
  return dir;
}

/** Every file of `dir` (but node_modules) with its contents, to find what an edit changed. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (statSync(p).size < 4_000_000) out.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([p, text]) => before.get(p) !== text).map(([p]) => p).sort();
}

function edit(dir: string, file: string, find: string | RegExp, replace: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  const next = text.replace(find, replace);
  expect(next, `${file}: ${String(find)}`).not.toBe(text);
  writeFileSync(path, next);
}

function run(dir: string, args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

describe('the recipes', () => {
  it('"Add an anomaly": a made-up one, in the files the recipe names, type-checks and is found on a capture', () => {
    const dir = copy('anomaly');
    const before = snapshot(dir);
    // 1. Its row.
    edit(dir, 'src/tcp/anomalies/registry.ts', "  'rst-only': {", `  'first-syn': {
    severity: 'info',
    phase: 'segment',
    side: 'sender',
  },
  'rst-only': {`);
    // 2. Its detector, beside its kind.
    edit(dir, 'src/tcp/anomalies/handshake.ts', /\nfunction round/, `
/** Every first SYN (a made-up anomaly, to test the recipe). */
export const firstSyn: Detector = (obs) => obs.synRetransmit !== undefined || obs.seg.flags !== 2 ? NO_FINDINGS : [
  at(obs, 'first-syn', \`\${who(obs.sender)} sent a SYN\`),
];

function round`);
    // 3. Its place in the list.
    edit(dir, 'src/tcp/anomalies/index.ts', 'import { acceptQueueFull,', 'import { firstSyn, acceptQueueFull,');
    edit(dir, 'src/tcp/anomalies/index.ts', '  synRetransmit, synackRetransmit,', '  firstSyn, synRetransmit, synackRetransmit,');
    // 4. Its next step, which the compiler asks for.
    edit(dir, 'src/report/explain.ts', "    case 'midstream':\n      return undefined;", "    case 'midstream':\n    case 'first-syn':\n      return undefined;");
    // 5. The docs' table and the schema's enum.
    run(dir, ['npx', 'tsx', 'scripts/docs-anomalies.ts']);
    const touched = changed(before, snapshot(dir));
    const named = recipeFiles('Add an anomaly');
    expect(touched.filter((f) => !named.includes(f))).toEqual([]);
    run(dir, ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.recipe.json']);
    const out = run(dir, ['npx', 'tsx', 'scripts/dev.ts', 'flows', 'captures/demo-mixed.pcap', '--format', 'json']);
    expect((JSON.parse(out) as { summary: { anomalies: Record<string, number> } }).summary.anomalies['first-syn']).toBe(5);
    // --fail-on knows it too.
    const gate = spawnSync('npx', ['tsx', 'scripts/dev.ts', 'flows', 'captures/demo-mixed.pcap', '--fail-on', 'first-syn'], { cwd: dir, encoding: 'utf8' });
    expect(gate.status).toBe(1);
  }, 120_000);

  it('"Add an output format of flows": a made-up one is a file and a row, and the CLI writes it', () => {
    const dir = copy('format');
    const before = snapshot(dir);
    writeFileSync(join(dir, 'src/report/ids.ts'), `/** \`--format ids\`: a made-up format, to test the recipe: each flow's id and verdict, then a count. */

import type { FlowFormat } from './flow-format.ts';
import { matchesFilter } from './text.ts';

export const idsFormat: FlowFormat = {
  writer: (context) => ({
    flow: (f) => (matchesFilter(f, context.filter ?? {}) ? \`\${f.id} \${f.handshake.kind}\\n\` : undefined),
    document: (_result, count) => ({ head: '', separator: '', tail: () => \`\${count} flows\\n\` }),
  }),
};
`);
    edit(dir, 'src/report/formats.ts', "import { csvFormat } from './csv.ts';", "import { csvFormat } from './csv.ts';\nimport { idsFormat } from './ids.ts';");
    edit(dir, 'src/report/formats.ts', '  csv: csvFormat,', '  csv: csvFormat,\n  ids: idsFormat,');
    const touched = changed(before, snapshot(dir));
    const named = recipeFiles('Add an output format of `flows`');
    // The new file stands for the recipe's src/report/NAME.ts.
    expect(touched.filter((f) => !named.includes(f) && f !== 'src/report/ids.ts')).toEqual([]);
    expect(named).toContain('src/report/NAME.ts');
    run(dir, ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.recipe.json']);
    const out = run(dir, ['npx', 'tsx', 'scripts/dev.ts', 'flows', 'captures/demo-mixed.pcap', '--format', 'ids', '--port', '9602']);
    expect(out).toBe('3 refused\n1 flows\n');
    const help = run(dir, ['npx', 'tsx', 'scripts/dev.ts', 'flows', '--help']);
    expect(help).toMatch(/ids/);
  }, 120_000);
});
