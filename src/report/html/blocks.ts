/**
 * The report's two blocks of data, as the collector writes them (html.ts,
 * table-data.ts) and the page's script reads them (browser/script.ts): their
 * shapes and the few values both sides need. Nothing of Node's nor of the
 * browser's, so both import it.
 *
 * The table's block inflates to: a little-endian u32, the length of a JSON
 * head (TableHead), the head, then one column of n little-endian values per
 * field, each starting at a multiple of 8 bytes (columnStart), of the type
 * `cols` gives (f64, u32, u16 or u8, the narrowest that holds it): duration
 * (seconds, or whole units of 1/durScale s), id (the difference from the row
 * before), client address and port, server address and port (indices into
 * hosts), handshake, close, client state, server state (indices into words),
 * anomaly list (index into sets), worst severity (an index into SEVERITIES).
 * Typed arrays over the inflated bytes: nothing to parse but the head. The
 * diagrams' block (DiagramsBlock) is JSON, inflated when a flow is first
 * chosen.
 */

/** How a column's values are stored, and the typed array that reads them. */
export const COLUMN_ARRAYS = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array } as const;
export type ColumnType = keyof typeof COLUMN_ARRAYS;

/** The table's columns, in the order they follow the head. */
export type ColumnName = 'dur' | 'id' | 'ca' | 'cp' | 'sa' | 'sp' | 'hs' | 'cl' | 'cst' | 'sst' | 'an' | 'sev';

/** The table block's JSON head. */
export interface TableHead {
  /** Rows (flows), in id order. */
  readonly n: number;
  /** Kinds, states and anomaly codes, which the hs, cl, cst and sst columns and `sets` index. */
  readonly words: readonly string[];
  /** Addresses, which the ca and sa columns index. */
  readonly hosts: readonly string[];
  /** Each distinct list of a flow's anomaly codes (indices into words), which the an column indexes. */
  readonly sets: readonly (readonly number[])[];
  /** What each filter offers. */
  readonly choices: { readonly state: readonly string[]; readonly kind: readonly string[]; readonly anomaly: readonly string[] };
  /** Flows whose diagram the diagrams' block holds, at most. */
  readonly embedded: number;
  readonly cols: readonly (readonly [ColumnName, ColumnType])[];
  /** Durations are whole units of 1/durScale s; 0: seconds, as they are. */
  readonly durScale: number;
}

/** The diagrams' block: each embedded flow's ladder diagram (SVG) and account (paragraphs), by id. */
export interface DiagramsBlock {
  readonly diagrams: Readonly<Record<string, string>>;
  readonly accounts: Readonly<Record<string, readonly string[]>>;
}

/** A row's worst severity, as the sev column numbers it (0: none). */
export const SEVERITIES = ['', 'info', 'warning', 'error'] as const;

/** Where the column after one ending at `at` starts: the next multiple of 8 bytes, so each is a typed array over the block. */
export function columnStart(at: number): number {
  return (at + 7) & ~7;
}
