/**
 * A real `newsdesk worker` process signing on its DKIM thread (DKIM_THREADS=1) with RSA and the
 * Ed25519 second signature: every recipient gets one message, and both signatures of every message
 * pass mailauth's verifier.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { outcomes, verifyDkim } from '../support/dkim.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const domain = 'news.example.com';
const pem = (k: typeof rsa.privateKey) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('DKIM in a worker process', () => {
  let p: Pipeline | undefined;
  let w: WorkerProcess | undefined;
  afterEach(async () => {
    await w?.kill('SIGKILL');
    await p?.close();
  });

  it('signs every message on its thread, RSA and Ed25519, each sent once', async () => {
    p = await startPipeline({
      workers: false,
      env: {
        DKIM_DOMAIN: domain,
        DKIM_SELECTOR: 'nd',
        DKIM_PRIVATE_KEY: pem(rsa.privateKey),
        DKIM_ED25519_SELECTOR: 'nd-ed',
        DKIM_ED25519_PRIVATE_KEY: pem(ed.privateKey),
        DKIM_THREADS: '1',
      },
    });
    const n = 40;
    await p.addSubscribers('daily', n);
    const c = await p.createCampaign(['daily']);
    w = spawnWorker(p.env, ['--exit-when-idle']);
    expect(await w.exited).toBe(0);
    const done = await p.waitForStatus(c.id, 'sent');
    expect(done.counts).toMatchObject({ sent: n, failed: 0 });
    const received = p.received();
    expect(received.size).toBe(n);
    expect([...received.values()].every((x) => x === 1)).toBe(true);
    const keys = [
      { publicKey: rsa.publicKey, selector: 'nd', domain },
      { publicKey: ed.publicKey, selector: 'nd-ed', domain },
    ];
    for (const m of p.smtp.messages) expect(outcomes(await verifyDkim(m.raw, keys))).toEqual([['pass', 'rsa-sha256'], ['pass', 'ed25519-sha256']]);
  }, 60_000);
});
