import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Campaign } from '../../src/domain/campaign.schema.ts';
import { runFanout } from '../../src/queue/fanout.job.ts';
import type { CampaignStore } from '../../src/store/campaign.store.ts';

/** A logger that keeps every line, to see what level the fan-out used. */
function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** A campaign store that answers only what a fan-out over nobody asks, and fails on anything else. */
function strictStore(campaign: Campaign) {
  const calls: string[] = [];
  const refuse = (name: string) => () => {
    throw new Error(`unexpected call: ${name}`);
  };
  const store = new Proxy({} as CampaignStore, {
    get(_, name: string) {
      const answers: Record<string, (...args: unknown[]) => unknown> = {
        get: async () => campaign,
        transition: async (_id: unknown, from: unknown, to: unknown) => {
          calls.push(`transition ${String(from)} → ${String(to)}`);
          campaign = { ...campaign, status: 'sending' };
          return { moved: true, previous: 'scheduled' };
        },
        finishFanout: async (_id: unknown, _now: unknown, reason: unknown) => {
          calls.push(`finishFanout: ${String(reason)}`);
          return 'no-recipients';
        },
      };
      return answers[name] ?? refuse(name);
    },
  });
  return { store, calls };
}

describe('a fan-out that finds nobody', () => {
  it('ends the campaign failed with the reason, logs an error, and queues nothing', async () => {
    const campaign: Campaign = {
      id: 'daily-2025-02-13-abcdef',
      status: 'scheduled',
      newsletterId: 'daily',
      editionDate: '2025-02-13',
      subject: 's',
      lists: ['signups'],
      createdAt: '2025-02-13T10:00:00.000Z',
      scheduledAt: '2025-02-13T11:00:00.000Z',
      cursor: 0,
      fanoutDone: false,
      counts: { total: 0, sent: 0, failed: 0, skipped: 0, pending: 0 },
    };
    const { store, calls } = strictStore(campaign);
    const { logger, lines } = capture();
    const r = await runFanout(campaign.id, {
      campaigns: store,
      members: { maxSubscriberId: async () => 0, pageMembers: async () => [] },
      sink: { addBatches: async () => Promise.reject(new Error('nothing may be queued')) },
      logger,
      batchSize: 10,
    });
    expect(r).toEqual({ kind: 'done', recipients: 0, finished: false });
    expect(calls).toEqual(['transition scheduled → sending', 'finishFanout: no recipients: list signups had no active members when it started']);
    expect(lines.filter((l) => l.level >= 50)).toEqual([
      expect.objectContaining({ level: 50, msg: 'campaign failed: no recipients: list signups had no active members when it started' }),
    ]);
  });
});
