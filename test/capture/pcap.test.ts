import { describe, expect, it } from 'vitest';
import { createPcapParser, decodePcapFileHeader } from '../../src/capture/pcap.ts';
import { readCapture } from '../../src/capture/open.ts';
import { bytes, feed, newInfo, pcapFile, pcapHeader, pcapRecord, readAll, times, writeTmp } from './build.ts';

// Three records a user would see as frames 1..3: 60, 54 and 1514 bytes.
const SEC = 1_700_000_000;
const RECORDS_US = [
  { sec: SEC, frac: 123_456, data: bytes(60, 0xa1) },
  { sec: SEC, frac: 999_999, data: bytes(54, 0xa2) },
  { sec: SEC + 1, frac: 0, data: bytes(1514, 0xa3) },
];
const RECORDS_NS = RECORDS_US.map((r) => ({ ...r, frac: r.frac * 1000 }));

function parse(content: Buffer, file = 't.pcap', chunk?: number) {
  const info = newInfo(file);
  return { info, ...feed(createPcapParser(file, 0, info), content, chunk) };
}

describe('classic pcap through the record framer', () => {
  it.each([
    ['µs little-endian', { le: true, ns: false }],
    ['µs big-endian', { le: false, ns: false }],
    ['ns little-endian', { le: true, ns: true }],
    ['ns big-endian', { le: false, ns: true }],
  ])('%s magic gives the same sec/nsec', (_, h) => {
    const { frames, error, info } = parse(pcapFile(h, h.ns ? RECORDS_NS : RECORDS_US));
    expect(error).toBeUndefined();
    expect(times(frames)).toEqual(['1700000000.123456000', '1700000000.999999000', '1700000001.000000000']);
    expect(frames.map((f) => f.precision)).toEqual(Array(3).fill(h.ns ? 'ns' : 'us'));
    expect(info.precision).toBe(h.ns ? 'ns' : 'us');
    expect(frames.map((f) => f.data.length)).toEqual([60, 54, 1514]);
    expect(frames[2]!.data.every((b) => b === 0xa3)).toBe(true);
  });

  it('keeps every nanosecond digit of a nanosecond file', () => {
    const { frames } = parse(pcapFile({ ns: true, le: false }, [{ sec: SEC, frac: 123_456_789, data: bytes(40, 1) }]));
    expect(frames[0]).toMatchObject({ sec: SEC, nsec: 123_456_789, precision: 'ns' });
  });

  it('reads a big-endian file: link type, lengths, frame and record numbers', () => {
    const { frames, info } = parse(pcapFile({ le: false, linktype: 113 }, [
      { sec: SEC, frac: 5, data: bytes(44, 7), origLen: 1500 },
      { sec: SEC, frac: 6, data: bytes(48, 8) },
    ]));
    expect(info.linktypes).toEqual(['LINUX_SLL']);
    expect(frames.map((f) => [f.number, f.record, f.linktype, f.data.length, f.origLen])).toEqual([
      [1, 1, 113, 44, 1500],
      [2, 2, 113, 48, 48],
    ]);
    expect(info.frames).toBe(2);
  });

  it('masks the FCS bits out of the link-type field', () => {
    // 0x14000001: FCS length 1 (bits 28-31), F bit set (bit 26), link type 1.
    const { frames, info } = parse(pcapFile({ linktype: 0x1400_0001 }, [RECORDS_US[0]!]));
    expect(frames[0]!.linktype).toBe(1);
    expect(info.linktypes).toEqual(['EN10MB']);
  });

  it('gives the same frames however the bytes are chunked', () => {
    const file = pcapFile({ ns: true, le: false }, RECORDS_NS);
    const whole = parse(file);
    for (const size of [1, 3, 16, 17, 23, 24, 25, 100]) {
      const { frames, error } = parse(file, 't.pcap', size);
      expect(error).toBeUndefined();
      expect(frames.map((f) => [f.record, f.sec, f.nsec, f.data.toString('hex')])).toEqual(
        whole.frames.map((f) => [f.record, f.sec, f.nsec, f.data.toString('hex')]),
      );
    }
  });
});

