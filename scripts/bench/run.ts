/**
 * `npm run bench`: synfin side by side with its peers on generated captures
 * (generate.ts), each tool run one after another on the same file under GNU
 * time for its wall time and peak RSS.
 *
 * The default workload, `short`, is the one that hurts a flow table: about
 * 140 k short connections over about 55 s (2 M packets, 1,000 open at once, a
 * mix of clean closes, resets, refusals, unanswered and half-open handshakes),
 * at 0.25×, 1× and 2× its length, so that memory growing with the capture
 * shows. On each:
 *
 *   synfin-json        node bin/synfin.js flows --format json --jobs 1 F > /dev/null   (one core)
 *   synfin-json-all    the same with --jobs CORES                                      (every core)
 *   synfin-ndjson      flows --format ndjson --jobs 1
 *   synfin-text, -csv, -zeek, and explain, netstat, diff (F against itself), report:
 *                      every command that analyses a capture, on every core (its default)
 *   pcap-parser        count-pcap-parser.mjs F: pcap-parser's parse() counting records
 *   tshark             tshark -n -q -r F -z conv,tcp
 *   tcptrace           tcptrace -n -l F
 *
 * The 0.25× capture is 19 s long, shorter than 2 MSL (60 s): every connection
 * in it is still waiting in the table when the capture ends.
 *
 * and, once, synfin on a two-packet capture (start-up). It prints the tables,
 * judges docs/design.md's targets ("Speed and memory") and, with --docs FILE,
 * writes the tables into FILE between `<!-- bench:WORKLOAD -->` markers.
 *
 * `--workload long` is issue 7's benchmark: few long connections (33 segments
 * each), with synfin's pcapng reading and `tshark -T fields` in the table.
 *
 *   npm run bench -- [--workload short|long] [--lengths 0.25,1,2] [--packets N] [--seed S] [--runs R]
 *                    [--skip tshark,tcptrace,...] [--only synfin-json,...] [--json FILE] [--docs FILE]
 *                    [--out DIR] [--synfin PATH/bin/synfin.js]   (another checkout's CLI, for a before/after)
 *
 * Nothing here asserts a timing: the figures depend on the machine.
 */

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { benchPaths, generateFiles, GENERATOR_VERSION, type Expected, type GenerateOptions, type Workload } from './generate.ts';

/** One tool's command on the capture. */
interface Tool {
  readonly name: string;
  /** argv; `null` when the tool is not installed. */
  readonly argv: readonly string[] | null;
  /** The input it reads (its size gives MB/s). */
  readonly input: string;
  readonly why?: string;
}

/** What GNU time measured for one run. */
export interface Measurement {
  readonly tool: string;
  readonly command: string;
  readonly seconds: number;
  readonly userSeconds: number;
  readonly systemSeconds: number;
  readonly peakRssMb: number;
  readonly exitStatus: number;
  readonly packetsPerSecond: number;
  readonly mbPerSecond: number;
}

interface Args {
  packets: number;
  workload: Workload;
  lengths: number[] | undefined;
  docs: string | undefined;
  seed: number;
  runs: number;
  skip: Set<string>;
  only: Set<string> | undefined;
  json: string | undefined;
  out: string;
  synfin: string;
}

