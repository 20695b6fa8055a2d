/** The fuzz worker: checks inputs one at a time, so the runner can stop it on a hang or a memory blow-up. */

import { parentPort } from 'node:worker_threads';
import { check } from './check.ts';

parentPort?.on('message', async (msg: { id: number; bytes: Uint8Array }) => {
  const verdict = await check(Buffer.from(msg.bytes));
  parentPort?.postMessage({ id: msg.id, verdict });
});
