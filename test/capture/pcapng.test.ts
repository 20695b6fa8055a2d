import { describe, expect, it } from 'vitest';
import { createPcapngParser, precisionForTsresol, splitTimestamp } from '../../src/capture/pcapng.ts';
import { block, bytes, epb, feed, idb, newInfo, opb, shb, spb, times } from './build.ts';

const LE = true, BE = false;
// 2023-11-14T22:13:20.123456789Z in various units.
const T_NS = 1_700_000_000_123_456_789n;
const T_US = 1_700_000_000_123_456n;

function parse(content: Buffer, file = 't.pcapng', chunk?: number) {
  const info = newInfo(file);
  return { info, ...feed(createPcapngParser(file, 0, info), content, chunk) };
}

describe('sections and interfaces', () => {
  it('reads two sections of opposite byte order, each numbering its own interfaces', () => {
    const file = Buffer.concat([
      shb(LE), idb(LE, 1), epb(LE, 0, T_US, bytes(60, 1)),
      shb(BE), idb(BE, 276), epb(BE, 0, T_US + 1n, bytes(70, 2)),
    ]);
    const { frames, info, error } = parse(file);
    expect(error).toBeUndefined();
    // Interface 0 of section 2 is the SLL2 interface, not section 1's Ethernet one.
    expect(frames.map((f) => [f.record, f.linktype, f.data.length])).toEqual([[1, 1, 60], [2, 276, 70]]);
    expect(times(frames)).toEqual(['1700000000.123456000', '1700000000.123457000']);
    expect(info.linktypes).toEqual(['EN10MB', 'LINUX_SLL2']);
  });

  it('keeps each interface\'s link type and if_tsresol (µs and ns) exact', () => {
    const file = Buffer.concat([
      shb(BE),
      idb(BE, 1, { tsresol: 6 }),
      idb(BE, 113, { tsresol: 9 }),
      epb(BE, 1, T_NS, bytes(80, 3)),
      epb(BE, 0, T_US, bytes(60, 4)),
    ]);
    const { frames, info } = parse(file);
    expect(frames.map((f) => [f.linktype, f.precision, f.sec, f.nsec])).toEqual([
      [113, 'ns', 1_700_000_000, 123_456_789],
      [1, 'us', 1_700_000_000, 123_456_000],
    ]);
    expect(info.linktypes).toEqual(['EN10MB', 'LINUX_SLL']);
    // The first interface's precision stands for the file.
    expect(info.precision).toBe('us');
  });

  it('adds if_tsoffset seconds and reads a power-of-two if_tsresol', () => {
    // 2^-10 s ticks: 1536 ticks = 1.5 s; offset 1_700_000_000 s.
    const file = Buffer.concat([shb(LE), idb(LE, 1, { tsresol: 0x80 | 10, tsoffset: 1_700_000_000n }), epb(LE, 0, 1536n, bytes(1, 0))]);
    const { frames } = parse(file);
    expect(frames[0]).toMatchObject({ sec: 1_700_000_001, nsec: 500_000_000, precision: 'us' });
  });

  it('reads Simple Packet Blocks: interface 0, caplen cut to the snaplen, previous frame\'s time', () => {
    const file = Buffer.concat([
      shb(LE), idb(LE, 1, { snaplen: 64 }),
      epb(LE, 0, T_US, bytes(60, 1)),
      spb(LE, bytes(64, 2), 1514), // the packet was 1514 bytes; the snaplen kept 64
      spb(LE, bytes(42, 3)), // shorter than the snaplen: all of it
    ]);
    const { frames } = parse(file);
    expect(frames.map((f) => [f.record, f.data.length, f.origLen])).toEqual([[1, 60, 60], [2, 64, 1514], [3, 42, 42]]);
    expect(new Set(times(frames))).toEqual(new Set(['1700000000.123456000']));
  });

  it('reads obsolete Packet Blocks (type 2)', () => {
    const { frames } = parse(Buffer.concat([shb(BE), idb(BE, 1), opb(BE, 0, T_US, bytes(33, 9))]));
    expect(frames.map((f) => [f.data.length, f.sec, f.nsec])).toEqual([[33, 1_700_000_000, 123_456_000]]);
  });

  it('skips blocks it does not know, by their length', () => {
    const file = Buffer.concat([
      shb(LE), idb(LE, 1),
      block(LE, 0x00000004, bytes(20, 0xee)), // Name Resolution Block
      block(LE, 0x00000005, bytes(28, 0xee)), // Interface Statistics Block
      block(LE, 0x40000bad, bytes(7, 0xee)), // a custom block
      epb(LE, 0, T_US, bytes(60, 1)),
    ]);
    const { frames, error } = parse(file);
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.record)).toEqual([1]);
  });

  it('gives the same frames however the bytes are chunked', () => {
    const file = Buffer.concat([shb(BE), idb(BE, 1, { tsresol: 9 }), epb(BE, 0, T_NS, bytes(61, 1)), shb(LE), idb(LE, 101), spb(LE, bytes(5, 2))]);
    const whole = parse(file).frames.map((f) => [f.record, f.sec, f.nsec, f.linktype, f.data.toString('hex')]);
    expect(whole).toHaveLength(2);
    for (const size of [1, 5, 8, 11, 12, 13, 64]) {
      expect(parse(file, 't.pcapng', size).frames.map((f) => [f.record, f.sec, f.nsec, f.linktype, f.data.toString('hex')])).toEqual(whole);
    }
  });
});

