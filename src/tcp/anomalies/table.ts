/**
 * Findings the flow table makes about its own handling of a flow (phase
 * `table` in registry.ts): what the analysis did, not what the wire showed.
 */

import type { Finding, Flow } from '../types.ts';
import { hostPort } from '../../decode/address.ts';
import { coded } from './describe.ts';

/** The finding of a flow finalised early because the flow table was full. */
export function evictedFinding(flow: Flow, now: number, maxFlows: number): Finding {
  const last = flow.lastSec + flow.lastNsec / 1e9;
  const idle = Math.max(0, now - last);
  return {
    ...coded('flow-evicted'), side: null, frame: flow.lastFrame, time: last, sec: flow.lastSec, nsec: flow.lastNsec,
    message: `memory bound hit: ${plural(maxFlows, 'flow')} were held at once (--max-flows), so this one, the longest idle (${Math.round(idle * 1e6) / 1e6} s since its last segment), was finalised early with its states as they stood; later segments of ${hostPort(flow.client.addr, flow.client.port)} ↔ ${hostPort(flow.server.addr, flow.server.port)} start a new flow`,
    details: { max_flows: maxFlows, idle_s: Math.round(idle * 1e6) / 1e6 },
  };
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

