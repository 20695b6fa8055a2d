/** What every command shares: output, option parsers, the usage error. */

import { InvalidArgumentError } from 'commander';

/** A usage or input problem the user must fix: printed as one line, exit 2. */
export class UsageError extends Error {}

/** Writes to standard output (EPIPE is handled once, in main). */
export function out(s: string): void {
  process.stdout.write(s);
}

/** A commander parser for a non-negative number of seconds. */
export function seconds(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} takes a number of seconds, got '${v}'`);
    return n;
  };
}
