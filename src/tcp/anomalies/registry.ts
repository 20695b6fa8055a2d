/**
 * Every anomaly synfin reports, one row each: its code, its severity, the
 * phase of the analysis that detects it, which side a finding names, and the
 * details it carries. Everything else that lists anomalies is this table:
 * the `Finding` code is its union type (AnomalyCode), `--fail-on`,
 * `--ignore` and the summary's vocabularies are ANOMALY_CODES, a finding's
 * severity comes from its row, and the schema's `code` enum and the table in
 * docs/json.md are checked against it (test/tcp/registry.test.ts; run
 * `npm run docs:anomalies` to rewrite the docs table from it).
 *
 * Adding an anomaly is a row here and its detector in the phase's list
 * (anomalies/index.ts for segments, anomalies/end.ts at the flow's end,
 * anomalies/table.ts for the flow table's own); the compiler then asks for
 * its next step in report/next-steps.ts. docs/architecture.md has the recipe.
 *
 * This module imports nothing, so every layer may read it.
 */

/** How bad a finding is: `--fail-on severity>=warning` counts warning and error. */
export type Severity = 'info' | 'warning' | 'error';

/**
 * When an anomaly is detected: on the segment that shows it (`segment`,
 * anomalies/index.ts), on an ICMP error about one of its segments (`icmp`,
 * anomalies/icmp.ts), when the flow's record is made (`end`, anomalies/end.ts:
 * what did not happen, and waits measured to their end), or by the flow table
 * itself (`table`, anomalies/table.ts).
 */
export type Phase = 'segment' | 'icmp' | 'end' | 'table';

/** One anomaly. */
export interface AnomalyRow {
  /** The severity of its findings. */
  readonly severity: Severity;
  /** Where the severity depends on the case, what decides it (docs/json.md's wording); `severity` is then the worst. */
  readonly severityWhen?: string;
  readonly phase: Phase;
  /** Which endpoint a finding names (its `side`), as docs/json.md says it. */
  readonly side: string;
  /** The `details` a finding carries, in docs/json.md's words (Markdown). */
  readonly details?: string;
}

