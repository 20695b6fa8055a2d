/** The committed captures the end-to-end tests run over. */

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every capture file under `dir` and its folders (pcap, pcapng, gzip-compressed or not), sorted. */
export function capturesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return capturesUnder(path);
    return /\.(pcap|pcapng|cap)(\.gz)?$/.test(name) ? [path] : [];
  }).sort();
}
