/**
 * Backscatter safety: each token found in returned mail proves only what its address or link is
 * for. A shared view link, or the unsubscribe mailto that travels with every forwarded copy,
 * must not let whoever holds it report the reader as dead or as a complainer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReturnEvent } from '../../src/domain/return-event.ts';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { readReturnMail } from '../../src/mail/return-mail.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { abuseReport, bounceSample, sendCampaign, type SentCopy } from '../support/return-mail.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac';
let p: Pipeline;
let campaignId: string;
let copies: SentCopy[];

beforeAll(async () => {
  p = await startPipeline();
  ({ campaignId, copies } = await sendCampaign(p, 'daily', 5));
}, 180_000);

afterAll(async () => {
  await p?.close();
});

const copy = (i: number) => copies[i] as SentCopy;
const status = async (c: SentCopy) => (await p.app.stores.subscribers.get(c.subscriberId))?.status;
const accept = async (raw: Buffer, rcpt: string) => p.app.returnPath.accept((await readReturnMail(raw, { source: 'smtp', rcpt, feedbackAddresses: ['feedback@news.example.com'] })).event);

/** A feedback report as the mail entry points hand it on when a link token was found in its returned copy. */
const complaintNamedBy = (token: string, id: string): ReturnEvent => ({ source: 'smtp', kind: 'complaint', feedbackType: 'abuse', identity: { kind: 'token', token }, dedupeKey: `<${id}@feedback.example.net>|${token}` });

describe('which token proves which report', { timeout: 60_000 }, () => {
  it('a feedback report naming its delivery only by a view link changes nobody (view links are shared)', async () => {
    const c = copy(0);
    const view = signLinkToken({ subscriberId: c.subscriberId, purpose: 'view', scope: { kind: 'campaign', id: campaignId } }, SECRET);
    expect(await p.app.returnPath.accept(complaintNamedBy(view, 'fbl-view'))).toBe('unverified');
    expect(await status(c)).toBe('active');
    expect(await p.app.stores.lists.isMember('daily', c.subscriberId)).toBe(true);
    expect((await p.app.returns.campaignStats(campaignId)).counts.complaint).toBe(0);
  });

  it('the same report naming it by the unsubscribe link is a complaint (the List-Unsubscribe URL is enough)', async () => {
    const c = copy(1);
    const unsubscribe = signLinkToken({ subscriberId: c.subscriberId, purpose: 'unsubscribe', scope: { kind: 'campaign', id: campaignId } }, SECRET);
    expect(await p.app.returnPath.accept(complaintNamedBy(unsubscribe, 'fbl-unsubscribe'))).toBe('applied');
    expect(await status(c)).toBe('complained');
  });

  it('a hard bounce sent to the unsubscribe mailto (not the envelope sender) removes nobody', async () => {
    const c = copy(2);
    expect(await accept(bounceSample('rb-sisimai__postfix-14.eml'), c.unsubscribeAddress)).toBe('unverified');
    expect(await status(c)).toBe('active');
    expect((await p.app.returns.campaignStats(campaignId)).counts.hard).toBe(0);
    // The envelope sender's token does prove it.
    expect(await accept(bounceSample('rb-sisimai__postfix-14.eml'), c.mailFrom)).toBe('applied');
    expect(await status(c)).toBe('bounced');
  });

  it('an abuse report to the feedback address still finds the delivery by the List-Unsubscribe mailto', async () => {
    const c = copy(3);
    expect(await accept(abuseReport(c), 'feedback@news.example.com')).toBe('applied');
    expect(await status(c)).toBe('complained');
  });
});

describe('the soft-bounce rule counts deliveries, not reports', { timeout: 180_000 }, () => {
  /** The soft bounce sample, sent again under a Message-ID of its own. */
  const softBounce = (messageId: string) =>
    Buffer.from(bounceSample('rb-sisimai__v5sendmail-01.eml').toString('latin1').replace(/^Message-Id: <[^>]+>/m, `Message-Id: <${messageId}>`), 'latin1');

  it('one delivery\'s soft bounce sent five times under new Message-IDs bounces nobody; soft bounces of five deliveries do', async () => {
    const c = copy(4);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await accept(softBounce(`replay-${i}@example.com`), c.mailFrom));
    expect(outcomes).toEqual(['recorded', 'recorded', 'recorded', 'recorded', 'recorded']);
    expect(await status(c)).toBe('active');
    expect((await p.app.returns.campaignStats(campaignId)).counts.soft).toBe(1);

    // Four more campaigns to the same reader: each delivery's soft bounce counts.
    for (let i = 0; i < 4; i++) await p.waitForStatus((await p.createCampaign(['daily'])).id, 'sent');
    const senders = [...new Set(p.smtp.messages.filter((m) => m.to[0] === c.email).map((m) => m.from))].filter((f) => f !== c.mailFrom);
    expect(senders).toHaveLength(4);
    const later: string[] = [];
    for (const [i, from] of senders.entries()) later.push(await accept(softBounce(`delivery-${i}@example.com`), from));
    expect(later).toEqual(['recorded', 'recorded', 'recorded', 'applied']);
    expect(await status(c)).toBe('bounced');
  });
});
