/**
 * The output formats of `synfin flows`, by the name `--format` takes: the
 * option's choices and the formats' paragraphs in `flows --help` come from
 * here, in this order. A format is a FlowFormat (flow-format.ts) in a file of
 * its own, and a row here.
 */

import { csvFormat } from './csv.ts';
import type { FlowFormat } from './flow-format.ts';
import { jsonFormat, ndjsonFormat } from './json.ts';
import { junitFlowsFormat } from './junit-flows.ts';
import { textFormat } from './text.ts';
import { zeekFormat } from './zeek-flows.ts';

export const FLOW_FORMATS = {
  text: textFormat,
  json: jsonFormat,
  ndjson: ndjsonFormat,
  zeek: zeekFormat,
  csv: csvFormat,
  junit: junitFlowsFormat,
} as const satisfies Readonly<Record<string, FlowFormat>>;

/** A name `--format` takes. */
export type FlowFormatName = keyof typeof FLOW_FORMATS;

/** The names, in the table's order. */
export const FLOW_FORMAT_NAMES = Object.keys(FLOW_FORMATS) as FlowFormatName[];
