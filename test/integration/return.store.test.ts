/**
 * The return store counts each delivery once per counter: a report sent again under a new
 * Message-ID (a new dedupe key) must not count twice, whatever came in between, and must not
 * fill a reader's soft-bounce window on its own.
 */
import { describe, expect, it } from 'vitest';
import type { InboundRecord } from '../../src/domain/inbound-record.schema.ts';
import { createReturnStore, type ReturnEffects } from '../../src/store/return.store.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();
const store = () => createReturnStore({ redis: t().redis, keys: t().keys });
const SOFT_WINDOW = 15 * 86_400_000;

const entry = (dedupeKey: string, kind: InboundRecord['kind']): InboundRecord => ({ at: new Date().toISOString(), source: 'smtp', kind, outcome: 'recorded', dedupeKey });
const effects = (campaignId: string, counter: NonNullable<ReturnEffects['counter']>, extra: Partial<ReturnEffects> = {}): ReturnEffects => ({
  campaignId,
  subscriberId: 7,
  counter,
  annotation: `${counter}|2026-11-28T00:00:00.000Z||`,
  ...extra,
});

describe('return store: once per delivery', () => {
  it('a hard bounce sent again under a new Message-ID after an unsubscribe of the same delivery counts once', async () => {
    const s = store();
    expect((await s.record(entry('<a@x>', 'bounce'), effects('c1', 'hard'))).fresh).toBe(true);
    expect((await s.record(entry('<b@x>', 'unsubscribe'), effects('c1', 'unsubscribe'))).fresh).toBe(true);
    expect((await s.record(entry('<c@x>', 'bounce'), effects('c1', 'hard'))).fresh).toBe(true);
    expect((await s.record(entry('<d@x>', 'complaint'), effects('c1', 'complaint'))).fresh).toBe(true);
    expect((await s.record(entry('<e@x>', 'unsubscribe'), effects('c1', 'unsubscribe'))).fresh).toBe(true);
    expect((await s.record(entry('<f@x>', 'complaint'), effects('c1', 'complaint'))).fresh).toBe(true);
    expect((await s.campaignStats('c1')).counts).toEqual({ hard: 1, soft: 0, complaint: 1, unsubscribe: 1, blocked: 0 });
    // The same dedupe key is still refused outright.
    expect((await s.record(entry('<a@x>', 'bounce'), effects('c1', 'hard'))).fresh).toBe(false);
  });

  it('one soft bounce sent five times under new Message-IDs is one soft bounce; soft bounces of five campaigns are five', async () => {
    const s = store();
    let last = 0;
    for (let i = 0; i < 5; i++) last = (await s.record(entry(`<soft-${i}@x>`, 'bounce'), effects('c1', 'soft', { softWindowMs: SOFT_WINDOW }))).softCount;
    expect(last).toBe(1);
    expect((await s.campaignStats('c1')).counts.soft).toBe(1);
    for (let i = 2; i <= 5; i++) last = (await s.record(entry(`<soft-c${i}@x>`, 'bounce'), effects(`c${i}`, 'soft', { softWindowMs: SOFT_WINDOW }))).softCount;
    expect(last).toBe(5);
  });

  it('a block about the sender sent again counts once for its provider', async () => {
    const s = store();
    await s.record(entry('<g1@x>', 'sender-alert'), effects('c1', 'blocked', { provider: 'gmail', annotation: undefined }));
    await s.record(entry('<g2@x>', 'sender-alert'), effects('c1', 'blocked', { provider: 'gmail', annotation: undefined }));
    await s.record(entry('<g3@x>', 'sender-alert'), effects('c1', 'blocked', { provider: 'gmail', annotation: undefined, subscriberId: 8 }));
    const stats = await s.campaignStats('c1');
    expect(stats.counts.blocked).toBe(2);
    expect(stats.blocksByProvider).toEqual({ gmail: 2 });
  });
});
