import { chmodSync } from 'node:fs';
import { Readable } from 'node:stream';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/open.ts';
import { bytes, epb, idb, missingPath, pcapFile, readAll, shb, times, tmpDir, writeTmp } from './build.ts';

const SEC = 1_700_000_000;
const PCAP = pcapFile({}, [
  { sec: SEC, frac: 1, data: bytes(60, 1) },
  { sec: SEC, frac: 2, data: bytes(70, 2) },
  { sec: SEC, frac: 3, data: bytes(80, 3) },
]);
const PCAPNG = Buffer.concat([
  shb(true), idb(true, 1),
  epb(true, 0, BigInt(SEC) * 1_000_000n + 1n, bytes(60, 1)),
  epb(true, 0, BigInt(SEC) * 1_000_000n + 2n, bytes(70, 2)),
  epb(true, 0, BigInt(SEC) * 1_000_000n + 3n, bytes(80, 3)),
]);
const EXPECTED = ['1700000000.000001000', '1700000000.000002000', '1700000000.000003000'];

describe('format detection', () => {
  it.each([
    ['a.pcap', 'pcap', PCAP],
    ['a.pcapng', 'pcapng', PCAPNG],
    ['pcapng-named.pcap', 'pcapng', PCAPNG], // by magic, not by name
  ])('%s is read as %s', async (name, format, content) => {
    const reader = readCapture(writeTmp(name, content), 2);
    const { frames, error } = await readAll(reader);
    expect(error).toBeUndefined();
    expect(times(frames)).toEqual(EXPECTED);
    expect(frames.map((f) => f.source)).toEqual([2, 2, 2]);
    expect(reader.info).toMatchObject({ format, gzip: false, linktypes: ['EN10MB'], precision: 'us', frames: 3, truncated: false });
  });
});

describe('opening errors', () => {
  it('are thrown by the first next(), not by readCapture', async () => {
    const reader = readCapture(missingPath('nope.pcap'), 0);
    const it = reader.batches()[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ kind: 'not-found' });
  });

  it.each([
    ['missing file', () => missingPath('nope.pcap'), 'not-found', /nope\.pcap: no such file$/],
    ['directory', () => tmpDir(), 'is-directory', /: is a directory, not a capture file$/],
    ['zero-length file', () => writeTmp('empty.pcap', Buffer.alloc(0)), 'empty', /empty\.pcap: file is empty \(0 bytes\)$/],
    ['text file', () => writeTmp('notes.txt', Buffer.from('GET / HTTP/1.1\r\n')), 'bad-magic', /notes\.txt: byte 0: not a capture file: magic 47455420 is neither pcap/],
    ['3-byte file', () => writeTmp('tiny.pcap', PCAP.subarray(0, 3)), 'bad-magic', /tiny\.pcap: byte 0: not a capture file: only 3 bytes$/],
  ])('%s', async (_, path, kind, message) => {
    const { error } = await readAll(readCapture(path(), 0));
    expect(error?.kind).toBe(kind);
    expect(error?.message).toMatch(message);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable file', async () => {
    const path = writeTmp('secret.pcap', PCAP);
    chmodSync(path, 0o000);
    const { error } = await readAll(readCapture(path, 0));
    expect(error?.kind).toBe('unreadable');
  });
});

describe('gzip', () => {
  it.each([
    ['pcap', PCAP],
    ['pcapng', PCAPNG],
  ])('reads a gzipped %s by its magic', async (format, content) => {
    const reader = readCapture(writeTmp(`z.${format}.gz`, gzipSync(content)), 0);
    const { frames, error } = await readAll(reader);
    expect(error).toBeUndefined();
    expect(times(frames)).toEqual(EXPECTED);
    expect(reader.info).toMatchObject({ format, gzip: true, frames: 3 });
  });

  it('analyses a gzip stream cut short up to its last whole record', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ sec: SEC + i, frac: 0, data: bytes(500, i) }));
    const gz = gzipSync(pcapFile({}, records));
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    // What zlib can recover from the cut stream, and so the whole records in it.
    const recoverable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).length;
    const whole = Math.floor((recoverable - 24) / 516);
    expect(whole).toBeGreaterThan(0);
    const reader = readCapture(writeTmp('cut.pcap.gz', cut), 0);
    const { frames, error } = await readAll(reader);
    expect(error).toBeUndefined();
    expect(frames.map((f) => f.sec)).toEqual(records.slice(0, whole).map((r) => r.sec));
    expect(reader.info.truncated).toBe(true);
    expect(reader.info.warnings[0]).toMatch(/cut\.pcap\.gz: compressed byte \d+: gzip stream ends early/);
  });

  it('rejects corrupt gzip data as bad-gzip', async () => {
    const gz = gzipSync(PCAP);
    gz.writeUInt32LE(gz.readUInt32LE(gz.length - 8) ^ 1, gz.length - 8); // break the CRC-32 in the trailer
    const { error } = await readAll(readCapture(writeTmp('crc.pcap.gz', gz), 0));
    expect(error?.kind).toBe('bad-gzip');
    expect(error?.message).toMatch(/crc\.pcap\.gz: compressed bytes \d+\.\.\d+: corrupt gzip data \(incorrect data check\)/);
  });

  it('says when the decompressed data is not a capture', async () => {
    const { error } = await readAll(readCapture(writeTmp('text.gz', gzipSync('hello, world')), 0));
    expect(error?.kind).toBe('bad-magic');
    expect(error?.message).toMatch(/the decompressed data is not a capture/);
  });
});

describe('standard input', () => {
  it('reads `-` from options.stdin, however it is chunked', async () => {
    const chunks = Array.from({ length: Math.ceil(PCAPNG.length / 7) }, (_, i) => PCAPNG.subarray(i * 7, i * 7 + 7));
    const reader = readCapture('-', 0, { stdin: Readable.from(chunks) });
    const { frames, error } = await readAll(reader);
    expect(error).toBeUndefined();
    expect(times(frames)).toEqual(EXPECTED);
    expect(reader.info).toMatchObject({ file: '-', format: 'pcapng', frames: 3 });
  });

  it('reads gzip from standard input', async () => {
    const reader = readCapture('-', 0, { stdin: Readable.from([gzipSync(PCAP)]) });
    expect(times((await readAll(reader)).frames)).toEqual(EXPECTED);
    expect(reader.info.gzip).toBe(true);
  });

  it('calls empty standard input empty', async () => {
    const { error } = await readAll(readCapture('-', 0, { stdin: Readable.from([]) }));
    expect(error?.message).toBe('-: no data (0 bytes)');
  });
});

describe('streaming', () => {
  it('hands a large file on in several batches, numbered in file order', async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ sec: SEC, frac: i, data: bytes(100, i % 256) }));
    const reader = readCapture(writeTmp('many.pcap', pcapFile({}, records)), 0);
    const { frames, batches } = await readAll(reader);
    expect(batches).toBeGreaterThan(1);
    expect(frames.map((f) => f.record)).toEqual(records.map((_, i) => i + 1));
    expect(reader.info.frames).toBe(3000);
  });

  it('stops reading when the consumer stops', async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ sec: SEC, frac: i, data: bytes(100, 0) }));
    const reader = readCapture(writeTmp('many2.pcap', pcapFile({}, records)), 0);
    for await (const batch of reader.batches()) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    // Only the first chunk was parsed.
    expect(reader.info.frames).toBeLessThan(3000);
  });
});
