/**
 * Privacy as a reader would expect it: aggregate tracking writes no identity anywhere on a click
 * or open, and an erasure leaves nothing that names the reader but a hash that keeps the address
 * unmailable.
 */
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { erasedSuppressionField } from '../../src/domain/suppression.schema.ts';
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import { runNewsdesk } from '../support/cli.ts';
import { type HttpHarness, startHttp } from '../support/http.ts';
import { compiledExampleEdition } from '../support/pipeline.ts';
import { changedKeys, dumpKeys } from '../support/redis-dump.ts';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';
let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function sent(clicks: 'aggregate' | 'per-reader') {
  h = await startHttp({ workers: true, env: { TRACKING_SCANNER_WINDOW_SECONDS: '0' } });
  await h.addSubscribers('daily', 3);
  const { compiled, newsletter, subject } = await compiledExampleEdition();
  const campaign = await h.app.service.create({ compiled, newsletter: { ...newsletter, tracking: { clicks, opens: 'on' } }, subject, lists: ['daily'], again: true, confirmDate: true });
  await h.waitForStatus(campaign.id, 'sent');
  const mails = await Promise.all(h.smtp.messages.map(async (m) => ({ to: m.to[0] as string, mail: await simpleParser(m.raw) })));
  return { harness: h, campaign, mails };
}

const paths = (html: string, kind: 'c' | 'o') => [...new Set([...html.matchAll(new RegExp(`https://news\\.example\\.com(/${kind}/[^"]+)"`, 'g'))].map((m) => m[1] as string))];

describe('privacy', () => {
  it('aggregate: clicks and opens write counters only — no reader, address, IP or User-Agent anywhere', async () => {
    const { harness, campaign, mails } = await sent('aggregate');
    const before = await dumpKeys(harness.app.redis, harness.t.prefix);
    for (const [i, { mail }] of mails.entries()) {
      const html = String(mail.html);
      for (const p of [...paths(html, 'c').slice(0, 3), ...paths(html, 'o')]) {
        const res = await harness.server.inject({ url: p, headers: { 'user-agent': `${BROWSER} reader-${i}` }, remoteAddress: `198.51.100.${10 + i}` });
        expect(res.statusCode).toBeLessThan(400);
      }
    }
    const after = await dumpKeys(harness.app.redis, harness.t.prefix);
    const changed = changedKeys(before, after);
    const keys = harness.app.stores.keys;
    expect(changed.sort()).toEqual([keys.campaignClicks(campaign.id), keys.campaignClickHours(campaign.id)].sort());
    const clicks = await harness.app.redis.hgetall(keys.campaignClicks(campaign.id));
    for (const [field, value] of Object.entries(clicks)) {
      expect(field).toMatch(/^[hm]:(l\d+|o)$/);
      expect(value).toMatch(/^\d+$/);
    }
    const hours = await harness.app.redis.hgetall(keys.campaignClickHours(campaign.id));
    for (const field of Object.keys(hours)) expect(field).toMatch(/^[co]:\d+$/);
    for (const key of changed) {
      const text = after.get(key) as string;
      for (const { to } of mails) expect(text).not.toContain(to);
      expect(text).not.toContain('198.51.100');
      expect(text).not.toContain('reader-');
    }
  });

  it('erase: the reader is gone from every key and value, the address stays unmailable by its hash; data export came first', async () => {
    const { harness, campaign, mails } = await sent('per-reader');
    const { to, mail } = mails[0] as { to: string; mail: Awaited<ReturnType<typeof simpleParser>> };
    for (const p of [...paths(String(mail.html), 'c').slice(0, 2), ...paths(String(mail.html), 'o')]) await harness.server.inject({ url: p, headers: { 'user-agent': BROWSER } });

    const token = await harness.token();
    const data = (await harness.api(token, { url: `/api/subscribers/data?email=${encodeURIComponent(to)}` })).json();
    expect(data.subscriber.email).toBe(to);
    expect(data.lists.member).toEqual(['daily']);
    expect(data.deliveries).toEqual([expect.objectContaining({ campaignId: campaign.id, state: 'sent', messageId: expect.stringContaining(campaign.id) })]);
    expect(data.clicks).toEqual([{ campaignId: campaign.id, events: expect.arrayContaining([expect.objectContaining({ what: 'open', class: 'human' }), expect.objectContaining({ what: expect.stringMatching(/^click on link \d+$/) })]) }]);
    const cli = await runNewsdesk(['subscribers', 'data', to], { env: { PATH: process.env.PATH, ...harness.env } });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(data);

    const id = data.subscriber.id as number;
    const erased = await harness.api(token, { method: 'POST', url: '/api/subscribers/erase', payload: { email: to } });
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toMatchObject({ subscriberId: id, deliveries: 1 });
    // Both the hand-over and the erasure are in the audit log, by subscriber id, never the address.
    const audited = (await harness.app.stores.audit.list()).filter((e) => e.action.startsWith('subscriber.'));
    expect(audited.map((e) => [e.action, e.target])).toEqual(expect.arrayContaining([['subscriber.export', String(id)], ['subscriber.erase', String(id)]]));

    // Nothing names the reader: not the address, not their click records; the delivery keeps state and time only.
    const dump = await dumpKeys(harness.app.redis, harness.t.prefix);
    for (const [key, value] of dump) {
      expect(value.toLowerCase(), key).not.toContain(to.toLowerCase());
      expect(key).not.toContain(`reader:${id}`);
    }
    const keys = harness.app.stores.keys;
    expect(await harness.app.redis.hget(keys.campaignDeliveries(campaign.id), String(id))).toMatch(/^s\|\d+\|\|erased$/);
    expect(await harness.app.redis.hexists(keys.suppression, erasedSuppressionField(to))).toBe(1);
    // Counters without identity stay.
    const report = await harness.api(token, { url: `/api/campaigns/${campaign.id}/report` });
    expect(report.json().clicks.human).toBeGreaterThan(0);

    // Unmailable: the send check, a re-import and a sign-up all see the hashed suppression.
    expect(await harness.app.stores.suppression.isSuppressed(to.toUpperCase())).toBe(true);
    const [again] = await harness.app.stores.subscribers.joinList('daily', [SubscriberInput.parse({ email: to })], { via: 'import' });
    expect(again?.kind).toBe('suppressed');
    const list = await harness.app.stores.lists.require('daily');
    const signup = await harness.app.stores.subscribers.subscribe({ ...list, doubleOptIn: false }, SubscriberInput.parse({ email: to }));
    expect(signup.kind).not.toBe('subscribed');

    const missing = await runNewsdesk(['subscribers', 'erase', 'nobody@example.org'], { env: { PATH: process.env.PATH, ...harness.env } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('subscriber not found');
  });
});
