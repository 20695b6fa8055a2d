/** Shared wording for findings, so every message names endpoints the same way. */

import { hostPort } from '../../decode/address.ts';
import type { Endpoint, Finding, Observation } from '../types.ts';
import { severityOf, type AnomalyCode, type Severity } from './registry.ts';

/**
 * What a detector returns when it has nothing to say: one shared, frozen
 * array, because every segment runs every detector and a fresh `[]` each time
 * is garbage the collector must then sweep.
 */
export const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/** `client 10.0.0.1:40000` (IPv6 in brackets). */
export function who(ep: Endpoint): string {
  return `${ep.side} ${hostPort(ep.addr, ep.port)}`;
}

/** Seconds with a precision that suits the magnitude (`0.0012 s`, `1.5 s`). */
export function secs(s: number): string {
  if (s >= 10) return `${s.toFixed(1)} s`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 0.001) return `${(s * 1000).toFixed(1)} ms`;
  return `${(s * 1000).toFixed(3)} ms`;
}

/** A finding about the segment being replayed, concerning its sender unless told otherwise; its severity is its row's (registry.ts). */
export function at(
  obs: Observation, code: AnomalyCode, message: string,
  side: 'sender' | 'receiver' | null = 'sender', details?: Finding['details'],
): Finding {
  const ep = side === 'sender' ? obs.sender : side === 'receiver' ? obs.receiver : undefined;
  const f: Finding = {
    code, severity: severityOf(code), side: ep?.side ?? null, frame: obs.seg.frame, time: obs.time, sec: obs.seg.sec, nsec: obs.seg.nsec, message,
  };
  return details === undefined ? f : { ...f, details };
}

/** The code and severity (its row's) a finding made whole elsewhere starts with. */
export function coded(code: AnomalyCode): { readonly code: AnomalyCode; readonly severity: Severity } {
  return { code, severity: severityOf(code) };
}
