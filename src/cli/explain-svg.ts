/**
 * `synfin explain --svg`: the chosen flows' ladder diagrams instead of text.
 * One flow goes to standard output; several need `--out DIR`, which gets one
 * `flow-N.svg` per flow.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ladderSvg } from '../report/ladder-svg.ts';
import { stateDiagramSvg } from '../report/state-diagram-svg.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { out, UsageError, writeOutputFile } from './common.ts';

/** Writes the diagrams; `out` is the directory from --out, if given. */
export function writeSvgs(flows: readonly FlowRecord[], dir: string | undefined, states = false): void {
  const draw = states ? stateDiagramSvg : ladderSvg;
  if (dir === undefined) {
    if (flows.length !== 1) {
      throw new UsageError(`--svg draws one flow to standard output, but ${flows.length} flows match; pick one with --flow N or give --out DIR for one file per flow`);
    }
    out(draw(flows[0]!));
    return;
  }
  mkdirSync(dir, { recursive: true });
  for (const f of flows) writeOutputFile(join(dir, `flow-${f.id}${states ? '-states' : ''}.svg`), draw(f));
  process.stderr.write(`synfin: wrote ${flows.length} diagram${flows.length === 1 ? '' : 's'} to ${dir}\n`);
}
