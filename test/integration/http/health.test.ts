/** /healthz and /metrics: Redis-derived gauges, and the SMTP counters of a sending process. */
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpTransport } from '../../../src/mail/smtp.transport.ts';
import { buildConfirmationEmail } from '../../../src/http/subscriber/confirmation-email.ts';
import { createSendMetrics } from '../../../src/http/metrics.ts';
import { dailyNewsletter } from '../../support/editions.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import { startTestSmtpServer } from '../../support/smtp-server.ts';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The value of one series in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('reports campaign progress, queue depths and list sizes from Redis, and this process\'s SMTP sends', async () => {
    const send = createSendMetrics();
    h = await startHttp({ workers: true, server: { sendMetrics: send } });
    await h.addSubscribers('daily', 5);
    const token = await h.token();
    const campaign = await h.createCampaign(['daily']);
    await h.waitForStatus(campaign.id, 'sent');

    const res = await h.api(token, { url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(sample(text, `newsdesk_campaign_messages{campaign="${campaign.id}",state="sent"}`)).toBe(5);
    expect(sample(text, `newsdesk_campaign_messages{campaign="${campaign.id}",state="pending"}`)).toBe(0);
    expect(sample(text, `newsdesk_campaign_progress_ratio{campaign="${campaign.id}",status="sent"}`)).toBe(1);
    expect(sample(text, 'newsdesk_queue_jobs{queue="send",state="waiting"}')).toBe(0);
    expect(sample(text, 'newsdesk_list_members{list="daily"}')).toBe(5);
    expect(sample(text, 'newsdesk_suppressed_addresses')).toBe(0);
    expect(text).toContain('# HELP newsdesk_smtp_sends_total');
    expect(text).toMatch(/# HELP newsdesk_campaign_messages .*Read from the campaign counters in Redis/);
  });

  it('counts sends by result and reply code, and times them', async () => {
    const smtp = await startTestSmtpServer({
      reply: (e) => (e.stage === 'rcpt' && e.to[0]?.startsWith('gone') ? { code: 550, message: '5.1.1 no such user' } : undefined),
    });
    const send = createSendMetrics();
    const inner = createSmtpTransport({ url: smtp.url });
    const transport = send.wrap({ ...inner, target: { kind: 'smtp', server: smtp.url } });
    try {
      const message = (to: string) =>
        buildConfirmationEmail({ newsletter: dailyNewsletter(), listName: 'Daily', to, confirmUrl: 'https://news.example.com/confirm/x' });
      expect((await transport.send(message('ok@example.org'))).status).toBe('sent');
      expect((await transport.send(message('gone@example.org'))).status).toBe('failed');
      const text = await send.registry.metrics();
      expect(sample(text, 'newsdesk_smtp_sends_total{result="sent",code="250"}')).toBe(1);
      expect(sample(text, 'newsdesk_smtp_sends_total{result="permanent",code="550"}')).toBe(1);
      expect(sample(text, 'newsdesk_smtp_send_seconds_count{result="sent"}')).toBe(1);
    } finally {
      await inner.close();
      await smtp.close();
    }
  });
});

describe('/healthz', () => {
  it('says 503 when Redis does not answer', async () => {
    h = await startHttp();
    expect((await h.server.inject({ url: '/healthz' })).statusCode).toBe(200);
    h.app.redis.disconnect();
    const res = await h.server.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', redis: 'down' });
    await h.app.redis.connect();
  });
});
