/** What every command shares: output, option parsers, the usage error. */

import { InvalidArgumentError } from 'commander';
import { rmSync, writeFileSync, writeSync } from 'node:fs';

/** A usage or input problem the user must fix: printed as one line, exit 2. */
export class UsageError extends Error {}

/** Standard output could not take what was written (a full disk): printed as one line, exit 2. */
export class OutputError extends Error {}

/**
 * True when standard output is a file or a device, which Node writes
 * synchronously: its stream then ignores a short write, so the rest of a
 * string written to a disk that fills up is lost without an error
 * (1 MiB of a larger output, exit 0). Pipes and terminals report errors on
 * the stream, and main() handles them.
 */
const stdoutIsFile = (process.stdout as { _type?: string })._type === 'fs';

/**
 * Writes to standard output, every byte or an OutputError. Returns false
 * when the caller should wait for 'drain' before writing more (a pipe whose
 * reader is behind); EPIPE is handled once, in main.
 */
export function writeOut(chunk: string | Buffer): boolean {
  if (!stdoutIsFile) return process.stdout.write(chunk);
  const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  try {
    // Each short write is retried with the rest; on a full disk the retry fails with ENOSPC.
    for (let done = 0; done < b.length;) done += writeSync(1, b, done, b.length - done);
  } catch (err) {
    throw new OutputError(`cannot write output: ${(err as Error).message}`);
  }
  return true;
}

/**
 * Writes a whole output file (`report -o`, `explain --svg --out`), or an
 * OutputError naming it; a file the disk cut short is removed, so nothing
 * can mistake it for a good one.
 */
export function writeOutputFile(path: string, data: string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    rmSync(path, { force: true });
    throw new OutputError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

/** Writes to standard output (see writeOut). */
export function out(s: string): void {
  writeOut(s);
}

/** A commander parser for a non-negative number of seconds. */
export function seconds(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} takes a number of seconds, got '${v}'`);
    return n;
  };
}
