/**
 * The library: `import { analyze, analyzeFile, diff } from 'synfin'`. The
 * objects returned are the ones `synfin flows --format json` prints (docs/json.md),
 * and the CLI is a thin layer over these functions (docs/api.md).
 */

export { analyzeFile, analyzeFiles, SCHEMA } from './analyze.ts';
export { analyze } from './stream.ts';
export type { AnalysisResult, AnalyzeOptions, CaptureRecord, SummaryRecord, SynFloodRecord } from './analyze.ts';
export { CaptureError } from './capture/frame.ts';
export type { CaptureErrorKind, Precision } from './capture/frame.ts';
export { diff, DIFF_TIMELINE } from './report/diff.ts';
export type {
  AnomalyChange, ChangedField, DiffField, DiffInput, DiffOptions, DiffResult, FieldChange, FlowDiff, FlowRef,
  MatchMode, RttTolerance,
} from './report/diff.ts';
export { formatJson } from './report/json.ts';
export type { AnomalyCode, Severity } from './tcp/anomalies/registry.ts';
export type { EventFrames, OfferedOptions, Side, TimelineChoice } from './tcp/types.ts';
export type {
  AnomalyRecord, CloseKind, CloseRecord, EndpointRecord, EventIcmp, EventRecord, FlowRecord, HandshakeKind, HandshakeRecord,
  IcmpErrno, IcmpRecord, Outcome, ZeekRecord,
} from './tcp/record.ts';
export type { TcpState } from './tcp/transitions.ts';
export { DEFAULT_ZEEK_CONFIG } from './zeek/config.ts';
export type { ZeekConfig } from './zeek/types.ts';
