/**
 * "Did this reader get it, and what did the server say?": `subscribers show` and the API's
 * subscriber lookup give a reader's deliveries in the newest campaigns, sent through the real
 * pipeline to the loopback SMTP server, with the server's own reply.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../src/http/server.ts';
import { runNewsdesk } from '../support/cli.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

vi.setConfig({ testTimeout: 60_000 });

let p: Pipeline;
let ids: number[];
let first: string;
let second: string;

beforeEach(async () => {
  // reader2 is refused on the second campaign only: one sent and one failed delivery, newest first.
  let campaigns = 0;
  p = await startPipeline({
    smtp: {
      reply: (e) => {
        if (e.stage !== 'rcpt' || e.to[0] !== 'reader2@example.org') return undefined;
        campaigns += 1;
        return campaigns > 1 ? { code: 550, message: '5.1.1 <reader2@example.org>: Recipient address rejected: User unknown' } : undefined;
      },
    },
  });
  ids = await p.addSubscribers('daily', 3);
  first = (await p.createCampaign(['daily'])).id;
  await p.waitForStatus(first, 'sent');
  second = (await p.createCampaign(['daily'])).id;
  await p.waitForStatus(second, 'sent');
});
afterEach(async () => {
  await p.close();
});

describe("a reader's deliveries", () => {
  it('are read from the newest campaigns, newest first, with the reply or reason', async () => {
    const all = await p.app.campaigns.deliveriesOf(ids[1] as number, { campaigns: 10 });
    expect(all).toEqual([
      { campaignId: second, state: 'failed', at: expect.any(String), messageId: null, detail: expect.stringContaining('550 5.1.1 <reader2@example.org>: Recipient address rejected') },
      { campaignId: first, state: 'sent', at: expect.any(String), messageId: `<${first}.${ids[1]}@news.example.com>`, detail: expect.stringMatching(/^250 /) },
    ]);
    expect(await p.app.campaigns.deliveriesOf(ids[1] as number, { campaigns: 1 })).toEqual([all[0]]);
    // Not "every campaign", which ZREVRANGE 0 -1 would be.
    await expect(p.app.campaigns.deliveriesOf(ids[1] as number, { campaigns: 0 })).rejects.toThrow(RangeError);
    // A subscriber who was on no list then has none.
    const [late] = await p.addSubscribers('daily', 1, 10);
    expect(await p.app.campaigns.deliveriesOf(late as number, { campaigns: 10 })).toEqual([]);
  });

  it('show in `newsdesk subscribers show`, as a table and in --json', async () => {
    const env = { PATH: process.env.PATH ?? '', ...p.env };
    const text = await runNewsdesk(['subscribers', 'show', 'reader2@example.org'], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('deliveries in the newest 10 campaigns (all of them: newsdesk subscribers data <email>):\n  CAMPAIGN');
    expect(text.stdout).toMatch(new RegExp(`\\n  ${second}\\s+failed\\s+\\S+Z\\s+550 5\\.1\\.1 <reader2@example\\.org>: Recipient address rejected`));
    expect(text.stdout).toMatch(new RegExp(`\\n  ${first}\\s+sent\\s+\\S+Z\\s+250 `));
    const json = await runNewsdesk(['subscribers', 'show', 'reader2@example.org', '--campaigns', '1', '--json'], { env });
    expect(JSON.parse(json.stdout).deliveries).toEqual([expect.objectContaining({ campaignId: second, state: 'failed' })]);
    const bad = await runNewsdesk(['subscribers', 'show', 'reader2@example.org', '--campaigns', '0'], { env });
    // A usage error, as for every bad option: exit 2, the option named.
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--campaigns <n>' argument '0' is invalid. must be a whole number from 1 to 100");
  });

  it('come with the API lookup, by address and by id; ?campaigns= is checked', async () => {
    const server = buildServer(p.app, { logger: false });
    try {
      const { token } = await p.app.stores.apiTokens.create('desk', { scope: 'read' });
      const get = (url: string) => server.inject({ url, headers: { authorization: `Bearer ${token}` } });
      const byEmail = await get('/api/subscribers?email=reader2@example.org');
      expect(byEmail.statusCode, byEmail.body).toBe(200);
      expect(byEmail.json().deliveries.map((d: { campaignId: string; state: string }) => `${d.campaignId} ${d.state}`)).toEqual([`${second} failed`, `${first} sent`]);
      const byId = await get(`/api/subscribers/${ids[1]}?campaigns=1`);
      expect(byId.json().deliveries).toEqual([expect.objectContaining({ campaignId: second, detail: expect.stringContaining('User unknown') })]);
      const bad = await get(`/api/subscribers/${ids[1]}?campaigns=0`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ problems: [{ path: 'query.campaigns' }] });
    } finally {
      await server.close();
    }
  });
});
