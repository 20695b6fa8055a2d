/**
 * ndjson is printed as flows end; when standard output is a pipe to a slower
 * reader, the analysis must wait for it rather than queue the output in
 * memory (a flood's million flows all end at once, at the end of the capture).
 */

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { createBatchedOut } from '../../src/cli/batched-out.ts';
import { writeTmp } from '../capture/build.ts';
import { synFlood } from '../fixtures/syn-flood.ts';

/** A stand-in for standard output whose unwritten backlog the test sets. */
class FakeStream extends EventEmitter {
  writableLength = 0;
  readonly written: string[] = [];
}

describe('createBatchedOut().backlog', () => {
  it('writes what has gathered, and asks to wait only while the stream holds more than 1 MiB unwritten', async () => {
    const stream = new FakeStream();
    const out = createBatchedOut((s) => stream.written.push(s), stream as unknown as NodeJS.WritableStream);
    out.write('a\n');
    expect(out.backlog()).toBeUndefined();
    expect(stream.written).toEqual(['a\n']);
    stream.writableLength = 1024 * 1024 + 1;
    out.write('b\n');
    const wait = out.backlog();
    expect(wait).toBeInstanceOf(Promise);
    expect(stream.written).toEqual(['a\n', 'b\n']);
    let settled = false;
    void wait!.then(() => { settled = true; });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    stream.writableLength = 0;
    stream.emit('drain');
    await wait;
    expect(settled).toBe(true);
  });
});

describe('AnalyzeOptions.waitForOutput', () => {
  it('holds the analysis while the consumer catches up, also between the flows finalised at the end, and changes no record', async () => {
    // 10,000 unanswered SYNs all end at the capture's end: finalised 1,024 at a time.
    const file = writeTmp('syn-flood-10k.pcap', synFlood(10_000));
    const plain = await analyzeFile(file);
    let calls = 0;
    const flowsWhenCalled: number[] = [];
    let flows = 0;
    const waited = await analyzeFile(file, {
      onFlow: () => { flows++; },
      waitForOutput: () => {
        calls++;
        flowsWhenCalled.push(flows);
        return new Promise((resolve) => setTimeout(resolve, 1));
      },
    });
    expect(waited).toStrictEqual(plain);
    expect(calls).toBeGreaterThan(2);
    expect(flows).toBe(10_000);
    // Asked after each batch read (no flow had ended), then between the steps of the end.
    expect(flowsWhenCalled.filter((n) => n > 0)).toEqual([1024, 2048, 3072, 4096, 5120, 6144, 7168, 8192, 9216]);
  });
});
