/**
 * `newsdesk worker --metrics-port`: the sending process's own figures, scraped over HTTP from a
 * real worker process while it sends a campaign that meets 421s, and `/healthz` for a liveness probe.
 */
import { afterEach, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

let p: Pipeline | undefined;
let w: WorkerProcess | undefined;
afterEach(async () => {
  await w?.kill('SIGKILL');
  await p?.close();
  p = undefined;
});

/** The value of one series in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

it('reports SMTP replies by class, send latency, batch durations, retries, breaker openings, Redis round trip, heap and RSS; /healthz answers', async () => {
  p = await startPipeline({
    workers: false,
    // Every recipient's first RCPT gets a 421: batches retry, and the breaker opens.
    smtp: { reply: (e) => (e.stage === 'rcpt' && e.attempt === 1 ? { code: 421, message: '4.3.2 try again later' } : undefined) },
    env: { SEND_BATCH_SIZE: '10', SEND_BACKOFF_MS: '50', SEND_ATTEMPTS: '6' },
  });
  await p.addSubscribers('daily', 40);
  w = spawnWorker(p.env, ['--metrics-port', '0']);
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    url = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*worker metrics/.exec(w.output())?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 20));
  }
  expect(url).toBeDefined();

  const c = await p.createCampaign(['daily']);
  await p.waitForStatus(c.id, 'sent', 30_000);
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  expect(sample(text, 'newsdesk_smtp_sends_total{result="sent",code="250"}')).toBe(40);
  expect(sample(text, 'newsdesk_smtp_sends_total{result="transient",code="421"}')).toBe(40);
  expect(sample(text, 'newsdesk_smtp_send_seconds_count{result="sent"}')).toBe(40);
  expect(sample(text, 'newsdesk_send_batch_seconds_count{end="completed"}')).toBe(4);
  expect(sample(text, 'newsdesk_send_batch_retries_total')).toBeGreaterThanOrEqual(4);
  expect(sample(text, 'newsdesk_send_batch_seconds_count{end="retry"}')).toBe(sample(text, 'newsdesk_send_batch_retries_total'));
  expect(sample(text, 'newsdesk_smtp_breaker_opens_total')).toBeGreaterThanOrEqual(1);
  expect(sample(text, 'newsdesk_smtp_settings_pauses_total')).toBe(0);
  expect(sample(text, 'newsdesk_redis_roundtrip_seconds')).toBeGreaterThan(0);
  expect(sample(text, 'newsdesk_process_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  expect(sample(text, 'newsdesk_process_nodejs_heap_size_used_bytes')).toBeGreaterThan(1_000_000);

  const health = await fetch(`${url}/healthz`);
  expect({ status: health.status, body: await health.json() }).toEqual({ status: 200, body: { status: 'ok', redis: 'up' } });
  expect((await fetch(`${url}/admin`)).status).toBe(404);

  w.child.kill('SIGTERM');
  expect(await w.exited).toBe(0);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
}, 60_000);
