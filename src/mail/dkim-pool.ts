/**
 * DKIM signing on worker threads, so the RSA work (the largest CPU cost per signed message) runs
 * beside the event loop that speaks SMTP and Redis instead of on it. Same signatures as
 * `createDkimSigner` (dkim.ts), asynchronously.
 *
 * - A message's bytes are transferred to a thread and back (not copied); the thread answers with
 *   the signature fields. `signFields` hands fields and message back apart (the SMTP client
 *   writes one after the other); `sign` copies them into one Buffer. The caller must not use `raw`
 *   after `sign(raw)` or `signFields(raw)`.
 * - The queue is bounded (`maxQueue`): past it `sign` rejects with a transient `DkimPoolError`.
 * - A thread that dies (crash, out of memory) is replaced; the messages it held reject with a
 *   transient `DkimPoolError` and were never handed to SMTP, so the send pipeline retries them
 *   like any 4xx: none lost, none sent twice. A thread that dies before its key loads
 *   `threadStartLimit` times in a row breaks the pool: `sign` rejects, `broken` set.
 * docs/scale.md has the figures.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { NewsdeskError } from '../domain/errors.ts';
import { createDkimSigner, type DkimOptions } from './dkim.ts';
import type { SignReply, SignRequest } from './dkim-thread.ts';
import { readPemSource } from './pem-source.ts';
import { ownedBytes } from './transfer.ts';
import { RUNNING_FROM } from '../package-dir.ts';

/** Why a message was not signed this time; `broken`: the pool cannot start threads at all. */
export class DkimPoolError extends NewsdeskError {
  constructor(
    message: string,
    readonly broken = false,
  ) {
    super(broken ? 'dkim_pool_broken' : 'dkim_pool_transient', message);
  }
}

export interface DkimPoolOptions {
  /** Signing threads. Default `defaultDkimThreads()`. */
  threads?: number | undefined;
  /** Messages waiting for a thread before `sign` refuses more. Default 1,000. */
  maxQueue?: number | undefined;
  /** Messages handed to one thread at a time (the rest wait in the pool's queue). Default 4. */
  perThread?: number | undefined;
  /** Threads dying before their key loads, in a row, before the pool gives up. Default 3. */
  threadStartLimit?: number | undefined;
  /**
   * Heap limit of one thread (V8 old generation), MB. Default 48: a thread keeps no message in
   * its heap (bytes come and go as transferred buffers), so it needs little.
   */
  threadHeapMb?: number | undefined;
}

export interface DkimPool {
  /** The message with its DKIM-Signature field(s) on top. Takes ownership of `raw`. `bodyHash` as `DkimSigner.sign`'s. */
  sign(raw: Buffer, bodyHash?: string): Promise<Buffer>;
  /**
   * The DKIM-Signature field(s) for `raw`, and the message itself handed back (its bytes went to
   * the thread and back): what `sign` resolves with without copying the two into one Buffer.
   */
  signFields(raw: Buffer, bodyHash?: string): Promise<{ fields: Buffer; raw: Buffer }>;
  /** Signs what is queued, then stops the threads. */
  close(): Promise<void>;
  /** The live threads (metrics, tests). */
  readonly threads: readonly Worker[];
  /** Set when the pool gave up starting threads: the reason. */
  readonly broken: string | undefined;
}

/** One thread per core but one, at least 1, at most 4: the sending thread needs a core too. */
export function defaultDkimThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

interface Job {
  id: number;
  raw: Buffer;
  bodyHash: string | undefined;
  resolve(signed: { fields: Buffer; raw: Buffer }): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  held: Map<number, Job>;
  ready: boolean;
}

/**
 * A thread's entry: from the sources, a small CommonJS file that loads tsx first; from the build,
 * its own `dkim-thread.js` entry, beside the file this module was bundled into in `dist/`.
 */
const THREAD_ENTRY = new URL(RUNNING_FROM === 'source' ? './dkim-thread.cjs' : './dkim-thread.js', import.meta.url);

/**
 * Starts the threads. The key(s) are read and checked here first, so bad settings throw the same
 * `NewsdeskError` as `createDkimSigner`, on the calling thread, before any thread starts.
 */
