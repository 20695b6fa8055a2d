import { describe, expect, it } from 'vitest';

import type { Segment } from '../../src/decode/segment.ts';
import { flowKey, keyHash } from '../../src/flow/key.ts';

/** Template segment; only the 4-tuple matters to flowKey. */
const SEG: Segment = {
  frame: 1, sec: 0, nsec: 0, ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80,
  seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, headerLen: 20, payloadLen: 0, frameLen: 54, ipLen: 40,
  options: [], optionsError: undefined, truncated: false,
};

type Tuple = readonly [src: string, srcPort: number, dst: string, dstPort: number];

function seg([src, srcPort, dst, dstPort]: Tuple): Segment {
  return { ...SEG, src, srcPort, dst, dstPort, ipVersion: src.includes(':') ? 6 : 4 };
}

const reverse = ([a, ap, b, bp]: Tuple): Tuple => [b, bp, a, ap];

const TUPLES: readonly Tuple[] = [
  ['10.0.0.1', 40000, '10.0.0.2', 80],
  ['10.0.0.1', 80, '10.0.0.2', 40000], // ports swapped between the addresses
  ['10.0.0.1', 40001, '10.0.0.2', 80],
  ['10.0.0.1', 40000, '10.0.0.2', 443],
  ['10.0.0.1', 40000, '10.0.0.3', 80],
  ['10.0.0.10', 4000, '10.0.0.2', 80], // "10.0.0.1"+"0" vs port digits: no run-together collision
  ['10.0.0.1', 4000, '10.0.0.2', 80],
  ['10.0.0.1', 1, '10.0.0.1', 2], // same address both ends (loopback style)
  ['127.0.0.1', 5000, '127.0.0.1', 6000],
  ['2001:db8::1', 443, '2001:db8::2', 51000],
  ['2001:db8::1', 51000, '2001:db8::2', 443],
  ['::1', 8080, '::1', 40000],
  ['fe80::1', 22, 'fe80::2', 22],
  ['::ffff:10.0.0.1', 40000, '10.0.0.2', 80],
];

describe('flowKey', () => {
  it.each(TUPLES)('is the same both ways: %s:%i -> %s:%i', (...t) => {
    expect(flowKey(seg(t))).toBe(flowKey(seg(reverse(t))));
  });

  it('differs between distinct tuples (IPv4 and IPv6)', () => {
    const keys = TUPLES.map((t) => flowKey(seg(t)));
    expect(new Set(keys).size).toBe(TUPLES.length);
  });

  it('puts the lower endpoint first', () => {
    expect(flowKey(seg(['10.0.0.2', 80, '10.0.0.1', 40000]))).toBe('10.0.0.1 40000 10.0.0.2 80');
    expect(flowKey(seg(['2001:db8::2', 51000, '2001:db8::1', 443]))).toBe('2001:db8::1 443 2001:db8::2 51000');
    expect(flowKey(seg(['10.0.0.1', 2, '10.0.0.1', 1]))).toBe('10.0.0.1 1 10.0.0.1 2');
  });

  it('does not depend on fields other than the 4-tuple', () => {
    const t: Tuple = ['10.0.0.1', 40000, '10.0.0.2', 80];
    expect(flowKey({ ...seg(t), frame: 99, seq: 12345, flags: 0x12 })).toBe(flowKey(seg(t)));
  });
});

/** FNV-1a 32 written out with BigInt over the key's bytes, independent of keyHash's Math.imul. */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5n;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x01000193n) % 0x1_0000_0000n;
  }
  return Number(h);
}

describe('keyHash (FNV-1a, 32 bits)', () => {
  it.each([
    // Published FNV-1a 32 test vectors, then keys in synfin's form (values worked out once by hand).
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
    ['10.0.0.1 40000 10.0.0.2 80', 0x2208d1b6],
    ['2001:db8::1 443 2001:db8::2 51000', 0xbcb3c70d],
  ])('hashes %j to a fixed value', (key, expected) => {
    expect(fnv1a32(key)).toBe(expected);
    expect(keyHash(key)).toBe(expected);
  });

  it('hashes the key of both directions alike', () => {
    const t: Tuple = ['10.0.0.1', 40000, '10.0.0.2', 80];
    expect(keyHash(flowKey(seg(t)))).toBe(0x2208d1b6);
    expect(keyHash(flowKey(seg(reverse(t))))).toBe(0x2208d1b6);
  });

  it('returns an unsigned 32-bit integer that agrees with the reference', () => {
    for (const t of TUPLES) {
      const key = flowKey(seg(t));
      const h = keyHash(key);
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffff_ffff).toBe(true);
      expect(h).toBe(fnv1a32(key));
    }
  });
});