const TIME = '/usr/bin/time';

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    packets: 2_000_000, workload: 'short', lengths: undefined, docs: undefined, seed: 1, runs: 1, skip: new Set(), only: undefined,
    json: undefined, out: 'bench-out', synfin: 'bin/synfin.js',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (v: string): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} takes a positive number, got '${v}'`);
      return n;
    };
    switch (flag) {
      case '--packets': a.packets = Math.round(positive(value())); break;
      case '--scale':
      case '--lengths': a.lengths = value().split(',').map((v) => positive(v.trim())); break;
      case '--workload': {
        const w = value();
        if (w !== 'short' && w !== 'long') throw new Error(`--workload takes short or long, got '${w}'`);
        a.workload = w;
        break;
      }
      case '--docs': a.docs = value(); break;
      case '--seed': a.seed = Math.round(Number(value())); break;
      case '--runs': a.runs = Math.round(positive(value())); break;
      case '--skip': for (const s of value().split(',')) a.skip.add(s.trim()); break;
      case '--only': a.only = new Set(value().split(',').map((s) => s.trim())); break;
      case '--json': a.json = value(); break;
      case '--out': a.out = value(); break;
      case '--synfin': a.synfin = value(); break;
      default: throw new Error(`unknown argument ${flag} (see the comment at the top of scripts/bench/run.ts)`);
    }
  }
  return a;
}

/** The full path of a program on PATH, or undefined. */
function which(program: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/** The capture files, generated unless the same seed and size already are. */
function ensureCapture(a: Args, scale: number): { pcap: string; pcapng: string; expected: Expected } {
  const opts: GenerateOptions = { seed: a.seed, packets: a.packets, scale, workload: a.workload };
  const paths = benchPaths(a.out, opts);
  // The short workload has no pcapng copy (generateFiles makes one for `long` only).
  if (existsSync(paths.expected) && existsSync(paths.pcap) && (a.workload === 'short' || existsSync(paths.pcapng))) {
    const expected = JSON.parse(readFileSync(paths.expected, 'utf8')) as Expected;
    if (expected.generator === GENERATOR_VERSION && statSync(paths.pcap).size === expected.pcapBytes) {
      return { pcap: paths.pcap, pcapng: paths.pcapng, expected };
    }
  }
  process.stderr.write(`generating ${paths.pcap} (${a.workload} connections, seed ${a.seed}, ${a.packets} packets × ${scale})...\n`);
  const t0 = process.hrtime.bigint();
  const { expected } = generateFiles(a.out, opts, a.workload === 'long');
  process.stderr.write(`  ${expected.packets} packets, ${expected.flows} flows, ${(expected.pcapBytes / 1e6).toFixed(0)} MB in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s\n`);
  return { pcap: paths.pcap, pcapng: paths.pcapng, expected };
}

function tools(workload: Workload, pcap: string, pcapng: string, synfin: string): Tool[] {
  const node = process.execPath;
  const tshark = which('tshark');
  const tcptrace = which('tcptrace');
  if (workload === 'short') {
    const all = String(availableParallelism());
    const cmd = (name: string, ...args: string[]): Tool => ({ name, argv: [node, synfin, ...args], input: pcap });
    return [
      cmd('synfin-json', 'flows', '--format', 'json', '--jobs', '1', pcap),
      cmd('synfin-json-all', 'flows', '--format', 'json', '--jobs', all, pcap),
      cmd('synfin-ndjson', 'flows', '--format', 'ndjson', '--jobs', '1', pcap),
      cmd('synfin-ndjson-all', 'flows', '--format', 'ndjson', '--jobs', all, pcap),
      cmd('synfin-text', 'flows', '--format', 'text', pcap),
      cmd('synfin-csv', 'flows', '--format', 'csv', pcap),
      cmd('synfin-zeek', 'flows', '--format', 'zeek', pcap),
      cmd('synfin-explain', 'explain', pcap),
      cmd('synfin-netstat', 'netstat', '--over-time', pcap),
      cmd('synfin-diff', 'diff', pcap, pcap),
      cmd('synfin-report', 'report', pcap, '-o', '-'),
      { name: 'pcap-parser', argv: [node, 'scripts/bench/count-pcap-parser.mjs', pcap], input: pcap },
      { name: 'tshark', input: pcap, why: 'not installed', argv: tshark === undefined ? null : [tshark, '-n', '-q', '-r', pcap, '-z', 'conv,tcp'] },
      { name: 'tcptrace', input: pcap, why: 'not installed', argv: tcptrace === undefined ? null : [tcptrace, '-n', '-l', pcap] },
    ];
  }
  return [
    { name: 'synfin-json', argv: [node, synfin, 'flows', '--format', 'json', pcap], input: pcap },
    { name: 'synfin-ndjson', argv: [node, synfin, 'flows', '--format', 'ndjson', pcap], input: pcap },
    { name: 'synfin-pcapng', argv: [node, synfin, 'flows', '--format', 'json', pcapng], input: pcapng },
    { name: 'pcap-parser', argv: [node, 'scripts/bench/count-pcap-parser.mjs', pcap], input: pcap },
    {
      name: 'tshark', input: pcap, why: 'not installed',
      argv: tshark === undefined ? null : [tshark, '-n', '-r', pcap, '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.completeness', '-e', 'tcp.analysis.flags'],
    },
    { name: 'tcptrace', input: pcap, why: 'not installed', argv: tcptrace === undefined ? null : [tcptrace, '-n', '-l', pcap] },
  ];
}

/** Runs argv with its output to /dev/null, under GNU time when present. */
function measure(tool: Tool, argv: readonly string[], packets: number): Measurement {
  const devnull = openSync('/dev/null', 'w');
  try {
    const bytes = statSync(tool.input).size;
    const t0 = process.hrtime.bigint();
    const timed = existsSync(TIME);
    const r = timed
      ? spawnSync(TIME, ['-v', ...argv], { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      : spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const err = r.stderr ?? '';
    const field = (name: string): string | undefined => new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(err)?.[1];
    const seconds = timed ? parseClock(field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)')) ?? wall : wall;
    const exitStatus = timed ? Number(field('Exit status') ?? r.status ?? -1) : r.status ?? -1;
    if (exitStatus !== 0) process.stderr.write(`  ${tool.name} exited with ${exitStatus}:\n${err.split('\n').slice(0, 8).join('\n')}\n`);
    return {
      tool: tool.name,
      command: argv.map((a) => a.replace(process.execPath, 'node')).join(' '),
      seconds,
      userSeconds: Number(field('User time \\(seconds\\)') ?? NaN),
      systemSeconds: Number(field('System time \\(seconds\\)') ?? NaN),
      peakRssMb: Number(field('Maximum resident set size \\(kbytes\\)') ?? NaN) / 1024,
      exitStatus,
      packetsPerSecond: packets / seconds,
      mbPerSecond: bytes / 1e6 / seconds,
    };
  } finally {
    closeSync(devnull);
  }
}

/** GNU time's `h:mm:ss` or `m:ss.ss`, in seconds. */
function parseClock(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const parts = s.trim().split(':').map(Number);
  if (parts.some((p) => !Number.isFinite(p))) return undefined;
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padEnd(n) : s.padStart(n);
}

/** The table, synfin json's time and RSS divided by each tool's. */
export function formatTable(rows: readonly Measurement[], reference = 'synfin-json'): string {
  const ref = rows.find((r) => r.tool === reference);
  const head = ['tool', 'seconds', 'packets/s', 'MB/s', 'peak RSS MB', 'CPU s', `${reference} ÷ tool (time)`, '(RSS)'];
  const lines = rows.map((r) => [
    r.tool,
    r.seconds.toFixed(2),
    `${(r.packetsPerSecond / 1e6).toFixed(2)} M`,
    r.mbPerSecond.toFixed(0),
    Number.isFinite(r.peakRssMb) ? r.peakRssMb.toFixed(0) : '?',
    Number.isFinite(r.userSeconds) ? (r.userSeconds + r.systemSeconds).toFixed(2) : '?',
    ref === undefined || r === ref ? '' : (ref.seconds / r.seconds).toFixed(2),
    ref === undefined || r === ref || !Number.isFinite(r.peakRssMb) ? '' : (ref.peakRssMb / r.peakRssMb).toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(c, widths[i]!, i === 0)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [row(head), rule, ...lines.map(row)].join('\n');
}

/** The targets of docs/design.md, "Speed and memory", judged on one length's rows. */
function targets(rows: readonly Measurement[], workload: Workload): string[] {
  const get = (t: string): Measurement | undefined => rows.find((r) => r.tool === t);
  const out: string[] = [];
  const judge = (what: string, ok: boolean, detail: string): void => { out.push(`${ok ? 'met    ' : 'NOT MET'}  ${what}: ${detail}`); };
  const synfin = get('synfin-json');
  if (synfin === undefined) return out;
  const all = get('synfin-json-all');
  const tshark = get('tshark');
  const tsharkWhat = workload === 'short' ? 'tshark -q -z conv,tcp' : 'tshark -T fields';
  const tcptrace = get('tcptrace');
  const bare = get('pcap-parser');
  const cores = availableParallelism();
  if (tcptrace !== undefined) judge('one core: ≥ 1.5× faster than tcptrace -n -l', tcptrace.seconds / synfin.seconds >= 1.5, `${(tcptrace.seconds / synfin.seconds).toFixed(2)}×`);
  if (bare !== undefined) judge('one core: at most 2× the time pcap-parser takes to count the records', synfin.seconds / bare.seconds <= 2, `${(synfin.seconds / bare.seconds).toFixed(2)}× its time`);
  if (all !== undefined) {
    if (tshark !== undefined) judge(`every core (${cores}): ≥ 10× faster than ${tsharkWhat}`, tshark.seconds / all.seconds >= 10, `${(tshark.seconds / all.seconds).toFixed(1)}×`);
    if (bare !== undefined) judge(`every core (${cores}): at most 1.2× the time pcap-parser takes to count the records`, all.seconds / bare.seconds <= 1.2, `${(all.seconds / bare.seconds).toFixed(2)}× its time`);
    // One thread already keeps more than one core busy (V8 collects and compiles on threads of its
    // own): with no less CPU in all, the workers can at most fill the cores that leaves.
    const busy = (synfin.userSeconds + synfin.systemSeconds) / synfin.seconds;
    const ceiling = Number.isFinite(busy) ? `; its one-thread run kept ${busy.toFixed(2)} cores busy, so at the same CPU ${cores} cores give at most ${(cores / busy).toFixed(2)}×` : '';
    judge(`speed-up from 1 to ${cores} workers ≥ 1.7× (wall time, this run)`, synfin.seconds / all.seconds >= 1.7, `${(synfin.seconds / all.seconds).toFixed(2)}×${ceiling}`);
  } else if (tshark !== undefined) judge(`≥ 10× faster than ${tsharkWhat}`, tshark.seconds / synfin.seconds >= 10, `${(tshark.seconds / synfin.seconds).toFixed(1)}×`);
  for (const r of rows.filter((x) => x.tool.startsWith('synfin-') && x.tool !== 'synfin-pcapng')) {
    judge(`peak RSS ≤ 250 MB (${r.tool})`, r.peakRssMb <= 250, `${r.peakRssMb.toFixed(0)} MB`);
  }
  return out;
}

/** Peak RSS at each length against the 1× one: flat within ±20 %. */
function flatness(byLength: ReadonlyMap<number, readonly Measurement[]>): string[] {
  const out: string[] = [];
  const tools = [...new Set([...byLength.values()].flatMap((rows) => rows.map((r) => r.tool)).filter((t) => t.startsWith('synfin-')))];
  for (const tool of tools) {
    const at = (l: number): number | undefined => byLength.get(l)?.find((r) => r.tool === tool)?.peakRssMb;
    const base = at(1);
    if (base === undefined || byLength.size < 2) continue;
    const parts = [...byLength.keys()].sort((x, y) => x - y).map((l) => `${l}× ${at(l)?.toFixed(0) ?? '?'} MB`);
    const worst = Math.max(...[...byLength.keys()].map((l) => Math.abs((at(l) ?? base) / base - 1)));
    out.push(`${worst <= 0.2 ? 'met    ' : 'NOT MET'}  RSS flat within ±20 % across lengths (${tool}): ${parts.join(', ')} (worst ${(worst * 100).toFixed(0)} %)`);
  }
  return out;
}

/** Median wall time of synfin on a two-packet capture (start-up, reading, output). */
function startup(synfin: string): Measurement | undefined {
  const capture = 'captures/refused.pcap';
  if (!existsSync(capture)) return undefined;
  const times: Measurement[] = [];
  for (let i = 0; i < 7; i++) times.push(measure({ name: 'synfin-2-packets', argv: [], input: capture }, [process.execPath, synfin, 'flows', capture], 2));
  times.sort((x, y) => x.seconds - y.seconds);
  return times[3];
}

/** Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in a file. */
function writeDocs(file: string, name: string, text: string): void {
  const doc = readFileSync(file, 'utf8');
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  if (a < 0 || b < a) throw new Error(`${file} has no ${open} ... ${close} section`);
  writeFileSync(file, `${doc.slice(0, a + open.length)}\n${text}\n${doc.slice(b)}`);
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (!existsSync(TIME)) process.stderr.write(`${TIME} not found (apt-get install time): wall times only, no peak RSS\n`);
  const lengths = a.lengths ?? (a.workload === 'short' ? [0.25, 1, 2] : [1]);
  const byLength = new Map<number, Measurement[]>();
  const sections: string[] = [];
  const judged: string[] = [];
  const captures: unknown[] = [];
  for (const length of lengths) {
    const { pcap, pcapng, expected } = ensureCapture(a, length);
    captures.push({ length, pcap, bytes: statSync(pcap).size, expected });
    const rows: Measurement[] = [];
    for (const tool of tools(a.workload, pcap, pcapng, a.synfin)) {
      if (a.skip.has(tool.name) || (a.only !== undefined && !a.only.has(tool.name))) continue;
      if (tool.argv === null) {
        process.stderr.write(`  ${tool.name}: ${tool.why ?? 'unavailable'}, skipped\n`);
        continue;
      }
      let best: Measurement | undefined;
      for (let run = 0; run < a.runs; run++) {
        process.stderr.write(`  ${length}× ${tool.name}${a.runs > 1 ? ` (run ${run + 1}/${a.runs})` : ''}...`);
        const m = measure(tool, tool.argv, expected.packets);
        process.stderr.write(` ${m.seconds.toFixed(2)} s, ${m.peakRssMb.toFixed(0)} MB\n`);
        if (best === undefined || m.seconds < best.seconds) best = m;
      }
      if (best !== undefined) rows.push(best);
    }
    byLength.set(length, rows);
    const size = statSync(pcap).size;
    sections.push(`**${length}×**: ${(size / 1e6).toFixed(0)} MB, ${expected.packets.toLocaleString('en-US')} packets, ` +
      `${expected.flows.toLocaleString('en-US')} connections over ${expected.durationS.toFixed(0)} s, ${expected.concurrency.toLocaleString('en-US')} open at once ` +
      `(\`${pcap}\`)\n\n${formatTable(rows)}`);
    if (length === 1 || lengths.length === 1) judged.push(...targets(rows, a.workload));
  }
  judged.push(...flatness(byLength));
  const start = a.only === undefined || a.only.has('synfin-2-packets') ? startup(a.synfin) : undefined;
  if (start !== undefined) {
    judged.push(`${start.seconds <= 0.15 ? 'met    ' : 'NOT MET'}  two-packet capture answered by node bin/synfin.js in ≤ 150 ms: ${(start.seconds * 1000).toFixed(0)} ms (median of 7, peak RSS ${start.peakRssMb.toFixed(0)} MB)`);
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
  const text = `Workload \`${a.workload}\` (seed ${a.seed}); machine: ${machine}${a.runs > 1 ? `; best of ${a.runs} runs` : ''}. ` +
    'Ratios are synfin json\'s time and peak RSS divided by each tool\'s.\n\n' +
    `${sections.join('\n\n')}\n\nTargets (judged at 1×):\n\n\`\`\`\n${judged.join('\n')}\n\`\`\``;
  process.stdout.write(`\n${text}\n`);
  if (a.docs !== undefined) writeDocs(a.docs, a.workload, text);
  if (a.json !== undefined) {
    writeFileSync(a.json, `${JSON.stringify({
      workload: a.workload, captures,
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, memoryBytes: totalmem(), node: process.versions.node },
      runs: a.runs, results: Object.fromEntries([...byLength].map(([l, rows]) => [`${l}x`, rows])), startup: start ?? null, targets: judged,
    }, null, 2)}\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(2);
  });
}
