/**
 * explain and report keep a flow's first and latest timeline entries
 * (LifecycleOptions.eventsKept), so one connection of a million segments
 * costs them what EXPLAIN_EVENTS do; the gap is said, never hidden.
 */

import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { explainTimeline, formatExplain } from '../../src/report/explain.ts';

describe('a timeline kept to its first and latest entries', () => {
  it('keeps the first and latest frames, counts the middle, and the record is otherwise the same', async () => {
    const all = (await analyzeFile('captures/zero-window.pcap', { events: true })).flows[0]!;
    const kept = (await analyzeFile('captures/zero-window.pcap', { events: true, eventsKept: 40 })).flows[0]!;
    const frames = all.events!.map((e) => e.frame);
    const keptFrames = kept.events!.map((e) => e.frame);
    const o = kept.events_omitted!;
    // The first 20 whole; then a run of the latest, between 20 and 30 of them.
    expect(keptFrames.slice(0, 20)).toEqual(frames.slice(0, 20));
    expect(keptFrames.length).toBeGreaterThanOrEqual(40);
    expect(keptFrames.length).toBeLessThan(50);
    expect(keptFrames.slice(20)).toEqual(frames.slice(frames.length - (keptFrames.length - 20)));
    expect(o.frames + keptFrames.length).toBe(frames.length);
    expect([o.first_frame, o.last_frame]).toEqual([frames[20], frames[frames.length - (keptFrames.length - 20) - 1]]);
    // Everything but the timeline is unchanged.
    const { events: _a, ...restAll } = all;
    const { events: _k, events_omitted: _o, ...restKept } = kept;
    expect(restKept).toEqual(restAll);
    expect(all).not.toHaveProperty('events_omitted');
  });

  it('explain says where frames were left out, once, between the kept ones', async () => {
    const kept = (await analyzeFile('captures/zero-window.pcap', { events: true, eventsKept: 40 })).flows[0]!;
    const o = kept.events_omitted!;
    const lines = explainTimeline(kept, { all: true });
    const gap = lines.findIndex((l) => l.includes('not kept'));
    expect(lines.filter((l) => l.includes('not kept'))).toHaveLength(1);
    expect(lines[gap]).toContain(`frames ${o.first_frame}-${o.last_frame}: ${o.frames} frames not kept`);
    expect(Number(lines[gap - 1]!.trim().split(/\s+/)[0])).toBeLessThan(o.first_frame);
    expect(Number(lines[gap + 1]!.trim().split(/\s+/)[0])).toBeGreaterThan(o.last_frame);
    // The account still tells the whole story (it reads the record's counts and findings).
    expect(formatExplain(kept)).toContain('zero window');
  });
});
