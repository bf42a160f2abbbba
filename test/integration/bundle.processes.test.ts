/**
 * The build users run: after the suite's global setup (as after `npm ci`), `dist/` is current, and
 * a `newsdesk worker` started the way operators start it runs the bundle, its DKIM thread too;
 * NEWSDESK_FROM_SOURCE=1 runs the TypeScript sources instead. Both send a signed campaign.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { currentBuild } from '../../bin/build-check.js';
import { repoPath } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

let p: Pipeline | undefined;
let w: WorkerProcess | undefined;
afterEach(async () => {
  await w?.kill('SIGKILL');
  await p?.close();
  p = undefined;
});

const startedLine = (out: string) => out.split('\n').find((l) => l.includes('"worker started"'));

it('dist/ is current for this checkout', () => {
  const built = currentBuild(repoPath(''), 'main', {});
  expect(built?.pathname).toBe(repoPath('dist/main.js'));
});

it.each<{ code: string; env: Record<string, string> }>([
  { code: 'dist', env: {} },
  { code: 'source', env: { NEWSDESK_FROM_SOURCE: '1' } },
])('a worker runs the $code code and sends a DKIM-signed campaign from its signing thread', async ({ code, env }) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  p = await startPipeline({
    workers: false,
    env: { DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 'nd1', DKIM_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), DKIM_THREADS: '1', ...env },
  });
  await p.addSubscribers('daily', 5);
  const c = await p.createCampaign(['daily']);
  w = spawnWorker(p.env, ['--exit-when-idle']);
  expect(await w.exited).toBe(0);
  expect((await p.waitForStatus(c.id, 'sent')).counts).toMatchObject({ sent: 5, failed: 0 });
  expect(JSON.parse(startedLine(w.output()) ?? '{}')).toMatchObject({ code });
  const messages = p.smtp.messages;
  expect(messages).toHaveLength(5);
  for (const m of messages) expect(m.raw.toString('latin1')).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256;/);
}, 60_000);
