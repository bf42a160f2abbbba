/**
 * runSendBatch with strict fakes (any call the case did not plan fails the test): a failure about
 * the SMTP settings pauses the campaign with its reason, puts the delivery back (and the chunk's
 * unsent rest) and parks the job, failing nobody; a transient failure keeps its path (back to the
 * queue with the attempt counted, retry with backoff).
 */
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Campaign } from '../../../src/domain/campaign.schema.ts';
import type { OutgoingMessage, SendOutcome } from '../../../src/mail/transport.ts';
import { type PreparedCampaigns, runSendBatch, type SendBatchDeps, TransientBatchError } from '../../../src/queue/send-batch.job.ts';

/** An object that has only `methods`; touching anything else throws. */
function strict<T>(name: string, methods: Record<string, unknown>): T {
  return new Proxy(methods, {
    get(target, key) {
      if (typeof key === 'symbol' || key === 'then') return undefined;
      if (!(key in target)) throw new Error(`unexpected use of ${name}.${key}`);
      return target[key];
    },
  }) as T;
}

const campaign = { id: 'daily-2025-02-13-abc123', lists: ['daily'], status: 'sending' } as Campaign;
const message = { envelope: { from: 'a@b.example', to: 'reader1@example.org' }, raw: Buffer.from('x'), messageId: '<m@b.example>' } as OutgoingMessage;

function setup(outcome: SendOutcome) {
  const calls: string[] = [];
  const job = strict<Job>('job', {
    id: 'batch-1',
    data: { campaignId: campaign.id, subscriberIds: [1, 2] },
    attemptsMade: 0,
    opts: { attempts: 8 },
    queueQualifiedName: 'bull:send',
  });
  const holderOf = (h: { jobId: string }) => h.jobId;
  const deps = {
    campaigns: strict('campaigns', {
      transition: async (_id: string, from: string[], to: string, fields: Record<string, string>) => (
        calls.push(`transition ${from.join('|')}->${to} ${fields.pauseReason}`), { moved: true, previous: 'sending' }
      ),
    }),
    chunks: strict('chunks', {
      claim: async (req: { subscriberIds: number[]; holder: { jobId: string } }) => {
        calls.push(`claim ${req.subscriberIds.join(',')} by ${holderOf(req.holder)}`);
        return {
          kind: 'claimed',
          finished: false,
          entries: req.subscriberIds.map((subscriberId) => ({ kind: 'send', subscriberId, attempts: 0, email: `reader${subscriberId}@example.org`, listId: 'daily' })),
        };
      },
      settle: async (_id: string, items: Array<{ subscriberId: number; outcome: { state: string; reply?: string } }>) => {
        for (const i of items) calls.push(`settle ${i.subscriberId} ${i.outcome.state}${i.outcome.reply ? ` ${i.outcome.reply}` : ''}`);
        return { finished: false, status: 'sending', lockHeld: true };
      },
    }),
    gate: strict('gate', {}),
    transport: strict('transport', { send: async () => (calls.push('send'), outcome) }),
    limiter: strict('limiter', { acquireUpTo: async (n: number) => n, maxPerAsk: Number.POSITIVE_INFINITY, unlimited: true }),
    parking: strict('parking', { park: async (id: string) => void calls.push(`park ${id}`) }),
    logger: strict<Logger>('logger', { error: () => calls.push('log error'), warn: () => calls.push('log warn') }),
    observer: strict('observer', { settingsPaused: () => calls.push('observed') }),
    preparer: strict('preparer', {}),
    leaseMs: 60_000,
    prepared: strict<PreparedCampaigns>('prepared', { get: async () => ({ campaign, prepared: { render: () => message } }) }),
  } as unknown as SendBatchDeps & { prepared: PreparedCampaigns };
  return { job, deps, calls };
}

describe('runSendBatch and the SMTP settings', () => {
  it('a settings problem pauses the campaign with the reason, puts the delivery back, parks the job, fails nobody', async () => {
    const reason = 'SMTP server smtp://relay:587 does not relay mail for newsdesk (554 5.7.1 Relay access denied): put a user and password that may relay in SMTP_URL';
    const { job, deps, calls } = setup({ status: 'failed', kind: 'permanent', hardBounce: false, code: 554, response: '554 5.7.1 Relay access denied', setupProblem: reason });
    await expect(runSendBatch(job, 'token', deps)).rejects.toBeInstanceOf(DelayedError);
    expect(calls).toEqual([
      'claim 1,2 by batch-1',
      'send',
      'settle 1 retry 554 5.7.1 Relay access denied',
      'settle 2 unsent',
      `transition sending->paused ${reason}`,
      'observed',
      'log error',
      `park ${campaign.id}`,
    ]);
  });

  it('a transient failure keeps its retry: released, the batch goes on, then retries with backoff', async () => {
    const { job, deps, calls } = setup({ status: 'failed', kind: 'transient', hardBounce: false, code: 421, response: '421 4.3.2 try later' });
    await expect(runSendBatch(job, 'token', deps)).rejects.toBeInstanceOf(TransientBatchError);
    expect(calls).toEqual(['claim 1,2 by batch-1', 'send', 'settle 1 retry 421 4.3.2 try later', 'send', 'settle 2 retry 421 4.3.2 try later']);
  });
});
