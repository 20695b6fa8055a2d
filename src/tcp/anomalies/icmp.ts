/**
 * What an ICMP error about a flow's segment says (phase `icmp` in
 * registry.ts): who sent it, what it was about, and what it did to the
 * connection (lifecycle.ts replayIcmp decides that, as Linux does).
 */

import type { Endpoint, Finding, Flow, IcmpNote } from '../types.ts';
import type { AnomalyCode } from './registry.ts';
import { coded } from './describe.ts';

/** The finding for one ICMP error. */
export function icmpFindings(flow: Flow, ep: Endpoint, note: IcmpNote): readonly Finding[] {
  const code: AnomalyCode = note.kind === 'packet-too-big' || note.name === 'fragmentation-needed' ? 'packet-too-big'
    : note.kind === 'time-exceeded' ? 'icmp-time-exceeded'
      : note.kind === 'parameter-problem' ? 'icmp-parameter-problem' : 'icmp-unreachable';
  const who = note.by === 'peer' ? `${ep.peer.side} ${note.from} itself` : `a router at ${note.from}`;
  const what = note.name.replaceAll('-', ' ');
  const about = quoted(ep, note);
  const details: Record<string, number | string | null> = {
    from: note.from, by: note.by, type: note.type, code: note.code, name: note.name, errno: note.errno ?? null, effect: note.effect,
  };
  let message: string;
  switch (note.effect) {
    case 'ended-attempt':
      message = `${who} said ${what} for ${about}: the ${ep.side}'s connect() failed with ${note.errno}`;
      break;
    case 'soft-error':
      message = note.heldInConnect === true
        ? `${who} said ${what} for ${about}, but the ${ep.side}'s application still held the socket inside connect() when it came (Linux's LockDroppedIcmps): its kernel kept it only as a soft error and sent the SYN again`
        : `${who} said ${what} for ${about}: a soft error, the connection goes on, but if it dies of retransmissions the ${ep.side}'s application sees ${note.errno}, not ETIMEDOUT`;
      break;
    case 'path-mtu':
      details.mtu = note.mtu ?? null;
      message = `${who} said ${about} was too big for the path (MTU ${note.mtu}): the ${ep.side} sends smaller segments from now on, and what it resends smaller is no loss`;
      break;
    default:
      if (note.mtu !== undefined) details.mtu = note.mtu;
      message = `${who} said ${what} for ${about}: ignored, ${ep.state === 'SYN_SENT' || ep.state === 'ESTABLISHED' ? 'the quoted sequence number was not in flight' : `the ${ep.side} held no connection (${ep.state})`}`;
  }
  const severity = code === 'packet-too-big' || note.effect === 'ignored' ? 'info' : note.effect === 'ended-attempt' ? 'error' : 'warning';
  const f: Finding = {
    ...coded(code), severity, side: ep.side, frame: note.frame, time: note.sec + note.nsec / 1e9, sec: note.sec, nsec: note.nsec, message, details,
  };
  void flow;
  return [f];
}

/** The quoted segment in words: the SYN of frame N, or the segment at relative sequence N. */
function quoted(ep: Endpoint, note: IcmpNote): string {
  if (ep.isn !== undefined && note.seq === ep.isn) {
    // Every SYN (or SYN-ACK) it sent with that ISN carries the quoted number: name them all when it resent it.
    const frames = ep.synFrames.length > 0 ? ep.synFrames : ep.synackFrames;
    const count = ep.synFrames.length > 0 ? ep.synCount : ep.synackCount;
    const what = ep.synFrames.length > 0 ? 'SYN' : 'SYN-ACK';
    if (frames.length === 0) return `the ${ep.side}'s ${what}`;
    return count === 1 ? `the ${ep.side}'s ${what} (frame ${frames[0]})` : `the ${ep.side}'s ${what} (sent ${count} times, frames ${frames[0]} to ${frames[frames.length - 1]})`;
  }
  const rel = ep.isn === undefined ? `seq ${note.seq}` : `seq ${((note.seq - ep.isn) >>> 0)}`;
  return `the ${ep.side}'s ${note.len === undefined ? 'segment' : `${note.len}-byte segment`} at ${rel}`;
}
