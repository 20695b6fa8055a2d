/** The Zeek settings synfin uses unless told otherwise. */

import { ZEEK_LIKELY_SERVER_PORTS, ZEEK_PORT_INACTIVITY_TIMEOUTS } from './ports.ts';
import type { ZeekConfig } from './types.ts';

/** What `zeek -r` does with the base scripts loaded, except checksums: `zeek -C` (see docs/zeek.md). */
export const DEFAULT_ZEEK_CONFIG: ZeekConfig = {
  likelyServerPorts: ZEEK_LIKELY_SERVER_PORTS,
  checksums: 'ignore',
  attemptDelay: 5,
  closeDelay: 5,
  connectionLinger: 5,
  synTimeout: 5,
  sessionTimer: 6,
  inactivityTimeout: 300,
  udpInactivityTimeout: 60,
  portInactivityTimeouts: ZEEK_PORT_INACTIVITY_TIMEOUTS,
};
