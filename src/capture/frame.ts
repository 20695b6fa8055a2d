/**
 * What a capture reader hands to the decoders: one captured record, with no
 * interpretation of its bytes beyond the file format's own framing.
 */

/** Timestamp precision as the file states it (pcap magic, pcapng `if_tsresol`). */
export type Precision = 's' | 'ms' | 'us' | 'ns';

/** File formats synfin reads; `.gz` is a transport, reported beside the format. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** One captured record. */
export interface Frame {
  /**
   * 1-based frame number. Readers number records in file order; when several
   * files are merged the merge renumbers in merged order, exactly as Wireshark
   * numbers the output of `mergecap`.
   */
  number: number;
  /** Index of the input file this frame came from (0 for the first on the command line). */
  readonly source: number;
  /** 1-based record number within its own file, for error messages and `--source` lookups. */
  readonly record: number;
  /** Whole seconds since the Unix epoch. */
  readonly sec: number;
  /** Nanoseconds within `sec` (0..999_999_999), whatever the file's precision. */
  readonly nsec: number;
  /** Precision of this frame's timestamp (pcapng interfaces may differ). */
  readonly precision: Precision;
  /** Link-layer type (LINKTYPE_* number) of the interface the frame was captured on. */
  readonly linktype: number;
  /** The captured bytes (caplen of them). May be a view into a larger buffer: copy before keeping. */
  readonly data: Buffer;
  /** Length of the packet on the wire (may exceed data.length when the snaplen cut it). */
  readonly origLen: number;
}

/** What a reader learned about one input file; filled in while reading. */
export interface CaptureInfo {
  /** The path as given on the command line (`-` for standard input). */
  readonly file: string;
  format: CaptureFormat | undefined;
  /** True when the bytes were gzip-compressed (detected by magic, not by name). */
  gzip: boolean;
  /** Link-type names seen (e.g. `EN10MB`), in order of first appearance. */
  linktypes: string[];
  precision: Precision | undefined;
  /** Whole records read. */
  frames: number;
  /** True when the file ended in the middle of a record (a killed tcpdump). */
  truncated: boolean;
  /** Human-readable warnings (already naming file, offset, record). */
  warnings: string[];
}

/** The closed set of ways a capture file can be unreadable. */
export type CaptureErrorKind =
  | 'not-found'
  | 'is-directory'
  | 'unreadable'
  | 'empty'
  | 'bad-magic'
  | 'bad-version'
  | 'bad-snaplen'
  | 'caplen-too-large'
  | 'bad-block-length'
  | 'bad-block'
  | 'no-section-header'
  | 'unknown-interface'
  | 'bad-gzip';

/**
 * A capture that cannot be read. The message already names the file, the byte
 * offset and the record number, so the CLI prints it as it is.
 */
export class CaptureError extends Error {
  constructor(
    readonly kind: CaptureErrorKind,
    readonly file: string,
    readonly offset: number | undefined,
    readonly record: number | undefined,
    detail: string,
  ) {
    super(CaptureError.format(file, offset, record, detail));
    this.name = 'CaptureError';
  }

  /** `file: record N at byte M: detail`, leaving out what is unknown. */
  static format(file: string, offset: number | undefined, record: number | undefined, detail: string): string {
    const where: string[] = [];
    if (record !== undefined) where.push(`record ${record}`);
    if (offset !== undefined) where.push(`${record !== undefined ? 'at ' : ''}byte ${offset}`);
    return where.length > 0 ? `${file}: ${where.join(' ')}: ${detail}` : `${file}: ${detail}`;
  }
}
