/**
 * One DKIM signing thread of the pool (dkim-pool.ts): builds the signer once from `workerData`,
 * then answers `{ id, raw, bodyHash? }` with `{ id, fields, raw }`: the DKIM-Signature field(s) and the
 * message's own bytes handed back (or `{ id, error }`). The message moves both ways as a
 * transferred ArrayBuffer, never copied, and this thread allocates no message-sized memory of its
 * own: its heap stays small, so it rarely collects, and buffers it made would wait for that.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDkimSigner, type DkimOptions } from './dkim.ts';

export interface SignRequest {
  id: number;
  raw: Uint8Array;
  /** The body hash when the sender had it (`OutgoingMessage.relaxedBodyHash`). */
  bodyHash?: string | undefined;
}
export type SignReply = { id: number; fields: string; raw: Uint8Array } | { id: number; error: string; raw: Uint8Array };

const port = parentPort;
if (!port) throw new Error('dkim-thread.ts runs as a worker thread of dkim-pool.ts');
const signer = createDkimSigner(workerData as DkimOptions);

port.on('message', ({ id, raw, bodyHash }: SignRequest) => {
  let reply: SignReply;
  try {
    reply = { id, fields: signer.fields(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), bodyHash).toString('latin1'), raw };
  } catch (err) {
    reply = { id, error: (err as Error).message, raw };
  }
  port.postMessage(reply, [raw.buffer as ArrayBuffer]);
});
// Tells the pool the key loaded: from here on an exit is a crash, not a bad start.
port.postMessage({ id: 0, ready: true });