describe('corrupt record lengths', () => {
  it('rejects caplen 0xFFFFFFFF at once, naming file, record and byte', () => {
    const file = Buffer.concat([pcapHeader(), pcapRecord({ sec: SEC, frac: 0, data: bytes(0, 0), caplen: 0xffff_ffff })]);
    const { frames, error } = parse(file, 'bad.pcap');
    expect(frames).toEqual([]);
    expect(error?.kind).toBe('caplen-too-large');
    expect(error?.message).toBe('bad.pcap: record 1 at byte 24: caplen 4294967295 > the maximum 262144');
    expect([error?.record, error?.offset]).toEqual([1, 24]);
  });

  it('hands on the whole records before the corrupt one', async () => {
    const file = Buffer.concat([
      pcapFile({}, RECORDS_US.slice(0, 2)), // records 1 (24+16+60) and 2 (100+16+54)
      pcapRecord({ sec: SEC, frac: 0, data: bytes(8, 0), caplen: 300_000 }),
    ]);
    const { frames, error } = await readAll(readCapture(writeTmp('bad3.pcap', file), 0));
    expect(frames.map((f) => f.data.length)).toEqual([60, 54]);
    expect(error?.message).toMatch(/bad3\.pcap: record 3 at byte 170: caplen 300000 > the maximum 262144$/);
  });

  it('reads records longer than the header\'s snaplen (as tcpdump and tshark do), warning once', () => {
    const records = [70_000, 65_536, 100].map((n) => ({ sec: SEC, frac: 0, data: bytes(n, 0) }));
    const small = parse(pcapFile({ snaplen: 65535 }, records), 's.pcap');
    expect(small.error).toBeUndefined();
    expect(small.frames.map((f) => f.data.length)).toEqual([70_000, 65_536, 100]);
    expect(small.info.warnings).toEqual([
      's.pcap: record 1 at byte 24: caplen 70000 > snaplen 65535 in the file header: read anyway, as tcpdump and tshark do (the header understates what was captured); later such records are not reported',
    ]);
  });

  it('refuses a caplen over 256 KiB whatever the snaplen says, and when the snaplen is 0', () => {
    const big = parse(pcapFile({ snaplen: 65535 }, [{ sec: SEC, frac: 0, data: bytes(262_145, 0) }]), 'b.pcap');
    expect(big.error?.message).toBe('b.pcap: record 1 at byte 24: caplen 262145 > the maximum 262144');
    const zero = parse(Buffer.concat([pcapHeader({ snaplen: 0 }), pcapRecord({ sec: 0, frac: 0, data: bytes(0, 0), caplen: 262_145 })]), 'z.pcap');
    expect(zero.error?.message).toBe('z.pcap: record 1 at byte 24: caplen 262145 > the maximum 262144');
  });

  it('finds the corrupt header even when it arrives a byte at a time', () => {
    const file = Buffer.concat([pcapFile({ le: false }, [RECORDS_US[0]!]), pcapRecord({ sec: 0, frac: 0, data: bytes(0, 0), caplen: 0xffff_ffff }, false)]);
    const { frames, error } = parse(file, 'b.pcap', 1);
    expect(frames).toHaveLength(1);
    expect(error?.message).toBe('b.pcap: record 2 at byte 100: caplen 4294967295 > the maximum 262144');
  });
});

describe('a file cut mid-record (a killed tcpdump)', () => {
  const whole = pcapFile({}, RECORDS_US); // record 3 starts at byte 24 + 76 + 70 = 170

  it('analyses the whole records and warns where the cut is', () => {
    const { frames, error, info } = parse(whole.subarray(0, 170 + 16 + 1000), 'cut.pcap');
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.record)).toEqual([1, 2]);
    expect(info.truncated).toBe(true);
    expect(info.warnings).toEqual(['cut.pcap: record 3 at byte 170: file ends mid-record (1016 of 1530 bytes): analysed up to record 2']);
  });

  it('says so when the cut falls inside a record header', () => {
    const { frames, info } = parse(whole.subarray(0, 175), 'cut.pcap', 7);
    expect(frames).toHaveLength(2);
    expect(info.warnings).toEqual(['cut.pcap: record 3 at byte 170: file ends mid-record (5 of at least 16 bytes): analysed up to record 2']);
  });

  it('is not truncated when the file ends on a record boundary', () => {
    const { info, frames } = parse(whole);
    expect([info.truncated, info.warnings, frames.length]).toEqual([false, [], 3]);
  });
});

describe('file header', () => {
  it('rejects version 3.4, which pcap-parser itself would accept', () => {
    const { error } = parse(pcapFile({ major: 3 }, RECORDS_US), 'v.pcap');
    expect(error?.kind).toBe('bad-version');
    expect(error?.message).toBe('v.pcap: byte 4: unsupported pcap version 3.4 (expected 2.4)');
  });

  it('accepts 2.2, as libpcap does', () => {
    expect(decodePcapFileHeader(pcapHeader({ minor: 2 })).ok).toBe(true);
  });

  it('rejects a file that ends inside the 24-byte header', () => {
    const { error } = parse(pcapHeader().subarray(0, 10), 'h.pcap');
    expect(error?.message).toBe('h.pcap: byte 0: file ends inside the pcap file header (10 of 24 bytes)');
  });

  it('reads a header-only file as zero frames', () => {
    const { frames, error, info } = parse(pcapHeader({ linktype: 101 }));
    expect([frames.length, error, info.linktypes, info.truncated]).toEqual([0, undefined, ['RAW'], false]);
  });
});
