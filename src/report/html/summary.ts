/** The report's summary: handshakes, closes and anomalies, tallied as flows end. */

import type { FlowRecord } from '../../tcp/record.ts';
import { xmlEscape } from '../ladder-svg.ts';
import { anomalyCounts, grouped } from '../text.ts';

/** Severities by gravity (0: none). */
export const SEVERITY_RANK: Record<string, number> = { error: 3, warning: 2, info: 1 };

/** The summary's tallies, gathered as flows end. */
export class SummaryTally {
  flows = 0;
  readonly handshakes = new Map<string, number>();
  readonly closes = new Map<string, number>();
  /** Occurrences of each code, as `synfin flows` counts them (listed and counted-only findings), at its gravest severity. */
  readonly anomalies = new Map<string, { sev: string; n: number }>();

  add(f: FlowRecord): void {
    this.flows++;
    this.handshakes.set(f.handshake.kind, (this.handshakes.get(f.handshake.kind) ?? 0) + 1);
    this.closes.set(f.close.kind, (this.closes.get(f.close.kind) ?? 0) + 1);
    for (const [code, { n, severity }] of anomalyCounts(f)) {
      const sev = severity ?? 'info';
      const a = this.anomalies.get(code) ?? { sev, n: 0 };
      this.anomalies.set(code, { sev: (SEVERITY_RANK[sev] ?? 0) > (SEVERITY_RANK[a.sev] ?? 0) ? sev : a.sev, n: a.n + n });
    }
  }

  html(): string {
    const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const list = (items: [string, number][]): string => `<ul>${items.map(([k, n]) => `<li><code>${xmlEscape(k)}</code> ${grouped(n)}</li>`).join('')}</ul>`;
    // Occurrences, as the flows table's summary line counts them ("syn-retransmit 2 ... (2 errors, 6 warnings)").
    const bySeverity = ['error', 'warning', 'info'].map((sev) => {
      const items = [...this.anomalies].filter(([, a]) => a.sev === sev).sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));
      if (items.length === 0) return '';
      const total = items.reduce((n, [, a]) => n + a.n, 0);
      const heading = sev === 'info' ? `${grouped(total)} info` : countText(total, sev);
      return `<div><h3 class="sev-${sev}">${heading}</h3>${list(items.map(([c, a]) => [c, a.n]))}</div>`;
    }).join('') || '<p>none</p>';
    return `<section id="summary"><h2>Summary: <span id="flow-total">${grouped(this.flows)}</span> ${this.flows === 1 ? 'flow' : 'flows'}</h2><div class="cols">`
      + `<div><h3>Handshakes (flows)</h3>${list(sorted(this.handshakes))}</div>`
      + `<div><h3>Closes (flows)</h3>${list(sorted(this.closes))}</div>`
      + `<div><h3>Anomalies (occurrences, as <code>synfin flows</code> counts them)</h3><div class="cols">${bySeverity}</div></div></div></section>`;
  }
}

/** `1 warning`, `6 warnings`. */
function countText(n: number, noun: string): string {
  return `${grouped(n)} ${noun}${n === 1 ? '' : 's'}`;
}
