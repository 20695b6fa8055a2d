/**
 * A flow's whole replayed state written down and read back (spool/snapshot.ts),
 * for tcp/compact.ts to hold a done connection of many segments through
 * TIME_WAIT (and a quiet one that has not ended) as a string of ~1 KB instead
 * of its ~5 KB of objects: a late segment (a lost final ACK, an RST in
 * TIME_WAIT, the tuple reused) reads it back and goes on from exactly where
 * the replay was. Live output copies a flow to finish early the same way.
 *
 * The shapes below name every property of a flow, its endpoints, their state
 * changes and Zeek's state: a property added to one of those types and not
 * here fails the typecheck, and test/tcp/snapshot.test.ts reads back every
 * flow of every capture equal to what was written. What two places of a flow
 * hold as one object is said here: an endpoint and its peer, Zeek's
 * originator and one of its two endpoints, an ICMP error in the list and as
 * the attempt's end. Everything else is written as a tree.
 */

import { listOf, ref, restore, shape, SKIP, snapshot, value, type Codec } from '../spool/snapshot.ts';
import { packLogText, type PackLog } from '../flow/pack.ts';
import type { ZeekEndpoint, ZeekState } from '../zeek/types.ts';
import { pairEndpoints } from './endpoint.ts';
import type { Endpoint, FinRecord, Flow, IcmpNote, StateChange, Wait } from './types.ts';

/** Numbers (frames, times). */
const NUMBERS = listOf<number>(value as Codec<number>);

/** An ICMP error about the flow: the one that ended the client's attempt is also in the flow's list, and is found there by identity (lifecycle.ts icmpWasSoft). */
const ICMP_NOTE = ref(value as Codec<IcmpNote>);

const STATE_CHANGE = shape<StateChange>({ from: 'value', to: 'value', on: 'value', frame: 'value', time: 'value', rfc: 'value' });

/** An endpoint without its peer (pairEndpoints links the two again). */
const ENDPOINT = shape<Endpoint>({
  side: 'value', addr: 'value', port: 'value', peer: SKIP, state: 'value', stateSince: 'value', stateFrame: 'value',
  changes: listOf(STATE_CHANGE), isn: 'value', sndNxt: 'value', sndUna: 'value', finSeq: 'value', finFrame: 'value',
  finAcked: 'value', synFrames: NUMBERS, synTimes: NUMBERS, synStamps: 'value', synCount: 'value', synackFrames: NUMBERS,
  synackTimes: NUMBERS, synackStamps: 'value', synackCount: 'value', pendingSynAck: 'value', hole: 'value', lastAckSent: 'value',
  options: 'value', windowShift: 'value', window: 'value', zeroWindow: 'value', challengePendingFrame: 'value',
  challengePendingSyn: 'value', unanswered: 'value', finalStateDoubt: 'value', timedOut: 'value', softError: 'value',
  maxPayload: 'value', pathMtu: 'value', resendSmallerBelow: 'value', frames: 'value', frameBytes: 'value',
  payloadBytes: 'value', synchronized: 'value', sawFinFromPeer: 'value', sawRstAccepted: 'value',
});

const ZEEK_ENDPOINT = shape<ZeekEndpoint>({
  addr: 'value', port: 'value', isOrig: 'value', state: 'value', prevState: 'value', startSeq: 'value', lastSeq: 'value',
  ackSeq: 'value', seqWraps: 'value', ackWraps: 'value', finCount: 'value', rstCount: 'value', finSeq: 'value',
  histLastSyn: 'value', histLastFin: 'value', histLastRst: 'value', rxmtCount: 'value', rxmtThresh: 'value',
  win0Count: 'value', win0Thresh: 'value', chkCount: 'value', chkThresh: 'value', gapCount: 'value', gapThresh: 'value',
  didClose: 'value', reassem: 'value', trimSeq: 'value', bufLo: 'value', bufHi: 'value', didEOF: 'value', pkts: 'value',
  ipBytes: 'value',
});

/** Zeek's state without orig and resp, which are always first and second in some order. */
const ZEEK_FIELDS = shape<ZeekState>({
  first: ZEEK_ENDPOINT, second: ZEEK_ENDPOINT, orig: SKIP, resp: SKIP, active: 'value', history: 'value',
  histSeen: 'value', startTime: 'value', lastTime: 'value', lastPacketTime: 'value', attemptAt: 'value', deleteAt: 'value',
  expireBase: 'value', closeExpireBase: 'value', inactivityTimeout: 'value', isActive: 'value', partial: 'value',
  firstSeen: 'value', missedBytes: 'value', closeDeferred: 'value', deferredGenEvent: 'value', rows: 'value',
});

const ZEEK: Codec<ZeekState> = {
  write(z) {
    value.write(z.orig === z.first);
    ZEEK_FIELDS.write(z);
  },
  read() {
    const origIsFirst = value.read() as boolean;
    const z = ZEEK_FIELDS.read();
    z.orig = origIsFirst ? z.first : z.second;
    z.resp = origIsFirst ? z.second : z.first;
    return z;
  },
};

const FIN = shape<FinRecord>({ side: 'value', frame: 'value', acksPeerFin: 'value', peerFinAckedBefore: 'value' });
const WAIT = shape<Wait>({
  side: 'value', state: 'value', since: 'value', sec: 'value', nsec: 'value', frame: 'value', until: 'value', untilFrame: 'value',
});

/** The flow's segments while it packs them: a log being appended to is written as its text form, which is what a rebuilt flow holds and packs on from (compact.ts). */
const PACKED: Codec<PackLog | string | undefined> = {
  write: (p) => value.write(typeof p === 'object' ? packLogText(p) : p),
  read: () => value.read() as string | undefined,
};

const FLOW_FIELDS = shape<Flow>({
  id: 'value', key: 'value', client: ENDPOINT, server: ENDPOINT, roles: 'value', firstFrame: 'value', firstSec: 'value',
  firstNsec: 'value', lastFrame: 'value', lastSec: 'value', lastNsec: 'value', midstream: 'value', onlyRst: 'value',
  synackFrame: 'value', synackTime: 'value', synackStamp: 'value', handshakeAckFrame: 'value', handshakeAckTime: 'value',
  serverAnsweredRst: 'value', splitAckFrame: 'value', acceptQueueFull: 'value', resetBeforeEstablished: 'value',
  established: 'value', fins: listOf(FIN), firstRst: 'value', closingRst: 'value', waits: listOf(WAIT), findings: 'value',
  findingCounts: 'value', events: 'value', frameTimes: 'value', eventsOmitted: 'value', zeek: ZEEK, tcpdumpBase: 'value', previous: 'value',
  packed: PACKED, icmp: listOf(ICMP_NOTE) as Codec<IcmpNote[]>, icmpEnd: ICMP_NOTE,
});

const FLOW: Codec<Flow> = {
  write: FLOW_FIELDS.write,
  read() {
    const flow = FLOW_FIELDS.read();
    pairEndpoints(flow.client, flow.server);
    return flow;
  },
};

/** The flow's whole state as a latin1 string. */
export function snapshotFlow(flow: Flow): string {
  return snapshot(flow, FLOW);
}

/** A flow equal to the one snapshotFlow() wrote (in this thread). */
export function restoreFlow(text: string): Flow {
  return restore(text, FLOW);
}
