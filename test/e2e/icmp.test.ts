/**
 * The ICMP captures (captures/icmp/, recorded by captures/record-icmp.sh
 * between network namespaces with a router between them) held to the
 * kernel's own word: each application's errno (NAME.errno.txt) and the
 * sockets `ss` listed when the exchange was over (NAME.ss.txt).
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { formatExplain } from '../../src/report/explain.ts';
import { ladderSvg } from '../../src/report/ladder-svg.ts';
import { readSs } from './ss.ts';

const names = readdirSync('captures/icmp').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, '')).sort();

/** The client's line of NAME.errno.txt: `connect: EHOSTUNREACH after 0.001 s`, `connected; read 32768 bytes: EOF at 3.003 s`, … */
function clientSaw(name: string): string {
  const lines = readFileSync(`captures/icmp/${name}.errno.txt`, 'utf8').split('\n');
  return lines[lines.findIndex((l) => l.startsWith('# client')) + 1] ?? '';
}

describe.each(names)('%s', (name) => {
  it('the client\'s outcome, handshake and final states are what its kernel said', async () => {
    const r = await analyzeFile(`captures/icmp/${name}.pcap`, { events: true });
    expect(r.flows).toHaveLength(1);
    const f = r.flows[0]!;
    const saw = clientSaw(name);
    const failed = /^connect: (E[A-Z]+) after/.exec(saw);
    if (failed !== null) {
      // connect() failed: the ICMP error ended the attempt, with the kernel's errno.
      const errno = failed[1]!;
      expect(f.outcome.client).toBe(errno);
      expect(f.handshake.kind).toBe(errno === 'ECONNREFUSED' ? 'refused' : 'unreachable');
      expect(f.client.final_state).toBe('CLOSED');
      expect(f.icmp?.filter((i) => i.effect === 'ended-attempt').map((i) => i.errno)).toEqual([errno]);
      expect(f.outcome.server).toBe('none');
    } else {
      expect(saw).toMatch(/^connected/);
      expect(f.handshake.kind).toBe('three-way');
      if (/: EOF at/.test(saw)) expect(f.outcome.client).toBe('EOF');
    }
    // Every connection socket ss still listed is in the state synfin ends the endpoint in.
    for (const s of readSs(`captures/icmp/${name}.ss.txt`)) {
      const side = s.host === 'client' ? f.client : f.server;
      expect(`${s.host} ${side.final_state}`).toBe(`${s.host} ${s.state}`);
    }
    expect(r.summary.icmp_errors?.about_no_flow ?? 0).toBe(0);
    expect(r.summary.icmp_errors?.about_flows ?? 0).toBe(f.icmp?.length ?? 0);
  });

  it('its ICMP frames are in the timeline, the account and the ladder', async () => {
    const r = await analyzeFile(`captures/icmp/${name}.pcap`, { events: true });
    const f = r.flows[0]!;
    const frames = (f.icmp ?? []).map((i) => i.frame);
    if (name.startsWith('pmtu-black-hole')) {
      // The black hole is the ICMP that never came.
      expect(frames).toEqual([]);
      expect(f.anomalies.some((a) => a.code === 'pmtu-black-hole' && a.side === 'server')).toBe(true);
      return;
    }
    expect(frames.length).toBeGreaterThan(0);
    expect(f.events?.filter((e) => e.icmp !== undefined).map((e) => e.frame)).toEqual(frames);
    const text = formatExplain(f);
    for (const frame of frames.slice(0, 3)) expect(text).toMatch(new RegExp(`^\\s+${frame}\\s.*ICMP`, 'm'));
    const svg = ladderSvg(f);
    expect(svg).toContain('stroke-dasharray="5 3"');
    expect(svg).toContain(`frame ${frames[0]}: ${f.icmp![0]!.by === 'router' ? `router ${f.icmp![0]!.from}` : 'server'} →`);
  });
});
