/**
 * node:v8, for setting a flow object aside whole (a quiet one parked:
 * tcp/held.ts; a copy printed early: settle.ts), loaded on first use: with
 * the streams it pulls in it took several milliseconds of every start, and
 * most runs never need it.
 */

import { createRequire } from 'node:module';

let v8Module: typeof import('node:v8') | undefined;

export function v8(): typeof import('node:v8') {
  return v8Module ??= createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
}