/** The registry, in the order docs/json.md lists it: the opening, data, the close, resets, then the rest. */
export const ANOMALIES = {
  'syn-retransmit': {
    severity: 'warning',
    phase: 'segment',
    side: 'client',
    details: '`attempt` (2, 3, …), `gap_s`',
  },
  'syn-unanswered': {
    severity: 'error',
    phase: 'end',
    side: 'server',
    details: '`syns`',
  },
  'connection-refused': {
    severity: 'error',
    phase: 'segment',
    side: 'server',
  },
  'synack-retransmit': {
    severity: 'warning',
    phase: 'segment',
    side: 'server',
  },
  'accept-queue-full': {
    severity: 'error',
    phase: 'segment',
    side: 'server',
  },
  'handshake-incomplete': {
    severity: 'warning',
    phase: 'end',
    side: 'client',
    details: '`synacks`',
  },
  'bad-synack-ack': {
    severity: 'error',
    phase: 'segment',
    side: 'sender',
  },
  'simultaneous-open': {
    severity: 'info',
    phase: 'segment',
    side: 'sender',
  },
  'syn-with-data': {
    severity: 'info',
    phase: 'segment',
    side: 'sender',
  },
  'midstream': {
    severity: 'info',
    phase: 'end',
    side: 'null',
  },
  'retransmission': {
    severity: 'warning',
    phase: 'segment',
    side: 'sender',
  },
  'segment-gap': {
    severity: 'warning',
    phase: 'segment',
    side: 'sender',
    details: '`bytes` never captured',
  },
  'ack-unseen': {
    severity: 'warning',
    phase: 'segment',
    side: 'the side whose bytes were never captured',
    details: '`bytes`',
  },
  'zero-window': {
    severity: 'warning',
    phase: 'segment',
    side: 'sender',
  },
  'zero-window-probe': {
    severity: 'info',
    phase: 'segment',
    side: 'sender',
  },
  'keepalive': {
    severity: 'info',
    phase: 'segment',
    side: 'sender',
  },
  'fin-retransmit': {
    severity: 'warning',
    phase: 'segment',
    side: 'sender',
  },
  'last-ack-lost': {
    severity: 'warning',
    phase: 'segment',
    side: 'the passive closer',
  },
  'data-after-fin': {
    severity: 'error',
    phase: 'segment',
    side: 'sender',
  },
  'stuck-close-wait': {
    severity: 'warning',
    phase: 'end',
    side: 'the side in CLOSE_WAIT',
    details: '`waited_s`, `closed` (it did close later)',
  },
  'stuck-fin-wait-2': {
    severity: 'warning',
    phase: 'end',
    side: 'the side in FIN_WAIT_2',
    details: '`waited_s`, `closed`',
  },
  'rst-out-of-window': {
    severity: 'warning',
    phase: 'segment',
    side: 'sender of the RST',
  },
  'rst-in-time-wait': {
    severity: 'warning',
    phase: 'segment',
    side: 'the side in TIME_WAIT',
  },
  'half-open': {
    severity: 'error',
    phase: 'segment',
    side: 'sender of the RST',
  },
  'tuple-reuse': {
    severity: 'warning',
    severityWhen: "warning within 2 MSL, else info",
    phase: 'end',
    side: 'client',
    details: '`previous_flow`, `since_previous_s`, `within_2msl`',
  },
  'challenge-ack': {
    severity: 'info',
    phase: 'segment',
    side: 'sender of the ACK',
  },
  'syn-in-connection': {
    severity: 'warning',
    phase: 'segment',
    side: 'sender of the SYN',
  },
  'keepalive-timeout': {
    severity: 'error',
    phase: 'segment',
    side: "the silent peer (frame: the prober's RST)",
    details: '`probes`, `first_probe_frame`, `over_s`',
  },
  'retransmission-timeout': {
    severity: 'error',
    phase: 'end',
    side: 'the silent peer (frame: the last retransmission)',
    details: '`retransmissions`, `first_frame`, `silence_s`, `next_due_s`',
  },
  'retransmitting-at-end': {
    severity: 'warning',
    phase: 'end',
    side: 'the silent peer (frame: the last retransmission)',
    details: '`retransmissions`, `first_frame`, `silence_s`, `next_due_s`',
  },
  'icmp-unreachable': {
    severity: 'error',
    severityWhen: 'error when it ended a connection attempt, warning when kept as a soft error, info when ignored',
    phase: 'icmp',
    side: 'the side whose segment it quotes (frame: the ICMP error)',
    details: '`from` (its source address), `by` (`peer` or `router`), `type`, `code`, `name` (`port-unreachable`, `host-unreachable`, `admin-prohibited`, …), `errno` (what Linux reports for it), `effect` (`ended-attempt`, `soft-error` or `ignored`)',
  },
  'icmp-time-exceeded': {
    severity: 'error',
    severityWhen: 'error when it ended a connection attempt, warning when kept as a soft error, info when ignored',
    phase: 'icmp',
    side: 'the side whose segment it quotes (frame: the ICMP error)',
    details: 'as `icmp-unreachable`',
  },
  'icmp-parameter-problem': {
    severity: 'error',
    severityWhen: 'error when it ended a connection attempt, warning when kept as a soft error, info when ignored',
    phase: 'icmp',
    side: 'the side whose segment it quotes (frame: the ICMP error)',
    details: 'as `icmp-unreachable`',
  },
  'packet-too-big': {
    severity: 'info',
    phase: 'icmp',
    side: 'the side whose segment it quotes (frame: the ICMP error)',
    details: 'as `icmp-unreachable`, and `mtu`: fragmentation needed (ICMP) or packet too big (ICMPv6) lowered the sender\'s path MTU to it (`effect` `path-mtu`); what it resends smaller is not a `retransmission`',
  },
  'pmtu-black-hole': {
    severity: 'error',
    phase: 'end',
    side: 'the side whose full-size segments vanish (frame: the first of them)',
    details: '`segment_bytes`, `retransmissions`, `first_frame`: its full-size segment was resent and never acknowledged while its small ones got through, and no ICMP fragmentation needed / packet too big came (RFC 2923 §2.1)',
  },
  'rst-only': {
    severity: 'info',
    phase: 'end',
    side: 'null',
  },
  'flow-evicted': {
    severity: 'warning',
    phase: 'table',
    side: 'null',
    details: "`max_flows`, `idle_s` (seconds since its last segment when it was evicted); `frame` is the flow's last frame. The flow table held `--max-flows` flows (default 250,000, about 1 GB; a flow held compactly or parked counts 1/16) and this one, the longest idle, was finalised early with its states as they stood; later segments of its tuple start a new flow.",
  },
  'ip-length-exceeds-frame': {
    severity: 'warning',
    phase: 'segment',
    side: 'sender',
    details: "`bytes`: payload bytes the IPv4 total length (IPv6 payload length) claims past the frame's length on the wire. The packet was sliced by the capturing tool, or forged: it keeps the sequence space its IP header gives, but only the bytes the frame holds count in `payload_bytes` (as tshark's `tcp.len`). One per such frame. A frame cut by the snaplen is not this: its bytes were on the wire and count. See docs/formats.md, \"Malformed headers and lengths\".",
  },
} as const satisfies Record<string, AnomalyRow>;

/** One anomaly code. */
export type AnomalyCode = keyof typeof ANOMALIES;

/** Every anomaly code, in the registry's order. */
export const ANOMALY_CODES = Object.keys(ANOMALIES) as readonly AnomalyCode[];

/** True when `s` is an anomaly code this version knows. */
export function isAnomalyCode(s: string): s is AnomalyCode {
  return Object.hasOwn(ANOMALIES, s);
}

/** The severity of `code`'s findings (for one whose severity depends on the case, its worst). */
export function severityOf(code: AnomalyCode): Severity {
  return ANOMALIES[code].severity;
}
