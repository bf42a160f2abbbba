/**
 * The campaign report over the real pipeline: counts from clicks, opens and unsubscribes made
 * through HTTP, read back by the API and by `newsdesk campaign report --json`, in exactly the
 * documented shape.
 */
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { form, type HttpHarness, startHttp } from '../support/http.ts';
import { compiledExampleEdition } from '../support/pipeline.ts';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';
let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('campaign report', () => {
  it('counts clicks per link (human and machine apart), opens and unsubscribes by way, in the documented shape', async () => {
    h = await startHttp({ workers: true, env: { TRACKING_SCANNER_WINDOW_SECONDS: '0' } });
    await h.addSubscribers('daily', 3);
    const { compiled, newsletter, subject } = await compiledExampleEdition();
    const campaign = await h.app.service.create({ compiled, newsletter: { ...newsletter, tracking: { clicks: 'aggregate', opens: 'on' } }, subject, lists: ['daily'], again: true, confirmDate: true });
    await h.waitForStatus(campaign.id, 'sent');
    const mails = await Promise.all(h.smtp.messages.map((m) => simpleParser(m.raw)));
    const html = String(mails[0]?.html);
    const paths = [...new Set([...html.matchAll(/https:\/\/news\.example\.com(\/c\/[^"]+)"/g)].map((m) => m[1] as string))];
    const open = /https:\/\/news\.example\.com(\/o\/[^"]+)"/.exec(html)?.[1] as string;
    const { tracking } = await h.app.campaigns.content(campaign.id);
    const linkOf = (path: string) => h?.app.clicks.readLink(path.slice(3))?.link as number;
    const server = h.server;

    // Two people click the first story; a scanner HEADs it; one person clicks the sponsor.
    const first = paths[1] as string;
    const sponsor = paths.find((p) => tracking?.links[linkOf(p)]?.section === 'sponsor') as string;
    for (const ua of [BROWSER, BROWSER]) expect((await server.inject({ url: first, headers: { 'user-agent': ua } })).statusCode).toBe(302);
    expect((await server.inject({ method: 'HEAD', url: first, headers: { 'user-agent': BROWSER } })).statusCode).toBe(302);
    expect((await server.inject({ url: sponsor, headers: { 'user-agent': BROWSER } })).statusCode).toBe(302);
    // One open by a person, one by Apple's proxy.
    const pixel = await server.inject({ url: open, headers: { 'user-agent': BROWSER } });
    expect(pixel.headers['content-type']).toBe('image/gif');
    await server.inject({ url: open, headers: { 'user-agent': 'Mozilla/5.0' }, remoteAddress: '17.58.63.11' });
    // One reader unsubscribes with one click, another on the page; a repeat counts nothing.
    const unsub = (i: number) => /https:\/\/news\.example\.com(\/u\/[^"]+)"/.exec(String(mails[i]?.html))?.[1] as string;
    await server.inject({ method: 'POST', url: unsub(0), ...form({ 'List-Unsubscribe': 'One-Click' }) });
    await server.inject({ method: 'POST', url: unsub(0), ...form({ 'List-Unsubscribe': 'One-Click' }) });
    await server.inject({ method: 'POST', url: unsub(1), ...form({ scope: 'lists' }) });

    const token = await h.token();
    const res = await h.api(token, { url: `/api/campaigns/${campaign.id}/report` });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    const byLink = (tracking?.links ?? []).map((l, i) => ({
      url: l.url,
      section: l.section,
      label: l.label,
      human: i === linkOf(first) ? 2 : i === linkOf(sponsor) ? 1 : 0,
      machine: i === linkOf(first) ? 1 : 0,
    }));
    expect(report).toEqual({
      id: campaign.id,
      sent: 3,
      failed: 0,
      skipped: 0,
      bounces: { hard: 0, soft: 0 },
      complaints: 0,
      unsubscribes: { oneClick: 1, mailto: 0, page: 1 },
      clicks: { human: 3, machine: 1, uniqueReaders: null, byLink },
      opens: { human: 1, machine: 1 },
    });

    // What the return path counted for the campaign (its store's counters) shows in the report.
    await h.app.redis.hset(h.app.stores.keys.campaign(campaign.id), { 'ret:hard': 2, 'ret:soft': 3, 'ret:complaint': 1, 'ret:unsubscribe': 4 });
    const withReturns = (await h.api(token, { url: `/api/campaigns/${campaign.id}/report` })).json();
    expect(withReturns).toEqual({ ...report, bounces: { hard: 2, soft: 3 }, complaints: 1, unsubscribes: { oneClick: 1, mailto: 4, page: 1 } });

    const cli = await runNewsdesk(['campaign', 'report', campaign.id, '--json'], { env: { PATH: process.env.PATH, ...h.env } });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(withReturns);
    const text = await runNewsdesk(['campaign', 'report', campaign.id], { env: { PATH: process.env.PATH, ...h.env } });
    expect(text.stdout).toContain('clicks 3 human, 1 machine');
    expect(text.stdout).toContain(tracking?.links[linkOf(sponsor)]?.url);
  });

  it('answers an unknown campaign with 404 and exit 1, and a campaign without tracking with nulls', async () => {
    h = await startHttp({ workers: false });
    await h.addSubscribers('daily', 1);
    const token = await h.token();
    const missing = await h.api(token, { url: '/api/campaigns/daily-2099-01-01-ffffff/report' });
    expect(missing.statusCode).toBe(404);
    const cli = await runNewsdesk(['campaign', 'report', 'daily-2099-01-01-ffffff'], { env: { PATH: process.env.PATH, ...h.env } });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('campaign not found: daily-2099-01-01-ffffff');
    expect(cli.stderr).not.toContain('    at ');

    const { compiled, newsletter, subject } = await compiledExampleEdition();
    const off = await h.app.service.create({ compiled, newsletter: { ...newsletter, tracking: { clicks: 'off', opens: 'off' } }, subject, lists: ['daily'], at: new Date(Date.now() + 3_600_000), again: true, confirmDate: true });
    const report = (await h.api(token, { url: `/api/campaigns/${off.id}/report` })).json();
    expect(report.clicks).toEqual({ human: 0, machine: 0, uniqueReaders: null, byLink: [] });
    expect(report.opens).toBeNull();
  });
});
