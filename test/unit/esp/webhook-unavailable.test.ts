/** When the return-path service cannot store (Redis away): 503 so the provider retries, and the retry passes. */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ReturnEvent, ReturnEventSink } from '../../../src/domain/return-event.ts';
import { webhookRoutes } from '../../../src/http/webhooks/webhooks.plugin.ts';
import type { WebhookReplayStore } from '../../../src/store/webhook-replay.store.ts';
import { mailgunSignature } from '../../support/esp-signing.ts';

const KEY = 'key-test-0123456789abcdef0123456789';

/** Replay memory in a Set: the store's contract without Redis. */
function memoryReplay(): WebhookReplayStore & { held: Set<string> } {
  const held = new Set<string>();
  return {
    held,
    async claim(provider, token) {
      const k = `${provider}:${token}`;
      if (held.has(k)) return false;
      held.add(k);
      return true;
    },
    async release(provider, token) {
      held.delete(`${provider}:${token}`);
    },
  };
}

describe('webhooks while the store is away', () => {
  it('answers 503, forgets the Mailgun token, and the provider\'s retry of the same request is processed', async () => {
    let storeUp = false;
    const accepted: ReturnEvent[] = [];
    const sink: ReturnEventSink = {
      async accept(event) {
        if (!storeUp) throw new Error('Connection is closed.');
        accepted.push(event);
        return 'applied';
      },
    };
    const replay = memoryReplay();
    const server = Fastify();
    await server.register(webhookRoutes, {
      settings: { ses: undefined, postmark: undefined, sendgrid: undefined, mailgun: { signingKey: KEY } },
      sink,
      replay,
      logger: { info() {}, warn() {}, error() {} },
    });
    const w = JSON.parse(readFileSync(new URL('../../fixtures/esp/mailgun-complained.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    w.signature = mailgunSignature(KEY, Math.floor(Date.now() / 1000));
    const post = () => server.inject({ method: 'POST', url: '/webhooks/mailgun', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(w) });

    const down = await post();
    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe('unavailable');
    expect(replay.held.size).toBe(0);
    expect(accepted).toHaveLength(0);

    storeUp = true;
    const retry = await post();
    expect(retry.statusCode, retry.body).toBe(200);
    expect(accepted.map((e) => [e.source, e.kind])).toEqual([['mailgun', 'complaint']]);
    expect(replay.held.size).toBe(1);
    await server.close();
  });
});
