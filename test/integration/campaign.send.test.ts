/**
 * Campaigns end to end, in one process: real Redis, BullMQ workers, the SMTP adapter, and a
 * scriptable SMTP server on loopback that records every message it accepts.
 */
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyLinkToken } from '../../src/domain/link-token.ts';
import { type Pipeline, type PipelineOptions, startPipeline } from '../support/pipeline.ts';

describe('campaign sending', () => {
  let p: Pipeline | undefined;
  const start = async (opts?: PipelineOptions) => (p = await startPipeline(opts));
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it('sends every recipient exactly once and becomes sent with a finish time', async () => {
    const p = await start();
    await p.addSubscribers('daily', 120);
    const created = await p.createCampaign(['daily']);
    expect(created.status).toBe('scheduled');
    const done = await p.waitForStatus(created.id, 'sent');

    expect(done.counts).toEqual({ total: 120, sent: 120, failed: 0, skipped: 0, pending: 0 });
    expect(done.finishedAt).toBeDefined();
    const received = p.received();
    expect(received.size).toBe(120);
    expect([...received.values()].every((n) => n === 1)).toBe(true);
    expect(received.has('reader1@example.org') && received.has('reader120@example.org')).toBe(true);
    // The per-recipient records are kept DELIVERY_RETENTION_DAYS (default 30) from the finish.
    const ttl = await p.t.redis.pttl(p.t.keys.campaignDeliveries(created.id));
    expect(ttl).toBeGreaterThan(29 * 86_400_000);
    expect(ttl).toBeLessThanOrEqual(30 * 86_400_000);
  });

  it('delivers a personalized message with its own signed links and the list headers', async () => {
    const p = await start();
    const [id] = await p.addSubscribers('daily', 1);
    const c = await p.createCampaign(['daily']);
    await p.waitForStatus(c.id, 'sent');
    const raw = (p.smtp.messages[0] as { raw: Buffer }).raw;
    const head = raw.toString('latin1').split('\r\n\r\n')[0] as string;
    const mail = await simpleParser(raw);

    expect(mail.html).toContain('Good morning, Reader.');
    const unsubscribe = /^List-Unsubscribe: <(https:\/\/news\.example\.com\/u\/([^>]+))>,\r\n <mailto:[^>]+>\r\n/m.exec(head);
    expect(unsubscribe).not.toBeNull();
    const token = verifyLinkToken(unsubscribe?.[2] ?? '', ['a-test-secret-that-is-long-enough-for-hmac']);
    expect(token).toMatchObject({ subscriberId: id, purpose: 'unsubscribe', scope: { kind: 'campaign', id: c.id } });
    expect(mail.html).toContain(`href="${unsubscribe?.[1]}"`);
    expect(head).toContain('\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
    expect(head).toMatch(/\r\nList-Id: "Newsdesk Daily" <daily\.daily\.news\.example\.com>\r\n/);
    expect(head).toContain(`\r\nFeedback-ID: ${c.id}:daily:daily:newsdesk\r\n`);
    // The Message-ID is the delivery's: a copy re-sent after a crash carries the same one.
    expect(mail.messageId).toBe(`<${c.id}.${id}@news.example.com>`);
    const delivery = await p.app.campaigns.delivery(c.id, id as number);
    expect(delivery).toMatchObject({ state: 'sent', messageId: mail.messageId });
    expect(delivery?.detail).toMatch(/^250 /);
  });

  it('sends one copy to a subscriber on two of the campaign lists', async () => {
    const p = await start();
    await p.addSubscribers('daily', 30, 1);
    await p.addSubscribers('weekend', 30, 21); // readers 21–30 are on both
    const c = await p.createCampaign(['daily', 'weekend']);
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts.total).toBe(50);
    expect(p.received().size).toBe(50);
    expect([...p.received().values()].every((n) => n === 1)).toBe(true);
  });

  it('skips someone who unsubscribed after the campaign was scheduled', async () => {
    const p = await start();
    const ids = await p.addSubscribers('daily', 10);
    const c = await p.createCampaign(['daily'], new Date(Date.now() + 60_000));
    await p.app.stores.subscribers.unsubscribe(ids[3] as number, { reason: 'test' });
    await p.app.stores.subscribers.unsubscribe(ids[5] as number, { listId: 'daily', reason: 'test' });
    await p.app.service.reschedule(c.id, new Date());
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts).toMatchObject({ sent: 8, skipped: 0 });
    // Both left the list before the start, so neither was a recipient at all.
    expect(p.received().has('reader4@example.org')).toBe(false);
    expect(p.received().has('reader6@example.org')).toBe(false);
  });

  it('skips a recipient who unsubscribes while the campaign is running', async () => {
    const p = await start({
      // Slow enough that the unsubscribe lands before the last batch.
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 20 } : undefined) },
      env: { SEND_BATCH_SIZE: '5' },
      concurrency: 1,
    });
    const ids = await p.addSubscribers('daily', 40);
    const c = await p.createCampaign(['daily']);
    await p.waitFor(c.id, (x) => x.counts.sent >= 2);
    const last = ids.at(-1) as number;
    await p.app.stores.subscribers.unsubscribe(last, { reason: 'one-click' });
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts).toMatchObject({ total: 40, sent: 39, skipped: 1 });
    expect(await p.app.campaigns.delivery(c.id, last)).toMatchObject({ state: 'skipped', detail: 'unsubscribed' });
    expect(p.received().has('reader40@example.org')).toBe(false);
  });

  it('retries a 421 and sends the message on the next attempt', async () => {
    const p = await start({
      smtp: { reply: (e) => (e.stage === 'data' && e.to[0] === 'reader2@example.org' && e.attempt === 1 ? { code: 421, message: '4.7.0 try again later' } : undefined) },
    });
    const ids = await p.addSubscribers('daily', 5);
    const c = await p.createCampaign(['daily']);
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts).toEqual({ total: 5, sent: 5, failed: 0, skipped: 0, pending: 0 });
    expect(p.received().get('reader2@example.org')).toBe(1);
    expect(p.smtp.dataReplies.filter((r) => r.to[0] === 'reader2@example.org').map((r) => r.code)).toEqual([421, 250]);
    expect(await p.app.campaigns.delivery(c.id, ids[1] as number)).toMatchObject({ state: 'sent' });
  });

  it('fails a transient failure for good after the last attempt, with the server reply', async () => {
    const p = await start({
      env: { SEND_ATTEMPTS: '3' },
      smtp: { reply: (e) => (e.stage === 'rcpt' && e.to[0] === 'reader1@example.org' ? { code: 451, message: '4.3.0 mailbox busy' } : undefined) },
    });
    const [first] = await p.addSubscribers('daily', 3);
    const c = await p.createCampaign(['daily']);
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts).toMatchObject({ sent: 2, failed: 1 });
    expect(p.smtp.rcpts.filter((r) => r.to === 'reader1@example.org')).toHaveLength(3);
    expect(await p.app.campaigns.delivery(c.id, first as number)).toMatchObject({ state: 'failed', detail: expect.stringMatching(/^451 .*mailbox busy/) });
  });

  it('fails a 550 5.1.1 at once, marks the subscriber bounced and suppresses the address', async () => {
    const p = await start({
      smtp: { reply: (e) => (e.stage === 'rcpt' && e.to[0] === 'reader3@example.org' ? { code: 550, message: '5.1.1 no such user' } : undefined) },
    });
    const ids = await p.addSubscribers('daily', 4);
    const c = await p.createCampaign(['daily']);
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts).toMatchObject({ sent: 3, failed: 1 });
    expect(p.smtp.rcpts.filter((r) => r.to === 'reader3@example.org')).toHaveLength(1);
    expect(await p.app.campaigns.delivery(c.id, ids[2] as number)).toMatchObject({ state: 'failed', detail: expect.stringContaining('5.1.1') });
    expect((await p.app.stores.subscribers.get(ids[2] as number))?.status).toBe('bounced');
    expect(await p.app.stores.suppression.isSuppressed('reader3@example.org')).toBe(true);
  });

  it('pauses, then resumes where it stopped: nothing lost, nothing repeated', async () => {
    const p = await start({
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 5 } : undefined) },
      env: { SEND_BATCH_SIZE: '10' },
    });
    await p.addSubscribers('daily', 200);
    const c = await p.createCampaign(['daily']);
    await p.waitFor(c.id, (x) => x.counts.sent >= 20);
    await p.app.service.pause(c.id);
    // Within a moment every worker has stopped: the count holds still.
    await new Promise((r) => setTimeout(r, 300));
    const held = p.smtp.messages.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(p.smtp.messages.length).toBe(held);
    expect(held).toBeLessThan(200);
    expect((await p.app.campaigns.get(c.id)).status).toBe('paused');

    await p.app.service.resume(c.id);
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts).toEqual({ total: 200, sent: 200, failed: 0, skipped: 0, pending: 0 });
    expect(p.received().size).toBe(200);
    expect([...p.received().values()].every((n) => n === 1)).toBe(true);
  });

  it('cancels: nothing more is sent, and the campaign stays cancelled', async () => {
    const p = await start({
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 5 } : undefined) },
      env: { SEND_BATCH_SIZE: '10' },
    });
    await p.addSubscribers('daily', 200);
    const c = await p.createCampaign(['daily']);
    await p.waitFor(c.id, (x) => x.counts.sent >= 10);
    await p.app.service.cancel(c.id);
    await new Promise((r) => setTimeout(r, 300));
    const atCancel = p.smtp.messages.length;
    await new Promise((r) => setTimeout(r, 700));
    expect(p.smtp.messages.length).toBe(atCancel);
    expect(atCancel).toBeLessThan(200);
    const after = await p.app.campaigns.get(c.id);
    expect(after.status).toBe('cancelled');
    await expect(p.app.service.resume(c.id)).rejects.toThrow(/cannot resume .* cancelled/);
    expect(await p.t.redis.pttl(p.t.keys.campaignDeliveries(c.id))).toBeGreaterThan(29 * 86_400_000);
  });

  it('cancels a scheduled campaign before it starts: nobody is mailed', async () => {
    const p = await start();
    await p.addSubscribers('daily', 5);
    const c = await p.createCampaign(['daily'], new Date(Date.now() + 200));
    await p.app.service.cancel(c.id);
    await new Promise((r) => setTimeout(r, 600));
    expect(p.smtp.messages).toHaveLength(0);
    expect((await p.app.campaigns.get(c.id)).status).toBe('cancelled');
    expect(await p.app.queues.campaign.getJob(c.id)).toBeUndefined();
  });

  it('starts a scheduled campaign at its time, and scheduling is keyed by the campaign id', async () => {
    const p = await start();
    await p.addSubscribers('daily', 3);
    const c = await p.createCampaign(['daily'], new Date(Date.now() + 60_000));
    expect(await (await p.app.queues.campaign.getJob(c.id))?.isDelayed()).toBe(true);
    await p.app.service.reschedule(c.id, new Date(Date.now() + 300));
    expect((await p.app.campaigns.get(c.id)).status).toBe('scheduled');
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts.sent).toBe(3);
    expect(Date.parse(done.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(c.createdAt) + 250);
  });

  it('fails a campaign whose recipients come to 0, with the reason, instead of calling it sent', async () => {
    const p = await start();
    await p.app.stores.lists.create({ id: 'empty', newsletter: 'daily' });
    const c = await p.createCampaign(['empty']);
    const done = await p.waitForStatus(c.id, 'failed');
    expect(done.counts).toEqual({ total: 0, sent: 0, failed: 0, skipped: 0, pending: 0 });
    expect(done.error).toMatch(/no recipients: list empty had no active members/);
    expect(done.finishedAt).toBeDefined();
  });

  it('refuses a campaign to a list that does not exist, and stores nothing', async () => {
    const p = await start();
    await expect(p.createCampaign(['nope'])).rejects.toThrow(/list not found: nope/);
    expect(await p.app.campaigns.list()).toEqual([]);
  });

  it('sends a test copy with [TEST] in the subject, counted nowhere', async () => {
    const p = await start();
    await p.addSubscribers('daily', 2);
    const c = await p.createCampaign(['daily'], new Date(Date.now() + 60_000));
    const outcome = await p.app.service.testSend(c.id, 'editor@example.com');
    expect(outcome.status).toBe('sent');
    const mail = await simpleParser((p.smtp.messages[0] as { raw: Buffer }).raw);
    expect(mail.subject).toMatch(/^\[TEST\] /);
    expect(p.smtp.messages[0]?.to).toEqual(['editor@example.com']);
    const after = await p.app.campaigns.get(c.id);
    expect(after.counts).toEqual({ total: 0, sent: 0, failed: 0, skipped: 0, pending: 0 });
    expect(after.status).toBe('scheduled');
  });

  it('keeps the global send rate across concurrent sends', async () => {
    const p = await start({ env: { SEND_RATE_PER_SECOND: '20' } });
    await p.addSubscribers('daily', 30);
    const c = await p.createCampaign(['daily']);
    await p.waitForStatus(c.id, 'sent');
    // The limiter's promise, checked on the record of when each message was accepted. At 20/s it
    // grants a burst of 3, then one every 50 ms: any 25 consecutive sends span at least 1,100 ms
    // at the limiter; the records come after the SMTP reply, so allow 100 ms of jitter.
    const at = (await p.app.campaigns.deliveries(c.id, { state: 'sent', limit: 100 })).map((d) => d.at as number).sort((a, b) => a - b);
    expect(at).toHaveLength(30);
    for (let i = 0; i + 24 < at.length; i++) expect((at[i + 24] as number) - (at[i] as number)).toBeGreaterThanOrEqual(1000);
  });
});
