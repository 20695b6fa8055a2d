/**
 * Opening a capture: a path or `-` (standard input), gzip or not, pcap or
 * pcapng, told apart by the first bytes and never by the file name. The bytes
 * stream through (fs read stream or stdin, gunzip when needed) in chunks; each
 * chunk's whole records come out as one batch, so a 1 GB file is read in
 * constant memory and no promise is spent per frame.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CaptureError } from './frame.ts';
import type { CaptureInfo, Frame } from './frame.ts';
import type { FormatParser } from './format.ts';
import { createPcapParser, isPcapMagic } from './pcap.ts';
import { BT_SHB, createPcapngParser } from './pcapng.ts';

/** One input file, read lazily. */
export interface CaptureReader {
  /** What is known of the file so far; complete once batches() has ended. */
  readonly info: CaptureInfo;
  /**
   * The file's frames in file order, a batch per chunk read. Opening errors
   * (`not-found`, `is-directory`, `unreadable`, `empty`, `bad-magic`) and
   * format errors are thrown as CaptureError from the iterator's next().
   * Iterate once: a second iteration re-reads the file (and would find
   * standard input already consumed).
   */
  batches(): AsyncIterable<Frame[]>;
}

/** Options of {@link readCapture}. */
export interface ReadCaptureOptions {
  /** What `-` reads (default process.stdin); tests pass a Readable. */
  readonly stdin?: NodeJS.ReadableStream;
}

const GZIP_MAGIC = 0x1f8b;
/** Bytes needed to tell the formats apart. */
const MAGIC_LEN = 4;
/**
 * Bytes read from a file at a time. Each chunk costs a trip through the async
 * iterators between the file and the analysis, and pcap-parser copies its
 * leftover with every chunk it is given: 1 MiB chunks read a large capture
 * about a fifth faster than the stream's default 64 KiB, for 1 MiB in flight.
 */
const READ_CHUNK = 256 * 1024;

/**
 * Opens a capture for reading. Nothing is read until batches() is iterated.
 * @param path a file path, or `-` for options.stdin ?? process.stdin
 * @param source the input's index on the command line (Frame.source)
 */
export function readCapture(path: string, source: number, options?: ReadCaptureOptions): CaptureReader {
  const info: CaptureInfo = {
    file: path,
    format: undefined,
    gzip: false,
    linktypes: [],
    precision: undefined,
    frames: 0,
    truncated: false,
    warnings: [],
  };
  return {
    info,
    batches: () => readBatches(path, source, info, options?.stdin),
  };
}

async function* readBatches(
  path: string,
  source: number,
  info: CaptureInfo,
  stdin: NodeJS.ReadableStream | undefined,
): AsyncGenerator<Frame[]> {
  Object.assign(info, { format: undefined, gzip: false, linktypes: [], precision: undefined, frames: 0, truncated: false, warnings: [] });
  const input = path === '-' ? (stdin ?? process.stdin) : await openFile(path);
  let chunks: AsyncIterator<Buffer> = chunksOf(input, path);
  try {
    let first = await peek(chunks, path);
    if (first.head.readUInt16BE(0) === GZIP_MAGIC) {
      info.gzip = true;
      chunks = gunzipped(first.chunks, path, info);
      first = await peek(chunks, path, ' after gunzip');
    }
    const parser = chooseParser(first.head, path, source, info);
    chunks = first.chunks;
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) break;
      const out: Frame[] = [];
      try {
        parser.push(next.value, out);
      } finally {
        // The records before a fault are valid: hand them on before the error.
        if (out.length > 0) yield out;
      }
    }
    parser.end();
  } finally {
    // Stop reading (closing the file) when the consumer stops early or a fault ends the file.
    await chunks.return?.();
  }
}

/** Opens a path, turning the operating system's refusals into CaptureError kinds. */
async function openFile(path: string): Promise<Readable> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw openError(path, err);
  }
  try {
    const st = await handle.stat();
    // Linux lets a directory be opened read-only; reading it fails later with EISDIR.
    if (st.isDirectory()) throw new CaptureError('is-directory', path, undefined, undefined, 'is a directory, not a capture file');
    // Only a regular file's size is known in advance (a FIFO or /dev/stdin reports 0).
    if (st.isFile() && st.size === 0) throw new CaptureError('empty', path, undefined, undefined, 'file is empty (0 bytes)');
  } catch (err) {
    await handle.close();
    throw err instanceof CaptureError ? err : openError(path, err);
  }
  return handle.createReadStream({ highWaterMark: READ_CHUNK });
}

function openError(path: string, err: unknown): CaptureError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new CaptureError('not-found', path, undefined, undefined, 'no such file');
    case 'EISDIR':
      return new CaptureError('is-directory', path, undefined, undefined, 'is a directory, not a capture file');
    case 'EACCES':
    case 'EPERM':
      return new CaptureError('unreadable', path, undefined, undefined, 'permission denied');
    default:
      return new CaptureError('unreadable', path, undefined, undefined, (err as Error | undefined)?.message ?? String(err));
  }
}

/** The stream's chunks as Buffers; read errors become CaptureError 'unreadable'. */
async function* chunksOf(stream: NodeJS.ReadableStream, path: string): AsyncGenerator<Buffer> {
  let offset = 0;
  try {
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Buffer);
      offset += b.length;
      yield b;
    }
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw openError(path, err);
    throw new CaptureError('unreadable', path, offset, undefined, `read failed: ${(err as Error).message}`);
  }
}