describe('corrupt blocks', () => {
  // SHB (28 bytes) + IDB (20) = 48: the third block starts at byte 48.
  const start = Buffer.concat([shb(LE), idb(LE, 1)]);
  const header = (type: number, length: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(length, 4);
    return b;
  };

  it.each([
    [0, 'block length 0 is less than 12'],
    [0xffff_ffff, 'block length 4294967295 is not a multiple of 4'],
    [0xffff_fffc, 'block length 4294967292 exceeds the limit of 16777216 (16 MiB)'],
    [30, 'block length 30 is not a multiple of 4'],
  ])('rejects length %d from the 8-byte header alone', (length, detail) => {
    // Only the block header is present: the error must not wait for the body.
    const { error, frames } = parse(Buffer.concat([start, header(6, length)]), 'x.pcapng');
    expect(frames).toEqual([]);
    expect(error?.kind).toBe('bad-block-length');
    expect(error?.message).toBe(`x.pcapng: block 3 at byte 48: ${detail}`);
  });

  it('rejects a block whose trailing length disagrees', () => {
    const b = epb(LE, 0, T_US, bytes(4, 1));
    b.writeUInt32LE(b.length - 4, b.length - 4);
    const { error } = parse(Buffer.concat([start, b]), 'x.pcapng');
    expect(error?.message).toBe('x.pcapng: block 3 at byte 48: block length 36 does not match its trailing copy 32');
  });

  it('rejects a packet on an interface the section never described', () => {
    const { error, frames } = parse(Buffer.concat([start, epb(LE, 0, 1n, bytes(4, 1)), epb(LE, 2, 1n, bytes(4, 1))]), 'x.pcapng');
    expect(frames).toHaveLength(1);
    expect(error?.kind).toBe('unknown-interface');
    expect(error?.message).toBe('x.pcapng: block 4 at byte 84: packet refers to interface 2, but this section describes 1 (0..0)');
  });

  it('forgets the interfaces of the previous section', () => {
    const { error } = parse(Buffer.concat([start, shb(BE), epb(BE, 0, 1n, bytes(4, 1))]), 'x.pcapng');
    expect(error?.message).toBe('x.pcapng: block 4 at byte 76: packet refers to interface 0, but this section describes none');
  });

  it('rejects a caplen larger than its block', () => {
    const b = epb(LE, 0, 1n, bytes(8, 1));
    b.writeUInt32LE(9, 20); // caplen 9 in a block with room for 8
    expect(parse(Buffer.concat([start, b]), 'x.pcapng').error?.message).toBe("x.pcapng: block 3 at byte 48: caplen 9 > the block's 8 bytes of packet data");
  });

  it('rejects an unsupported major version', () => {
    expect(parse(shb(LE, 2), 'x.pcapng').error?.kind).toBe('bad-version');
  });
});

