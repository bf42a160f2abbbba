/**
 * One DKIM signing thread of the pool (dkim-pool.ts): builds the signer once from `workerData`,
 * then answers `{ id, raw }` with `{ id, signed }` (or `{ id, error }`). Buffers travel as
 * transferred ArrayBuffers both ways, so a message is never copied between threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDkimSigner, type DkimOptions } from './dkim.ts';
import { ownedBytes } from './transfer.ts';

export interface SignRequest {
  id: number;
  raw: Uint8Array;
}
export type SignReply = { id: number; signed: Uint8Array } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('dkim-thread.ts runs as a worker thread of dkim-pool.ts');
const signer = createDkimSigner(workerData as DkimOptions);

port.on('message', ({ id, raw }: SignRequest) => {
  let reply: SignReply;
  try {
    const signed = ownedBytes(signer.sign(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)));
    reply = { id, signed };
    port.postMessage(reply, [signed.buffer as ArrayBuffer]);
  } catch (err) {
    reply = { id, error: (err as Error).message };
    port.postMessage(reply);
  }
});
// Tells the pool the key loaded: from here on an exit is a crash, not a bad start.
port.postMessage({ id: 0, ready: true });
