/**
 * Several captures as one timeline, as `mergecap` makes it: rotated
 * `tcpdump -C/-G` files, or captures taken at both ends of a path.
 */
import type { Frame } from './frame.ts';
import type { CaptureReader } from './open.ts';

/** Largest batch the merge hands on (it yields earlier when it must wait for input). */
const OUT_BATCH = 1024;

/**
 * The frames of all readers in one stream, numbered 1, 2, 3… in that order
 * (Frame.number), as Wireshark numbers the output of `mergecap`.
 *
 * One reader: its batches pass through with number = record. Several: a
 * k-way merge of the readers' heads by (sec, nsec), with mergecap's tie rule:
 * among equal times the LAST reader on the command line goes first
 * (Wireshark's merge_read_packet scans the files in order and its is_earlier()
 * is true for equal times, so each later file displaces an earlier one).
 * Each reader's own frames keep their file order even when its timestamps go
 * backwards (mergecap compares heads, it does not sort). Holds one batch per
 * reader; errors of any reader are thrown as they come.
 */
export async function* mergeCaptures(readers: readonly CaptureReader[]): AsyncIterable<Frame[]> {
  if (readers.length === 1) {
    for await (const batch of readers[0]!.batches()) {
      for (const f of batch) f.number = f.record;
      yield batch;
    }
    return;
  }
  const its = readers.map((r) => r.batches()[Symbol.asyncIterator]());
  // Per reader: its current batch and the index of its head frame; undefined when exhausted.
  const heads: ({ batch: Frame[]; at: number } | undefined)[] = [];
  let number = 0;
  let out: Frame[] = [];
  try {
    for (const it of its) heads.push(await refill(it));
    for (;;) {
      let best = -1;
      let bestFrame: Frame | undefined;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h === undefined) continue;
        const f = h.batch[h.at]!;
        // "Not later" rather than "earlier": on a tie the later reader wins, as in mergecap.
        if (bestFrame === undefined || f.sec < bestFrame.sec || (f.sec === bestFrame.sec && f.nsec <= bestFrame.nsec)) {
          best = i;
          bestFrame = f;
        }
      }
      if (bestFrame === undefined) break;
      bestFrame.number = ++number;
      out.push(bestFrame);
      const h = heads[best]!;
      if (++h.at === h.batch.length) {
        // Hand on what is merged before waiting on this reader.
        if (out.length > 0) {
          yield out;
          out = [];
        }
        heads[best] = await refill(its[best]!);
      } else if (out.length >= OUT_BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    // Close every file when the consumer stops early or one reader fails.
    await Promise.allSettled(its.map((it) => it.return?.()));
  }
}

/** The reader's next non-empty batch, or undefined at its end. */
async function refill(it: AsyncIterator<Frame[]>): Promise<{ batch: Frame[]; at: number } | undefined> {
  for (;;) {
    const next = await it.next();
    if (next.done === true) return undefined;
    if (next.value.length > 0) return { batch: next.value, at: 0 };
  }
}