describe('a file cut mid-block', () => {
  const file = Buffer.concat([shb(LE), idb(LE, 1), epb(LE, 0, T_US, bytes(60, 1)), epb(LE, 0, T_US, bytes(60, 2))]);

  it('analyses the whole packets and warns where the cut is', () => {
    // Blocks: SHB 0..28, IDB 28..48, EPB 48..140, EPB 140..232; cut 50 bytes into the last.
    const { frames, info, error } = parse(file.subarray(0, 190), 'cut.pcapng');
    expect(error).toBeUndefined();
    expect(frames).toHaveLength(1);
    expect(info.truncated).toBe(true);
    expect(info.warnings).toEqual(['cut.pcapng: block 4 at byte 140: file ends mid-block (50 of 92 bytes): analysed up to record 1']);
  });

  it('says so when even the block header is cut', () => {
    const { info } = parse(file.subarray(0, 145), 'cut.pcapng');
    expect(info.warnings).toEqual(['cut.pcapng: block 4 at byte 140: file ends mid-block (5 of at least 12 bytes): analysed up to record 1']);
  });

  it('is an error when the first section header itself is cut', () => {
    expect(parse(file.subarray(0, 20), 'cut.pcapng').error?.message).toBe('cut.pcapng: block 1 at byte 0: file ends inside the first section header block (20 of 28 bytes)');
  });
});

describe('splitTimestamp', () => {
  it('is exact for µs and ns counts', () => {
    expect(splitTimestamp(Number(T_NS >> 32n), Number(T_NS & 0xffffffffn), 9)).toEqual({ sec: 1_700_000_000, nsec: 123_456_789 });
    expect(splitTimestamp(Number(T_US >> 32n), Number(T_US & 0xffffffffn), 6)).toEqual({ sec: 1_700_000_000, nsec: 123_456_000 });
    expect(splitTimestamp(0xffff_ffff, 0xffff_ffff, 9)).toEqual({ sec: 18_446_744_073, nsec: 709_551_615 });
  });

  it('agrees with BigInt division on awkward values', () => {
    const his = [0, 1, 0x1f_ffff, 0x20_0000, 395_812_992, 0x7fff_ffff, 0xffff_ffff];
    const los = [0, 1, 999_999_999, 1_000_000_000, 0x8000_0000, 0xffff_ffff];
    for (const n of [3, 6, 9]) {
      for (const hi of his) {
        for (const lo of los) {
          const ts = (BigInt(hi) << 32n) | BigInt(lo);
          const d = 10n ** BigInt(n);
          expect(splitTimestamp(hi, lo, n)).toEqual({ sec: Number(ts / d), nsec: Number((ts % d) * 10n ** BigInt(9 - n)) });
        }
      }
    }
  });

  it('handles seconds, picoseconds and powers of two', () => {
    expect(splitTimestamp(0, 1_700_000_000, 0)).toEqual({ sec: 1_700_000_000, nsec: 0 });
    expect(splitTimestamp(0, 1_234_567, 12)).toEqual({ sec: 0, nsec: 1234 }); // 1234567 ps = 1234.567 ns, rounded down
    expect(splitTimestamp(0, 3 << 19, 0x80 | 20)).toEqual({ sec: 1, nsec: 500_000_000 });
  });
});

describe('precisionForTsresol', () => {
  it.each([
    [0, 's'], [3, 'ms'], [6, 'us'], [9, 'ns'],
    [1, 'ms'], [4, 'us'], [7, 'ns'], [12, 'ns'],
    [0x80 | 10, 'us'], // 1/1024 s needs 4 digits
    [0x80 | 30, 'ns'],
  ])('if_tsresol %d -> %s', (tsresol, precision) => {
    expect(precisionForTsresol(tsresol)).toBe(precision);
  });
});
