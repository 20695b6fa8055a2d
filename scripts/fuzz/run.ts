/**
 * The fuzz harness (issue: no capture makes synfin crash, hang, lie or grow
 * without bound). Mutates the committed captures at every layer and runs the
 * analyser on each mutant in a worker thread, watched for:
 *   - a thrown error other than synfin's own input error (crash),
 *   - broken invariants in the result (frame counts, cited frames),
 *   - a hang (no answer within --limit-ms),
 *   - memory beyond --max-old-mb (the worker's heap limit).
 * Failing inputs are minimised and written to test/fuzz-regressions/, where
 * test/fuzz-regressions/regressions.test.ts replays them on every npm test.
 *
 *   npm run fuzz -- --seconds 60 [--seed 1]
 *   npm run fuzz -- --repro test/fuzz-regressions/crash-0001.bin
 */

import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { FAMILIES, mutate, prng, type Family } from './mutate.ts';
import type { Verdict } from './check.ts';

interface Args { seconds: number; seed: number; limitMs: number; maxOldMb: number; repro?: string; out: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { seconds: 30, seed: 1, limitMs: 10_000, maxOldMb: 768, out: 'test/fuzz-regressions' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--seconds': a.seconds = Number(v); i++; break;
      case '--seed': a.seed = Number(v); i++; break;
      case '--limit-ms': a.limitMs = Number(v); i++; break;
      case '--max-old-mb': a.maxOldMb = Number(v); i++; break;
      case '--repro': a.repro = v; i++; break;
      case '--out': a.out = v ?? a.out; i++; break;
      default: throw new Error(`fuzz: unknown argument ${argv[i]} (see the header of scripts/fuzz/run.ts)`);
    }
  }
  return a;
}

type Outcome = Verdict | { kind: 'hang'; message: string } | { kind: 'oom'; message: string };

/** A worker that can be replaced when it hangs or dies. */
class Checker {
  private worker: Worker | undefined;
  private next = 1;
  constructor(private readonly limitMs: number, private readonly maxOldMb: number) {}

  private spawn(): Worker {
    return new Worker(new URL('./worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: this.maxOldMb } });
  }

  run(bytes: Buffer): Promise<Outcome> {
    const worker = (this.worker ??= this.spawn());
    const id = this.next++;
    return new Promise((resolve) => {
      const done = (o: Outcome): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(o);
      };
      const onMessage = (m: { id: number; verdict: Verdict }): void => { if (m.id === id) done(m.verdict); };
      const onError = (e: Error): void => {
        this.worker = undefined;
        done(/memory/i.test(e.message) ? { kind: 'oom', message: e.message } : { kind: 'crash', message: e.stack ?? e.message });
      };
      const onExit = (): void => { this.worker = undefined; done({ kind: 'crash', message: 'worker exited' }); };
      const timer = setTimeout(() => {
        this.worker = undefined;
        void worker.terminate();
        done({ kind: 'hang', message: `no answer within ${this.limitMs} ms` });
      }, this.limitMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, bytes });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

function isFailure(o: Outcome): boolean {
  return o.kind !== 'ok' && o.kind !== 'input-error';
}

/** Shrinks a failing input while it keeps failing the same way (bounded effort). */
async function minimise(checker: Checker, input: Buffer, kind: string): Promise<Buffer> {
  let best = input;
  let attempts = 0;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && attempts < 300; chunk >>= 1) {
    for (let at = 0; at + chunk <= best.length && attempts < 300;) {
      const candidate = Buffer.concat([best.subarray(0, at), best.subarray(at + chunk)]);
      attempts++;
      const o = await checker.run(candidate);
      if (o.kind === kind) best = candidate;
      else at += chunk;
    }
  }
  return best;
}

function corpus(): { name: string; bytes: Buffer }[] {
  const files: string[] = [];
  for (const dir of ['captures', 'captures/variants', 'captures/bad']) {
    for (const f of readdirSync(dir)) {
      const p = `${dir}/${f}`;
      if (/\.(pcap|pcapng|gz)$/.test(f) && statSync(p).isFile() && statSync(p).size <= 64 * 1024) files.push(p);
    }
  }
  return files.sort().map((name) => ({ name, bytes: readFileSync(name) }));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const checker = new Checker(args.limitMs, args.maxOldMb);
  if (args.repro !== undefined) {
    const o = await checker.run(readFileSync(args.repro));
    console.log(`${args.repro}: ${o.kind}${'message' in o ? `: ${o.message}` : ''}`);
    await checker.close();
    process.exit(isFailure(o) ? 1 : 0);
  }
  const inputs = corpus();
  const rnd = prng(args.seed);
  const perFamily = new Map<Family, number>();
  const kinds = new Map<string, number>();
  const failures: string[] = [];
  const t0 = Date.now();
  let tried = 0;
  while (Date.now() - t0 < args.seconds * 1000) {
    const family = FAMILIES[tried % FAMILIES.length]!;
    const base = inputs[Math.floor(rnd() * inputs.length)]!;
    const mutant = mutate(base.bytes, family, rnd);
    tried++;
    perFamily.set(family, (perFamily.get(family) ?? 0) + 1);
    const o = await checker.run(mutant);
    kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    if (!isFailure(o)) continue;
    const small = o.kind === 'hang' || o.kind === 'oom' ? mutant : await minimise(checker, mutant, o.kind);
    mkdirSync(args.out, { recursive: true });
    const name = `${args.out}/${o.kind}-${family}-${args.seed}-${tried}.bin`;
    writeFileSync(name, small);
    writeFileSync(name.replace(/\.bin$/, '.txt'), `from ${base.name}, family ${family}, seed ${args.seed}, input ${tried}\n${'message' in o ? o.message : ''}\n`);
    failures.push(`${o.kind} (${family}, from ${base.name}): ${name}\n  ${('message' in o ? o.message : '').split('\n')[0]}`);
  }
  await checker.close();
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`fuzz: ${tried} inputs in ${secs} s from ${inputs.length} captures, seed ${args.seed}`);
  console.log(`  by family: ${[...perFamily].map(([f, n]) => `${f} ${n}`).join(', ')}`);
  console.log(`  outcomes: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (failures.length > 0) console.log(`  FAILURES (${failures.length}):\n  ${failures.join('\n  ')}`);
  else console.log('  no crash, hang, memory blow-up or broken invariant');
  process.exit(failures.length > 0 ? 1 : 0);
}

await main();
