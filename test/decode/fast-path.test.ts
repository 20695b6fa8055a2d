import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.ts';
import { readCapture } from '../../src/capture/open.ts';
import { decodeFastPath, scratchSegment } from '../../src/decode/fast-path.ts';
import { decodeFrameByLayers } from '../../src/decode/index.ts';
import { LINKTYPE_EN10MB } from '../../src/capture/linktypes.ts';
import { EN10MB_SYN, frame } from './fixtures.ts';

/** Every frame of a capture, as the readers give them (unreadable files give what came before the fault). */
async function framesOf(path: string): Promise<Frame[]> {
  const out: Frame[] = [];
  try {
    for await (const batch of readCapture(path, 0).batches()) out.push(...batch);
  } catch {
    // Malformed captures are the readers' tests; their whole records still count here.
  }
  return out;
}

/** One scratch for every frame of the run, as the analysis loop keeps one. */
const scratch = scratchSegment();

/**
 * The one-pass decoder says nothing, or exactly what the layered decoders
 * say, key order included; so does it when it fills the scratch segment,
 * whatever the frame before left in it.
 */
function agrees(f: Frame): boolean {
  const fast = decodeFastPath(f);
  if (fast === undefined) return false;
  const general = decodeFrameByLayers(f);
  expect(general.ok).toBe(true);
  if (general.ok) {
    expect(fast).toStrictEqual(general.segment);
    expect(Object.keys(fast)).toEqual(Object.keys(general.segment));
    const filled = decodeFastPath(f, scratch);
    expect(filled).toBe(scratch.segment);
    expect({ ...filled, options: [...filled!.options] }).toStrictEqual({ ...general.segment, options: [...general.segment.options].map((o) => ({ ...o })) });
    expect(Object.keys(filled!)).toEqual(Object.keys(general.segment));
  }
  return true;
}

const CAPTURES = [
  ...readdirSync('captures').filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => `captures/${f}`),
  ...readdirSync('captures/variants').map((f) => `captures/variants/${f}`),
  ...readdirSync('captures/bad').map((f) => `captures/bad/${f}`),
];

describe('decodeFastPath', () => {
  it.each(CAPTURES)('builds the Segment the layered decoders build: %s', async (path) => {
    for (const f of await framesOf(path)) agrees(f);
  });

  it('takes the plain Ethernet/IPv4 and IPv6 frames of the real captures', async () => {
    let taken = 0;
    let en10mb = 0;
    for (const path of ['captures/normal-close-client.pcap', 'captures/ipv6-normal-close.pcap', 'captures/concurrent-200.pcap']) {
      for (const f of await framesOf(path)) {
        if (f.linktype === LINKTYPE_EN10MB) en10mb++;
        if (agrees(f)) taken++;
      }
    }
    expect(en10mb).toBeGreaterThan(0);
    expect(taken).toBe(en10mb);
  });

  it('leaves other link types to the layered decoders', () => {
    expect(decodeFastPath({ ...frame(LINKTYPE_EN10MB, EN10MB_SYN), linktype: 113 })).toBeUndefined();
  });

  it('agrees on every frame with one byte of its headers changed, and on every cut', async () => {
    // A crafted SYN with every option, then real IPv4 and IPv6 handshakes, data and FINs
    // (timestamps-only option lists, which the one-pass decoder reads itself).
    const bases = [
      EN10MB_SYN,
      ...(await framesOf('captures/normal-close-client.pcap')).slice(0, 6).map((f) => f.data),
      ...(await framesOf('captures/ipv6-normal-close.pcap')).slice(0, 6).map((f) => f.data),
    ];
    let taken = 0;
    let tried = 0;
    for (const bytes of bases) {
      expect(agrees(frame(LINKTYPE_EN10MB, bytes))).toBe(true);
      const headers = Math.min(bytes.length, 14 + 40 + 60);
      for (let at = 0; at < headers; at++) {
        for (const value of [0x00, 0x01, 0x06, 0x08, 0x0a, 0x11, 0x45, 0x50, 0x60, 0x80, 0xa0, 0xff, bytes[at]! ^ 0x01]) {
          const data = Buffer.from(bytes);
          data[at] = value;
          tried++;
          if (agrees(frame(LINKTYPE_EN10MB, data))) taken++;
          // The same change cut by a snaplen, and with a longer wire length.
          if (agrees(frame(LINKTYPE_EN10MB, data.subarray(0, 60), data.length))) taken++;
          if (agrees(frame(LINKTYPE_EN10MB, data, data.length + 100))) taken++;
        }
      }
      for (let len = 0; len <= bytes.length; len++) {
        tried++;
        if (agrees(frame(LINKTYPE_EN10MB, bytes.subarray(0, len), bytes.length))) taken++;
      }
    }
    // Both outcomes happen: the fast path takes most changes and declines the rest.
    expect(taken).toBeGreaterThan(tried / 2);
    expect(taken).toBeLessThan(tried * 3);
  });
});
