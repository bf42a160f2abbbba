/**
 * Where a fan-out's send-batch jobs go: BullMQ's send queue, each job with its deterministic id
 * (re-adding one BullMQ already has is a no-op), its retries and backoff, and its clean-up.
 */
import type { Queue } from 'bullmq';
import type { BatchSink } from './fanout.job.ts';
import type { SendBatchJob } from './queues.ts';

export interface BatchSinkOptions {
  /** Attempts per batch (SEND_ATTEMPTS). */
  attempts: number;
  /** First retry delay, doubling (SEND_BACKOFF_MS). */
  backoffMs: number;
}

export function queueBatchSink(queue: Queue<SendBatchJob>, opts: BatchSinkOptions): BatchSink {
  return {
    async addBatches(batches) {
      await queue.addBulk(
        batches.map((b) => ({
          name: 'send-batch',
          data: b.data,
          opts: {
            jobId: b.jobId,
            // A local-time campaign's bucket waits for its readers' time (zone-buckets.ts).
            ...(b.delay ? { delay: b.delay } : {}),
            attempts: opts.attempts,
            backoff: { type: 'exponential', delay: opts.backoffMs },
            removeOnComplete: true,
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        })),
      );
    },
  };
}
