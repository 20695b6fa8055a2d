import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { BAD_TCP_CHECKSUM, decodeFrame } from '../../src/decode/index.ts';
import { LINKTYPE_EN10MB } from '../../src/capture/linktypes.ts';
import type { Frame } from '../../src/capture/frame.ts';

// The kernel captures were recorded with checksum offload off (captures/record.sh),
// so every checksum in them is real: the first frame of normal-close-client.pcap.
function firstFrame(file: string): Frame {
  const b = readFileSync(file);
  const caplen = b.readUInt32LE(24 + 8);
  const data = b.subarray(40, 40 + caplen);
  return { number: 1, source: 0, record: 1, sec: 0, nsec: 0, precision: 'us', linktype: LINKTYPE_EN10MB, data, origLen: caplen };
}

describe('--verify-checksums', () => {
  it('accepts correct IPv4 and TCP checksums (IPv4 and IPv6 captures)', () => {
    for (const f of ['captures/normal-close-client.pcap', 'captures/ipv6-normal-close.pcap']) {
      expect(decodeFrame(firstFrame(f), { verifyChecksums: true }).ok).toBe(true);
    }
  });

  it('skips a frame whose TCP checksum is wrong, and only when asked', () => {
    const frame = firstFrame('captures/normal-close-client.pcap');
    const bad = Buffer.from(frame.data);
    bad[14 + 20 + 16] = bad[14 + 20 + 16]! ^ 0xff; // TCP checksum field
    const damaged = { ...frame, data: bad };
    expect(decodeFrame(damaged).ok).toBe(true);
    const r = decodeFrame(damaged, { verifyChecksums: true });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.skip).toBe(BAD_TCP_CHECKSUM);
  });

  it('skips a frame whose IPv4 header checksum is wrong', () => {
    const frame = firstFrame('captures/normal-close-client.pcap');
    const bad = Buffer.from(frame.data);
    bad[14 + 10] = bad[14 + 10]! ^ 0x01;
    const r = decodeFrame({ ...frame, data: bad }, { verifyChecksums: true });
    expect(r.ok ? '' : r.skip).toBe('bad IPv4 checksum');
  });

  it('changes nothing on a capture whose checksums are all right', async () => {
    const plain = await analyzeFile('captures/lost-final-ack.pcap');
    const checked = await analyzeFile('captures/lost-final-ack.pcap', { verifyChecksums: true });
    expect(checked.summary).toEqual(plain.summary);
  });
});
