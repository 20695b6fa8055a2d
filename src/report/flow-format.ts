/**
 * What an output format of `synfin flows` is: a writer that is given every
 * flow as it ends and returns the flow's text, and the document those texts
 * are printed in once the capture has been read. The same writer makes the
 * CLI's output (src/cli/flow-output.ts holds the texts by flow id on disk
 * meanwhile) and a whole result's string (formatWith: formatJson, formatText,
 * formatCsv, formatZeek), so each format is written once. The formats by
 * name are FLOW_FORMATS (formats.ts).
 */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';
import type { Painter } from './color.ts';
import type { FailTerm } from './fail-on.ts';
import type { FlowFilter } from './text.ts';

/** What a run asks of its output besides the flows. */
export interface FormatContext {
  /** Which flows are listed (all when absent); a summary still describes the whole capture. */
  readonly filter?: FlowFilter;
  /** The text table's colours (none when absent). */
  readonly painter?: Painter;
  /** A terminal's width, which the text table fits itself to (a file or a pipe gets every column whole). */
  readonly columns?: number;
  /** The capture files as named on the command line (Zeek's uids derive from them; formatWith: the result's). */
  readonly files?: readonly string[];
  /** How the input was named: `a.pcap b.pcap`, `-i eth0` (the JUnit suite's name). */
  readonly source?: string;
  /** `--fail-on`: as given, and parsed (JUnit's tests). */
  readonly failOn?: { readonly expr: string; readonly terms: readonly FailTerm[] };
}

/**
 * The text around the flows' texts, in id order: `head`, the texts with
 * `separator` between two, then `tail()`.
 */
export interface FlowDocument {
  readonly head: string;
  readonly separator: string;
  /**
   * How each text is printed, called in id order, when not as it is (the table
   * pads its rows to the final widths, the conn.log puts its lines in ts order).
   */
  each?(text: string): string;
  /** Called after the last text. */
  tail(): string;
}

/** One run's writer (a writer keeps counts across the flows it is given). */
export interface FlowWriter {
  /** Every flow of the capture, once, as it ends: its text, or undefined when it is not listed. */
  flow(flow: FlowRecord): string | undefined;
  /**
   * The document around the texts, once the capture has been read (`count`
   * texts). A format without one is its texts alone, each printed as its
   * flow ends (ndjson: live output from a pipe).
   */
  document?(result: Omit<AnalysisResult, 'flows'>, count: number): FlowDocument;
}

/** An output format: a row of FLOW_FORMATS. */
export interface FlowFormat {
  writer(context: FormatContext): FlowWriter;
  /** Why the format cannot be written with these options (the CLI's usage error), if it cannot. */
  problem?(context: FormatContext): string | undefined;
  /** A paragraph for `flows --help`. */
  readonly help?: string;
  /**
   * A format whose text of an unfiltered flow is made from the record's JSON
   * text (JSON.stringify's, latin1: a record made early is kept so, or else
   * parsed) alone: `fromJson(JSON.stringify(f))` is what the writer gives for
   * `f`. The CLI then takes the records made early as that text
   * (AnalyzeOptions.flowText) rather than as records to write again. The
   * text may come as its UTF-8 bytes, a view that is good only until the
   * next call (json's entries, laid out in a scratch buffer).
   */
  readonly fromJson?: (json: string) => string | Buffer;
}

/** A text FlowFormat.fromJson gave, as a string (bytes are its UTF-8, copied). */
export function jsonText(text: string | Buffer): string {
  return typeof text === 'string' ? text : text.toString('utf8');
}

/** The whole document of `result`, its flows in the order given (the CLI prints them by id). */
export function formatWith(format: FlowFormat, result: AnalysisResult, context: FormatContext = {}): string {
  const writer = format.writer({ ...context, files: context.files ?? result.captures.map((c) => c.file) });
  const texts: string[] = [];
  for (const f of result.flows) {
    const text = writer.flow(f);
    if (text !== undefined) texts.push(text);
  }
  const doc = writer.document?.(result, texts.length);
  if (doc === undefined) return texts.join('');
  const each = doc.each?.bind(doc);
  const body = (each === undefined ? texts : texts.map(each)).join(doc.separator);
  return `${doc.head}${body}${doc.tail()}`;
}
