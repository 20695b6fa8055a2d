/**
 * What the kernel knows and the wire cannot show (docs/states.md, "What the
 * wire cannot show"), per kernel scenario: the ss state to expect instead of
 * synfin's, and why. Shared by the final-state check (scenarios.test.ts) and
 * the `netstat --at` check (test/report/netstat.test.ts).
 */

import type { FlowRecord } from '../../src/tcp/record.ts';

/** Per capture name: for a flow, the states ss shows where synfin's cannot match (undefined: none). */
export const WIRE_CANNOT_KNOW: Record<string, (f: FlowRecord) => { client?: string; server?: string } | undefined> = {
  // The client is a raw socket: the kernel holds no socket for it at all.
  'synack-unacked': () => ({ client: 'CLOSED' }),
  // connect() gives up one back-off after its last SYN and sends nothing to say so.
  'syn-unanswered': () => ({ client: 'CLOSED' }),
  // The same, for demo-mixed's unanswered story (server port 9605).
  'demo-mixed': (f) => (f.server.port === 9605 ? { client: 'CLOSED' } : undefined),
};