/** Reads until the first MAGIC_LEN bytes are known; returns them and an iterator that still yields every byte. */
async function peek(
  chunks: AsyncIterator<Buffer>,
  path: string,
  stage = '',
): Promise<{ head: Buffer; chunks: AsyncIterator<Buffer> }> {
  const seen: Buffer[] = [];
  let have = 0;
  while (have < MAGIC_LEN) {
    const next = await chunks.next();
    if (next.done === true) break;
    seen.push(next.value);
    have += next.value.length;
  }
  if (have === 0) {
    throw new CaptureError('empty', path, undefined, undefined, stage === '' ? 'no data (0 bytes)' : 'gzip stream holds no data (0 bytes)');
  }
  const head = Buffer.concat(seen, have);
  if (have < MAGIC_LEN) {
    throw new CaptureError('bad-magic', path, 0, undefined, `not a capture file: only ${have} byte${have === 1 ? '' : 's'}${stage}`);
  }
  return { head, chunks: prepend(head, chunks) };
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield first;
    for (;;) {
      const next = await rest.next();
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}

/** Picks the reader by magic number. */
function chooseParser(head: Buffer, path: string, source: number, info: CaptureInfo): FormatParser {
  const magic = head.readUInt32BE(0);
  if (isPcapMagic(magic)) {
    info.format = 'pcap';
    return createPcapParser(path, source, info);
  }
  if (magic === BT_SHB) {
    info.format = 'pcapng';
    return createPcapngParser(path, source, info);
  }
  const hex = head.subarray(0, MAGIC_LEN).toString('hex');
  const hint =
    magic === 0xa1b2cd34 || magic === 0x34cdb2a1
      ? ' (a "modified" Alexey Kuznetzov pcap; convert it with `editcap -F pcap`)'
      : head.readUInt16BE(0) === GZIP_MAGIC
        ? ' (gzip inside gzip; decompress it once first)'
        : '';
  const what = info.gzip ? 'the decompressed data is not a capture' : 'not a capture file';
  throw new CaptureError('bad-magic', path, 0, undefined, `${what}: magic ${hex} is neither pcap (a1b2c3d4, a1b23c4d, either byte order) nor pcapng (0a0d0d0a)${hint}`);
}

/** Compressed bytes handed to zlib at a time: bounds what one step can inflate to (deflate's ratio is at most ~1032:1). */
const GZIP_PIECE = 16 * 1024;

/**
 * Decompresses a gzip stream as it is read. A stream cut short (a killed
 * `tcpdump | gzip`) is analysed up to where it ends, with a warning; corrupt
 * data is 'bad-gzip', naming the range of compressed bytes the fault lies in
 * (CaptureError.offset: the bytes zlib consumed without fault).
 *
 * zlib is fed one piece at a time and its output is taken as it is emitted,
 * rather than read through a piped stream: a stream that fails drops the
 * output it still buffers, and the frames before a cut are exactly the ones
 * a user wants. Waiting for each piece also gives the backpressure.
 */
async function* gunzipped(compressed: AsyncIterator<Buffer>, path: string, info: CaptureInfo): AsyncGenerator<Buffer> {
  // Loaded here, not at start-up: most captures are not compressed.
  const { createGunzip } = await import('node:zlib');
  const gunzip = createGunzip();
  const out: Buffer[] = [];
  let error: Error | undefined;
  let ended = false;
  /** Compressed bytes handed to zlib. */
  let fed = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  gunzip.on('data', (chunk: Buffer) => {
    out.push(chunk);
  });
  gunzip.on('error', (err: Error) => {
    error ??= err;
    notify();
  });
  gunzip.on('end', () => {
    ended = true;
    notify();
  });
  // A stream closed without 'end' or 'error' must not leave the loop below waiting.
  gunzip.on('close', () => {
    ended = true;
    notify();
  });
  /** Resolves once zlib has processed what was written (its output is then in `out`), failed, or ended. */
  const settled = (write: (done: () => void) => void): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      write(notify);
    });
  try {
    for (;;) {
      const next = await compressed.next();
      if (next.done === true) {
        await settled((done) => gunzip.end(done));
      } else {
        for (let at = 0; at < next.value.length && error === undefined; at += GZIP_PIECE) {
          const piece = next.value.subarray(at, at + GZIP_PIECE);
          fed += piece.length;
          await settled((done) => gunzip.write(piece, () => done()));
          yield* out.splice(0);
        }
      }
      yield* out.splice(0);
      if (error !== undefined) break;
      if (next.done === true) {
        // end()'s callback comes on 'finish', which can precede the readable side's 'end' or 'error'.
        while (!ended && error === undefined) await new Promise<void>((resolve) => { wake = resolve; });
        yield* out.splice(0);
        break;
      }
    }
    if (error !== undefined) {
      // Offsets here count compressed bytes; record offsets elsewhere count decompressed ones.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'Z_BUF_ERROR') {
        info.truncated = true;
        info.warnings.push(`${path}: compressed byte ${fed}: gzip stream ends early (cut short?): analysed what it holds`);
        return;
      }
      // zlib says what is wrong, not where: the fault lies past what it consumed cleanly and within what it was given.
      const good = gunzip.bytesWritten;
      const err = new CaptureError('bad-gzip', path, good, undefined, `corrupt gzip data: ${error.message}`);
      err.message = `${path}: compressed bytes ${good}..${fed}: corrupt gzip data (${error.message})`;
      throw err;
    }
  } finally {
    gunzip.destroy();
    await compressed.return?.();
  }
}
