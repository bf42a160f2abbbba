/**
 * The reputation breaker: a campaign still sending pauses itself once its hard-bounce rate
 * passes its newsletter's limit, says why on its status, and stays resumable by an editor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReturnMail } from '../../src/mail/return-mail.ts';
import { runNewsdesk } from '../support/cli.ts';
import { compiledExampleEdition, startPipeline, type Pipeline } from '../support/pipeline.ts';
import { bounceSample } from '../support/return-mail.ts';

let p: Pipeline;
beforeAll(async () => {
  // Readers 21 and up get a 451 and a long backoff: the campaign stays `sending` while the first 20 are out.
  p = await startPipeline({
    env: { SEND_BACKOFF_MS: '600000' },
    smtp: { reply: (e) => (e.stage === 'rcpt' && Number(/^reader(\d+)@/.exec(e.to[0] ?? '')?.[1]) > 20 ? { code: 451, message: '4.3.0 try later' } : undefined) },
  });
}, 180_000);
afterAll(async () => {
  await p?.close();
});

async function hardBounce(mailFrom: string): Promise<string> {
  const { event } = await readReturnMail(bounceSample('rb-sisimai__postfix-14.eml'), { source: 'smtp', rcpt: mailFrom, feedbackAddresses: [] });
  return p.app.returnPath.accept(event);
}

describe('the reputation breaker', () => {
  it('pauses a sending campaign when its hard-bounce rate passes the limit, with the reason on its status; once', async () => {
    await p.addSubscribers('big', 30);
    const { compiled, newsletter, subject } = await compiledExampleEdition();
    const campaign = await p.app.service.create({
      compiled,
      newsletter: { ...newsletter, returnLimits: { minMessages: 20, hardBounceRate: 0.05 } },
      subject,
      lists: ['big'],
    });
    await p.waitFor(campaign.id, (c) => c.counts.sent >= 20);
    const senders = p.smtp.messages.map((m) => m.from);
    expect(senders).toHaveLength(20);

    // 1 of 20 is 5 %: not past the limit.
    expect(await hardBounce(senders[0] as string)).toBe('applied');
    expect((await p.app.campaigns.get(campaign.id)).status).toBe('sending');
    // 2 of 20 is 10 %.
    expect(await hardBounce(senders[1] as string)).toBe('applied');
    const paused = await p.app.campaigns.get(campaign.id);
    expect(paused.status).toBe('paused');

    const report = await p.app.service.status(campaign.id, { failures: 0 });
    expect(report.returns).toMatchObject({ hardBounces: 2, hardBounceRate: 0.1 });
    expect(report.returns.breaker).toMatch(/^hard-bounce rate 10\.0 % passed 5\.0 % after 20 messages$/);

    const cli = await runNewsdesk(['campaign', 'status', campaign.id], { env: { ...process.env, ...p.env } });
    expect(cli.stdout).toMatch(/returns {4}2 hard bounces \(10\.0 %\)/);
    expect(cli.stdout).toMatch(/paused by {2}the reputation breaker: hard-bounce rate 10\.0 %/);

    // An editor resumes: a further bounce does not pause it again.
    await p.app.service.resume(campaign.id);
    expect(await hardBounce(senders[2] as string)).toBe('applied');
    expect((await p.app.campaigns.get(campaign.id)).status).toBe('sending');
    await p.app.service.cancel(campaign.id);
  }, 180_000);
});
