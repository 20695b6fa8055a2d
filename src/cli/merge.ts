/**
 * `synfin merge SHARD...`: the outputs of `flows --shard I/N` (run on one
 * machine or many) joined into the document one run would have written
 * (report/merge.ts). A JSON document gives the whole `--format json` output,
 * byte for byte; ndjson, which carries no summary, gives the flows, one per
 * line, in id order.
 */

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { formatNdjsonFlow, jsonFormat } from '../report/json.ts';
import { scanSavedJson } from '../report/json-scan.ts';
import { checkedFlow, savedSchemaProblem } from '../report/diff.ts';
import { MergeError, ShardMerge, type ShardHead } from '../report/merge.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { drained } from './batched-out.ts';
import { UsageError, writeOut } from './common.ts';
import { eachNdjsonFlow } from './diff.ts';
import { createFormatSpool } from './flow-output.ts';
import { createIdSpool } from '../spool/id-spool.ts';

const FORMATS = ['json', 'ndjson'] as const;

interface MergeOptions {
  format?: (typeof FORMATS)[number];
}

/** Calls `each` with every flow of a shard file, and `head` with a JSON document's members. */
async function readShard(path: string, each: (flow: FlowRecord) => void, head?: (h: ShardHead) => void): Promise<'json' | 'ndjson'> {
  if (await firstLine(path) !== '{') {
    await eachNdjsonFlow(path, each);
    return 'ndjson';
  }
  const stream = createReadStream(path);
  const members: Record<string, unknown> = {};
  let index = 0;
  try {
    for await (const part of scanSavedJson(stream)) {
      if (part.kind === 'invalid') throw new UsageError(`${path}: not a synfin JSON document or ndjson output`);
      if (part.kind === 'member') members[part.key] = JSON.parse(part.text);
      else if (part.kind === 'flows') {
        const problem = savedSchemaProblem(members.schema);
        if (problem !== undefined) throw new UsageError(`${path}: ${problem}`);
        if (typeof members.summary !== 'object' || !Array.isArray(members.captures)) throw new UsageError(`${path}: its summary and captures must come before its flows`);
        head?.({ schema: members.schema as number, captures: members.captures as ShardHead['captures'], summary: members.summary as ShardHead['summary'] });
      } else {
        const flow = checkedFlow(JSON.parse(part.text), `flows[${index++}]`);
        if (typeof flow === 'string') throw new UsageError(`${path}: ${flow}`);
        each(flow);
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw new UsageError(`${path}: not valid JSON: ${e.message}`);
    throw e;
  } finally {
    stream.destroy();
  }
  return 'json';
}

async function firstLine(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const b = Buffer.alloc(256);
    const { bytesRead } = await handle.read(b, 0, b.length, 0);
    return b.toString('utf8', 0, bytesRead).split('\n', 1)[0]!.replace(/^\uFEFF/, '').trim();
  } finally {
    await handle.close();
  }
}

async function runMerge(files: string[], opts: MergeOptions): Promise<void> {
  const merge = new ShardMerge(files);
  const kinds = new Set<string>();
  try {
    for (const [i, f] of files.entries()) {
      kinds.add(await readShard(f, (flow) => merge.noteFlow(i, flow), (h) => merge.noteHead(i, h)));
    }
    const format = opts.format ?? (kinds.has('ndjson') ? 'ndjson' : 'json');
    if (format === 'json' && kinds.has('ndjson')) throw new MergeError('--format json needs every shard\'s JSON document (`flows --format json --shard I/N`): ndjson carries no summary');
    merge.numbered();
    const head = format === 'json' ? merge.merged() : undefined;
    // Held as text on disk by id until every shard has been read again (ids are the merged run's order).
    const write = (chunk: Buffer | string): Promise<void> | undefined => (writeOut(chunk) ? undefined : drained(process.stdout));
    if (head !== undefined) {
      const spool = createFormatSpool(jsonFormat.writer({}));
      try {
        for (const [i, f] of files.entries()) await readShard(f, (flow) => spool.add(merge.renumbered(i, flow)));
      } catch (e) {
        spool.close();
        throw e;
      }
      await spool.finish({ ...head, warnings: [] }, write);
      return;
    }
    const spool = createIdSpool();
    try {
      for (const [i, f] of files.entries()) {
        await readShard(f, (flow) => {
          const r = merge.renumbered(i, flow);
          spool.add(r.id, formatNdjsonFlow(r));
        });
      }
      await spool.copyOut('', write);
    } finally {
      spool.close();
    }
  } catch (e) {
    if (e instanceof MergeError) throw new UsageError(e.message);
    throw e;
  }
}

/** Adds `merge` to the program. */
export function registerMerge(program: Command): void {
  program.command('merge')
    .description('join the outputs of `flows --shard I/N` into the output one run over the whole capture gives')
    .argument('<shard...>', 'each shard\'s `flows --format json` (or ndjson) output, one file per shard')
    .addOption(new Option('-f, --format <format>', 'output format (default: json when every shard is a JSON document, else ndjson)').choices(FORMATS))
    .addHelpText('after', `
The JSON document is byte for byte what \`synfin flows --format json\` prints for
the whole capture: ids by first frame across all shards, the summary counted
again from every shard's flows. ndjson shards give ndjson in id order (one run
prints ndjson as flows end, so only the order of its lines differs).

Examples:
  parallel synfin flows --format json --shard {}/4 big.pcap '>' shard.{}.json ::: 0 1 2 3
  synfin merge shard.*.json > flows.json`)
    .action(runMerge);
}
