/**
 * A relay that refuses to relay mid-campaign is a settings problem: the campaign pauses with one
 * sentence naming SMTP_URL (in `campaign status`, its JSON and the log), no reader is failed or
 * retried into the ground, and a resume after the fix sends everyone exactly once.
 */
import { afterEach, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

it('"Relay access denied" pauses the campaign with the reason; nothing fails; resume sends the rest once', async () => {
  let relaying = true;
  p = await startPipeline({
    smtp: {
      reply: (e) => (e.stage === 'rcpt' && !relaying ? { code: 554, message: `5.7.1 <${e.to[0]}>: Relay access denied` } : undefined),
    },
    env: { SEND_BATCH_SIZE: '10', SEND_ATTEMPTS: '8', SEND_BACKOFF_MS: '50' },
  });
  await p.addSubscribers('daily', 60);
  relaying = false;
  const c = await p.createCampaign(['daily']);
  const paused = await p.waitForStatus(c.id, 'paused');
  expect(paused.pauseReason).toMatch(/^SMTP server smtp:\/\/127\.0\.0\.1:\d+ does not relay mail for newsdesk \(554 5\.7\.1 <reader\d+@example\.org>: Relay access denied\): put a user and password that may relay in SMTP_URL/);
  expect(paused.counts).toMatchObject({ sent: 0, failed: 0 });
  // Refused once per send slot at most, not retried with backoff for every batch.
  expect(p.smtp.rcpts.length).toBeLessThanOrEqual(4);

  const env = { ...process.env, ...p.env };
  const text = await runNewsdesk(['campaign', 'status', c.id], { env });
  expect(text.stdout).toContain(`paused because ${paused.pauseReason}`);
  const json = JSON.parse((await runNewsdesk(['campaign', 'status', c.id, '--json'], { env })).stdout);
  expect(json).toMatchObject({ status: 'paused', pauseReason: paused.pauseReason, failures: [] });

  relaying = true;
  const resumed = await p.app.service.resume(c.id);
  expect(resumed.pauseReason).toBeUndefined();
  const done = await p.waitForStatus(c.id, 'sent');
  expect(done.counts).toEqual({ total: 60, sent: 60, failed: 0, skipped: 0, pending: 0 });
  expect(p.received().size).toBe(60);
  expect([...p.received().values()].filter((n) => n > 1)).toEqual([]);
}, 60_000);
