import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/frame.ts';
import type { CaptureInfo, Frame } from '../../src/capture/frame.ts';
import { mergeCaptures } from '../../src/capture/merge.ts';
import { readCapture } from '../../src/capture/open.ts';
import type { CaptureReader } from '../../src/capture/open.ts';
import { bytes, newInfo, pcapFile, readAll, writeTmp } from './build.ts';

/** A frame of `source` at sec.nsec, numbered `record` in its file. */
function frame(source: number, record: number, sec: number, nsec = 0): Frame {
  return { number: 0, source, record, sec, nsec, precision: 'ns', linktype: 1, data: Buffer.alloc(0), origLen: 0 };
}

/** A reader serving fixed batches; `pulled` counts the batches taken from it. */
function fakeReader(source: number, batches: [sec: number, nsec?: number][][], failAfter?: number) {
  const state = { pulled: 0 };
  let record = 0;
  const reader: CaptureReader = {
    info: newInfo(`f${source}.pcap`) as CaptureInfo,
    async *batches() {
      for (const b of batches) {
        if (failAfter !== undefined && state.pulled === failAfter) {
          throw new CaptureError('caplen-too-large', `f${source}.pcap`, 24, record + 1, 'caplen 70000 > snaplen 65535');
        }
        state.pulled++;
        yield b.map(([sec, nsec]) => frame(source, ++record, sec, nsec));
      }
    },
  };
  return { reader, state };
}

const order = (frames: readonly Frame[]) => frames.map((f) => `${f.number}:${f.source}/${f.record}`);

describe('mergeCaptures', () => {
  it('passes one reader through, numbering frames by record', async () => {
    const { reader } = fakeReader(0, [[[5], [3]], [[4]]]);
    const { frames, batches } = await readAll(mergeCaptures([reader]));
    expect(order(frames)).toEqual(['1:0/1', '2:0/2', '3:0/3']);
    expect(batches).toBe(2);
  });

  it('merges by time and numbers 1, 2, 3… in merged order', async () => {
    const a = fakeReader(0, [[[1], [3]], [[5, 1]]]);
    const b = fakeReader(1, [[[2]], [[4], [5, 0]]]);
    const { frames } = await readAll(mergeCaptures([a.reader, b.reader]));
    expect(order(frames)).toEqual(['1:0/1', '2:1/1', '3:0/2', '4:1/2', '5:1/3', '6:0/3']);
  });

  it('breaks ties as mergecap does: the later file first, then record order', async () => {
    const a = fakeReader(0, [[[7], [7]]]);
    const b = fakeReader(1, [[[7], [7]]]);
    const c = fakeReader(2, [[[7]], [[8]]]);
    const { frames } = await readAll(mergeCaptures([a.reader, b.reader, c.reader]));
    expect(order(frames)).toEqual(['1:2/1', '2:1/1', '3:1/2', '4:0/1', '5:0/2', '6:2/2']);
  });

  it('keeps a file\'s own order when its timestamps go backwards, as mergecap does', async () => {
    const a = fakeReader(0, [[[10], [2]]]);
    const b = fakeReader(1, [[[5]]]);
    const { frames } = await readAll(mergeCaptures([a.reader, b.reader]));
    expect(order(frames)).toEqual(['1:1/1', '2:0/1', '3:0/2']);
  });

  it('streams: the first frames come out before the readers are drained', async () => {
    const batches = (start: number) => Array.from({ length: 100 }, (_, i) => [[start + i * 2] as [number]]);
    const a = fakeReader(0, batches(0));
    const b = fakeReader(1, batches(1));
    const it = mergeCaptures([a.reader, b.reader])[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(a.state.pulled + b.state.pulled).toBeLessThanOrEqual(4);
    await it.return?.();
  });

  it('throws a reader\'s error after the frames before it', async () => {
    const a = fakeReader(0, [[[1]], [[3]], [[5]]], 1);
    const b = fakeReader(1, [[[2]], [[4]]]);
    const { frames, error } = await readAll(mergeCaptures([a.reader, b.reader]));
    expect(order(frames)).toEqual(['1:0/1']);
    expect(error?.message).toBe('f0.pcap: record 2 at byte 24: caplen 70000 > snaplen 65535');
  });

  it('orders real files as mergecap does', async () => {
    let hasMergecap = true;
    try {
      execFileSync('mergecap', ['-v'], { stdio: 'ignore' });
    } catch {
      hasMergecap = false;
    }
    const rec = (sec: number, frac: number, tag: number) => ({ sec, frac, data: bytes(20, tag) });
    // Rotated-capture style overlap, a tie, and a backwards step in file B.
    const a = writeTmp('ma.pcap', pcapFile({}, [rec(100, 0, 1), rec(100, 500, 2), rec(101, 0, 3), rec(103, 0, 4)]));
    const b = writeTmp('mb.pcap', pcapFile({}, [rec(100, 500, 11), rec(102, 0, 12), rec(100, 900, 13), rec(104, 0, 14)]));
    const merged = await readAll(mergeCaptures([readCapture(a, 0), readCapture(b, 1)]));
    const tags = merged.frames.map((f) => f.data[0]);
    expect(merged.frames.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // 11 before 2: equal times, and mergecap lets the later file go first.
    expect(tags).toEqual([1, 11, 2, 3, 12, 13, 4, 14]);
    if (hasMergecap) {
      const out = writeTmp('mab.pcap', Buffer.alloc(0));
      execFileSync('mergecap', ['-F', 'pcap', '-w', out, a, b], { stdio: 'ignore' });
      const reference = await readAll(readCapture(out, 0));
      expect(reference.frames.map((f) => f.data[0])).toEqual(tags);
    }
  });
});
