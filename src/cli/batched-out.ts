/**
 * Standard output for records printed as they come (ndjson): pieces are
 * gathered and written together, because one write per flow is one system
 * call per flow, which cost more than formatting them. The gathered text goes
 * out once 64 KiB have gathered, whenever the analysis stops to wait for
 * input (setImmediate runs then), and at flush(): a live capture
 * (`tcpdump -w - | synfin flows --format ndjson -`) still shows each flow as
 * soon as the bytes that ended it have been read.
 */

import { once } from 'node:events';
import { out } from './common.ts';

/** Gathered output; see the module comment. */
export interface BatchedOut {
  /** Adds text to what goes out next. */
  write(s: string): void;
  /** Writes what has gathered (call it before exiting, error or not). */
  flush(): void;
  /**
   * Writes what has gathered and, when `stream` holds more than
   * BACKLOG unwritten bytes (a pipe to a slower reader), a promise that
   * settles once it has drained; undefined when there is no need to wait.
   */
  backlog(): Promise<void> | undefined;
}

/** Unwritten bytes standard output may hold before the analysis waits for it. */
const BACKLOG = 1024 * 1024;

const FLUSH_AT = 64 * 1024;

/** A batched writer over `write` (standard output by default). */
export function createBatchedOut(write: (s: string) => void = out, stream: NodeJS.WritableStream & { writableLength?: number } = process.stdout): BatchedOut {
  let pending: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = (): void => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    size = 0;
    write(text);
  };
  return {
    write(s: string): void {
      pending.push(s);
      size += s.length;
      if (size >= FLUSH_AT) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
    },
    flush,
    backlog(): Promise<void> | undefined {
      flush();
      if ((stream.writableLength ?? 0) <= BACKLOG) return undefined;
      return drained(stream);
    },
  };
}

/** Settles when `stream` next empties its buffer ('drain'). */
export function drained(stream: NodeJS.WritableStream): Promise<void> {
  return once(stream, 'drain').then(() => undefined);
}
