/**
 * Tracked links end to end: a campaign sent through the real pipeline, its messages parsed, their
 * links followed through `inject`, the counts read back from Redis.
 */
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import type { Campaign } from '../../../src/domain/campaign.schema.ts';
import { signLinkToken, signReaderMark } from '../../../src/domain/click-token.ts';
import type { TrackingSettings } from '../../../src/domain/tracking.schema.ts';
import { compiledExampleEdition } from '../../support/pipeline.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac';
const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function sendCampaign(tracking: Partial<TrackingSettings>, env: Record<string, string> = {}, readers = 3) {
  h = await startHttp({ workers: true, env: { TRACKING_SCANNER_WINDOW_SECONDS: '0', ...env } });
  await h.addSubscribers('daily', readers);
  const { compiled, newsletter, subject } = await compiledExampleEdition();
  const campaign = await h.app.service.create({
    compiled,
    newsletter: { ...newsletter, tracking: { clicks: 'aggregate', opens: 'off', ...tracking } },
    subject,
    lists: ['daily'],
    // The example edition is dated 2025-02-13 and sent many times: on purpose.
    again: true,
    confirmDate: true,
  });
  await h.waitForStatus(campaign.id, 'sent');
  const mails = await Promise.all(h.smtp.messages.map((m) => simpleParser(m.raw)));
  return { campaign, mails, harness: h };
}

const clickPaths = (s: string) => [...s.matchAll(/https:\/\/news\.example\.com(\/c\/[A-Za-z0-9._-]+)/g)].map((m) => m[1] as string);

const click = (harness: HttpHarness, url: string, headers: Record<string, string> = { 'user-agent': BROWSER }, method: 'GET' | 'HEAD' = 'GET') =>
  harness.server.inject({ method, url, headers, remoteAddress: '198.51.100.7' });

async function report(harness: HttpHarness, campaign: Campaign) {
  const content = await harness.app.campaigns.content(campaign.id);
  return harness.app.clickStore.counts(campaign.id, content.tracking?.links.length ?? 0);
}

describe('tracked links', () => {
  it('aggregate: both parts carry /c/ links that answer 302 to the original URL exactly, counted per link', async () => {
    const { campaign, mails, harness } = await sendCampaign({});
    const html = String(mails[0]?.html);
    const text = String(mails[0]?.text);
    const paths = clickPaths(html);
    expect(paths.length).toBeGreaterThan(5);
    expect(clickPaths(text).length).toBeGreaterThan(5);
    // Every copy carries the same tracked links: nothing in them names the reader.
    expect(clickPaths(String(mails[1]?.html))).toEqual(paths);

    const { tracking } = await harness.app.campaigns.content(campaign.id);
    const unique = [...new Set(paths)];
    for (const path of unique) {
      const res = await click(harness, path);
      expect(res.statusCode).toBe(302);
      const n = harness.app.clicks.readLink(path.slice(3))?.link as number;
      expect(res.headers.location).toBe(tracking?.links[n]?.url);
    }
    const counts = await report(harness, campaign);
    expect(counts.byLink.reduce((s, l) => s + l.human, 0)).toBe(unique.length);
    expect(counts.byLink.reduce((s, l) => s + l.machine, 0)).toBe(0);
  });

  it('keeps query and fragment, adds UTM only when asked, never twice', async () => {
    const { campaign, harness } = await sendCampaign({ utm: { source: 'newsdesk', medium: 'email', campaign: '{campaign}' } }, {}, 1);
    const { tracking } = await harness.app.campaigns.content(campaign.id);
    const n = tracking?.links.findIndex((l) => l.track) as number;
    const res = await click(harness, `/c/${signLinkToken(campaign.id, n, SECRET)}`);
    expect(res.headers.location).toBe(`${tracking?.links[n]?.url}?utm_source=newsdesk&utm_medium=email&utm_campaign=${campaign.id}`);
  });

  it('refuses forged, altered, over-long and unknown tokens with a 404 and counts nothing', async () => {
    const { campaign, harness } = await sendCampaign({}, {}, 1);
    const good = signLinkToken(campaign.id, 1, SECRET);
    const bad = [
      signLinkToken(campaign.id, 1, 'another-secret-that-is-long-enough-for-hmac'),
      `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`,
      good.replace(`.1.`, '.2.'),
      signLinkToken(campaign.id, 999, SECRET),
      `${good}${'x'.repeat(150)}`,
      `${good}${'.a'.repeat(300)}`,
      signLinkToken('daily-2099-01-01-ffffff', 0, SECRET),
    ];
    for (const token of bad) {
      const res = await click(harness, `/c/${token}`);
      expect(res.statusCode, token).toBe(404);
      expect(res.headers.location).toBeUndefined();
    }
    const counts = await report(harness, campaign);
    expect(counts.byLink.every((l) => l.human === 0 && l.machine === 0)).toBe(true);
  });

  it('refuses to redirect to a stored address that is not http(s)', async () => {
    const { campaign, harness } = await sendCampaign({}, {}, 1);
    // Someone with write access to Redis put a javascript: link into the campaign's table.
    const key = harness.app.stores.keys.campaignContent(campaign.id);
    const content = JSON.parse((await harness.app.redis.get(key)) as string);
    content.tracking.links[0].url = 'javascript:alert(document.cookie)';
    await harness.app.redis.set(key, JSON.stringify(content));
    const res = await click(harness, `/c/${signLinkToken(campaign.id, 0, SECRET)}`);
    expect(res.statusCode).toBe(404);
    expect(res.headers.location).toBeUndefined();
  });

  it('per-reader: each copy names its reader; a token with a reader mark of someone else fails', async () => {
    const { campaign, mails, harness } = await sendCampaign({ clicks: 'per-reader' }, {}, 2);
    const a = clickPaths(String(mails[0]?.html));
    const b = clickPaths(String(mails[1]?.html));
    expect(a).not.toEqual(b);
    const readers = new Set([...a, ...b].map((p) => harness.app.clicks.readLink(p.slice(3))?.subscriberId));
    expect(readers.size).toBe(2);
    expect((await click(harness, a[0] as string)).statusCode).toBe(302);
    const [link] = (a[0] as string).slice(3).split('.').slice(0, 3);
    const stolen = `/c/${(a[0] as string).slice(3).split('.').slice(0, 3).join('.')}${signReaderMark(campaign.id, 99, 'another-secret-that-is-long-enough-for-hmac')}`;
    expect(link).toBeTruthy();
    expect((await click(harness, stolen)).statusCode).toBe(404);
    const counts = await report(harness, campaign);
    expect(counts.readers).toBe(1);
  });
});
