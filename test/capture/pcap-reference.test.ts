/**
 * synfin's record framer against the reference reader docs/design.md names
 * (pcap-parser): on every classic pcap in the repository, whatever the chunk
 * boundaries, both yield the same records, byte for byte. The fuzz harness
 * checks the same on every mutant (scripts/fuzz/check.ts).
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compareWithPcapParser, readWithFramer, readWithPcapParser } from '../../scripts/fuzz/reference.ts';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = [...walk('captures'), ...walk('test')]
  .filter((f) => /\.(pcap|pcap\.gz|bin)$/.test(f))
  .map((f) => ({ f, bytes: f.endsWith('.gz') ? gunzipped(readFileSync(f)) : readFileSync(f) }))
  .filter(({ bytes }) => bytes.length >= 4 && [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1].includes(bytes.readUInt32BE(0)))
  .sort((a, b) => (a.f < b.f ? -1 : 1));

/** What a gzip file holds, as far as it goes (a cut one: what is there; a corrupt one: nothing). */
function gunzipped(b: Buffer): Buffer {
  try {
    return gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

describe('the framer reads what pcap-parser reads', () => {
  it('finds the repository\'s pcap files (nanosecond, big-endian and gzip variants among them)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some(({ f }) => f.includes('be-ns'))).toBe(true);
    expect(files.some(({ f }) => f.endsWith('.pcap.gz'))).toBe(true);
    const records = files.reduce((n, { bytes }) => n + readWithPcapParser(bytes).length, 0);
    expect(records).toBeGreaterThan(3_000);
  });

  it.each(files.map(({ f }) => f))('%s', (f) => {
    const bytes = files.find((x) => x.f === f)!.bytes;
    // Whole-file chunks, odd ones that split record headers, and (on small files) a byte at a time.
    const chunks = [1 << 20, 4093, 17, ...(bytes.length < 20_000 ? [1] : [])];
    for (const chunk of chunks) expect(compareWithPcapParser(bytes, chunk), `chunks of ${chunk}`).toBeUndefined();
    // Not vacuous: where the framer read the file to its end, both read every record.
    const ours = readWithFramer(bytes);
    if (ours.error === undefined) expect(ours.records.length).toBe(readWithPcapParser(bytes).length);
  });
});

describe('the comparison itself', () => {
  const base = readFileSync('captures/lost-final-ack.pcap');

  it('notices one changed byte of captured data', () => {
    const ours = readWithFramer(base).records;
    const ref = readWithPcapParser(base);
    expect(ours.length).toBeGreaterThan(5);
    expect(ours[3]!.data.equals(ref[3]!.data)).toBe(true);
    // A framer that handed on the wrong bytes would differ from the reference like this.
    const tampered = Buffer.from(ours[3]!.data);
    tampered[20] = tampered[20]! ^ 0xff;
    expect(tampered.equals(ref[3]!.data)).toBe(false);
  });

  it('accepts a framer that stops at a corrupt caplen pcap-parser would wait on', () => {
    const bad = Buffer.from(base);
    // Second record's caplen (after the 24-byte file header and the first record).
    const first = 24 + 16 + bad.readUInt32LE(24 + 8);
    bad.writeUInt32LE(0xffffffff, first + 8);
    const ours = readWithFramer(bad);
    expect(ours.error?.message).toMatch(/record 2 at byte \d+: caplen 4294967295/);
    expect(ours.records).toHaveLength(1);
    expect(compareWithPcapParser(bad)).toBeUndefined();
  });
});