export function createDkimPool(options: DkimOptions, poolOptions: DkimPoolOptions = {}): DkimPool {
  createDkimSigner(options);
  // Threads get PEM text, not paths: what was checked is what they use.
  const threadOptions: DkimOptions = {
    domain: options.domain,
    selector: options.selector,
    privateKey: readPemSource(options.privateKey, 'DKIM_PRIVATE_KEY', 'dkim_key_invalid'),
    ed25519: options.ed25519 && {
      selector: options.ed25519.selector,
      privateKey: readPemSource(options.ed25519.privateKey, 'DKIM_ED25519_PRIVATE_KEY', 'dkim_key_invalid'),
    },
  };
  const size = poolOptions.threads ?? defaultDkimThreads();
  if (!Number.isInteger(size) || size < 1) throw new NewsdeskError('config_invalid', `DKIM_THREADS: must be a whole number ≥ 1 for a pool, got ${size}`);
  const maxQueue = poolOptions.maxQueue ?? 1000;
  const perThread = poolOptions.perThread ?? 4;
  const startLimit = poolOptions.threadStartLimit ?? 3;
  const heapMb = poolOptions.threadHeapMb ?? 48;

  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let failedStarts = 0;
  let closing = false;
  // Set once the threads are being terminated on purpose: their exits are no crash.
  let stopped = false;
  let broken: string | undefined;
  let drained: (() => void) | undefined;
  let closed: Promise<void> | undefined;

  const start = (): Slot => {
    const worker = new Worker(THREAD_ENTRY, { workerData: threadOptions, name: 'dkim', resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: heapMb } });
    const slot: Slot = { worker, held: new Map(), ready: false };
    worker.unref();
    worker.on('message', (reply: SignReply | { id: 0; ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        failedStarts = 0;
        return;
      }
      const job = slot.held.get(reply.id);
      if (!job) return;
      slot.held.delete(reply.id);
      if ('error' in reply) job.reject(new Error(`DKIM signing failed: ${reply.error}`));
      else job.resolve({ fields: Buffer.from(reply.fields, 'latin1'), raw: Buffer.from(reply.raw.buffer, reply.raw.byteOffset, reply.raw.byteLength) });
      settle(slot);
    });
    // An 'error' is followed by 'exit': one handler for both.
    worker.on('error', () => {});
    worker.once('exit', (code) => {
      const at = slots.indexOf(slot);
      if (at !== -1) slots.splice(at, 1);
      const reason = `DKIM signing thread exited (code ${code})`;
      for (const job of slot.held.values()) job.reject(new DkimPoolError(`not sent: ${reason} while signing; retried later`));
      slot.held.clear();
      if (stopped) return;
      if (!slot.ready && ++failedStarts >= startLimit) {
        broken = `${reason} ${failedStarts} times before its key loaded: check DKIM_PRIVATE_KEY and the worker's memory`;
        for (const job of queue.splice(0)) job.reject(new DkimPoolError(broken, true));
        drained?.();
        return;
      }
      slots.push(start());
      settle(slot);
    });
    return slot;
  };

  const dispatch = () => {
    while (queue.length) {
      let best: Slot | undefined;
      for (const s of slots) if (s.held.size < perThread && (!best || s.held.size < best.held.size)) best = s;
      if (!best) return;
      const job = queue.shift() as Job;
      best.held.set(job.id, job);
      if (best.held.size === 1) best.worker.ref();
      const bytes = ownedBytes(job.raw);
      const request: SignRequest = { id: job.id, raw: bytes, bodyHash: job.bodyHash };
      best.worker.postMessage(request, [bytes.buffer as ArrayBuffer]);
    }
  };

  const settle = (slot: Slot) => {
    if (slot.held.size === 0) slot.worker.unref();
    dispatch();
    if (drained && queue.length === 0 && slots.every((s) => s.held.size === 0)) drained();
  };

  for (let i = 0; i < size; i++) slots.push(start());

  const signFields = (raw: Buffer, bodyHash?: string): Promise<{ fields: Buffer; raw: Buffer }> => {
    if (broken) return Promise.reject(new DkimPoolError(broken, true));
    if (closing) return Promise.reject(new DkimPoolError('not sent: the DKIM signing pool is closing; retried later'));
    if (queue.length >= maxQueue) return Promise.reject(new DkimPoolError(`not sent: ${maxQueue} messages already wait for a DKIM signing thread; retried later`));
    return new Promise<{ fields: Buffer; raw: Buffer }>((resolve, reject) => {
      queue.push({ id: nextId++, raw, bodyHash, resolve, reject });
      dispatch();
    });
  };

  return {
    signFields,

    async sign(raw, bodyHash) {
      const { fields, raw: back } = await signFields(raw, bodyHash);
      return Buffer.concat([fields, back]);
    },

    close() {
      closed ??= (async () => {
        closing = true;
        if (!broken && (queue.length || slots.some((s) => s.held.size))) await new Promise<void>((r) => (drained = r));
        stopped = true;
        await Promise.all(slots.map((s) => s.worker.terminate()));
      })();
      return closed;
    },

    get threads() {
      return slots.map((s) => s.worker);
    },

    get broken() {
      return broken;
    },
  };
}
