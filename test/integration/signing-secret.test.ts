/**
 * The development key never signs links for real readers. Every command that mails or serves
 * readers refuses to start without NEWSDESK_SECRET when SMTP_URL is set or PUBLIC_URL is not on
 * loopback, so a link forged with the (public) development key can never work against them; with
 * a secret of its own, such a forged unsubscribe is a 404 and the reader stays subscribed.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_SECRET } from '../../src/config.ts';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { runNewsdesk } from '../support/cli.ts';
import { repoPath } from '../support/editions.ts';
import { form, type HttpHarness, startHttp } from '../support/http.ts';
import { snapshot } from '../support/store-fixtures.ts';

const EXAMPLE = repoPath('examples/editions/2025-02-13.yaml');

let h: HttpHarness;
let readerId: number;
beforeAll(async () => {
  h = await startHttp();
  [readerId] = (await h.addSubscribers('daily', 1)) as [number];
});
afterAll(async () => h?.close());

/** The pipeline's environment, with its secret taken away and `env` added. */
const withoutSecret = (env: Record<string, string>): Record<string, string> => {
  const { NEWSDESK_SECRET: _secret, ...rest } = h.env;
  return { PATH: process.env.PATH ?? '', ...rest, LOG_LEVEL: 'warn', ...env };
};

describe('commands that mail or serve readers, without NEWSDESK_SECRET', () => {
  const commands: [string, string[]][] = [
    ['worker', ['worker', '--exit-when-idle']],
    ['serve', ['serve', '--port', '0', '--host', '127.0.0.1']],
    ['campaign create', ['campaign', 'create', EXAMPLE, '--list', 'daily']],
    ['campaign test', ['campaign', 'test', 'any-campaign', '--to', 'editor@example.com']],
    // The demo starts the workers too: with SMTP_URL set they mail whatever campaign is queued.
    ['demo', ['demo', '--subscribers', '1']],
  ];
  // SMTP_URL to a real server, or a public PUBLIC_URL, whatever NODE_ENV says.
  const setups: [string, Record<string, string>][] = [
    ['SMTP_URL set, NODE_ENV=development', { NODE_ENV: 'development' }],
    ['SMTP_URL set, NODE_ENV unset', {}],
  ];

  for (const [name, args] of commands) {
    for (const [setup, env] of setups) {
      it(`${name} refuses to start (${setup}), changing nothing`, async () => {
        const before = await snapshot(h.app.redis, h.t.prefix);
        const r = await runNewsdesk(args, { env: withoutSecret(env) });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^error: newsdesk ${name} refuses to start without NEWSDESK_SECRET: SMTP_URL is set`));
        expect(r.stderr).toContain('newsdesk secret generate');
        expect(await snapshot(h.app.redis, h.t.prefix)).toEqual(before);
      });
    }
  }

  it('serve refuses with the dev outbox too when PUBLIC_URL is public', async () => {
    const { SMTP_URL: _smtp, ...env } = withoutSecret({});
    const r = await runNewsdesk(['serve', '--port', '0', '--host', '127.0.0.1'], { env: { ...env, PUBLIC_URL: 'https://news.example.com' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refuses to start without NEWSDESK_SECRET: PUBLIC_URL \(https:\/\/news\.example\.com\) is not on loopback/);
  });

  it('serve refuses with the dev outbox on loopback too when told to listen beyond loopback', async () => {
    const { SMTP_URL: _smtp, PUBLIC_URL: _public, ...env } = withoutSecret({});
    const r = await runNewsdesk(['serve', '--port', '0', '--host', '0.0.0.0'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: newsdesk serve refuses to start without NEWSDESK_SECRET: it would listen on 0\.0\.0\.0/);
  });

  it('every command refuses NEWSDESK_SECRET set to the development key', async () => {
    const r = await runNewsdesk(['lists', 'ls'], { env: withoutSecret({ NEWSDESK_SECRET: DEV_SECRET }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/NEWSDESK_SECRET: is the public development key/);
  });
});

describe('newsdesk demo without NEWSDESK_SECRET', () => {
  it('runs on the dev outbox on loopback, the README\'s first command, and says it uses the development key', async () => {
    const outbox = await mkdtemp(join(tmpdir(), 'newsdesk-demo-outbox-'));
    try {
      // Embedded defaults but for Redis's prefix and the outbox's folder: no SMTP_URL, PUBLIC_URL on localhost.
      const { SMTP_URL: _smtp, PUBLIC_URL: _public, ...env } = withoutSecret({});
      const r = await runNewsdesk(['demo', '--subscribers', '2', '--json'], { env: { ...env, OUTBOX_DIR: outbox } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('warning: newsdesk demo: links are signed with the public development key');
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'sent', counts: { sent: 2 }, mail: { kind: 'outbox' } });
      expect((await readdir(outbox)).filter((f) => f.endsWith('.eml'))).toHaveLength(2);
    } finally {
      await rm(outbox, { recursive: true, force: true });
    }
  }, 120_000); // a child process that starts the workers and sends, on a shared machine
});

describe('a link forged with the development key', () => {
  it('is a 404 for a server with its own secret, and unsubscribes no one', async () => {
    const forged = signLinkToken({ subscriberId: readerId, purpose: 'unsubscribe', scope: { kind: 'list', id: 'daily' } }, DEV_SECRET);
    const res = await h.server.inject({ method: 'POST', url: `/u/${forged}`, ...form({ scope: 'all' }) });
    expect(res.statusCode).toBe(404);
    expect((await h.app.stores.subscribers.get(readerId))?.status).toBe('active');
    expect(await h.app.stores.suppression.isSuppressed('reader1@example.org')).toBe(false);
    // The same link signed with the server's own key works, so the 404 is the key's doing.
    const genuine = signLinkToken({ subscriberId: readerId, purpose: 'unsubscribe', scope: { kind: 'list', id: 'daily' } }, h.app.config.secrets[0] as string);
    expect((await h.server.inject({ method: 'POST', url: `/u/${genuine}`, ...form({ scope: 'all' }) })).statusCode).toBe(200);
  });
});

describe('newsdesk secret generate', () => {
  it('prints a strong secret that NEWSDESK_SECRET accepts', async () => {
    const r = await runNewsdesk(['secret', 'generate'], { env: { PATH: process.env.PATH ?? '' } });
    expect(r.code).toBe(0);
    const secret = r.stdout.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ok = await runNewsdesk(['lists', 'ls'], { env: withoutSecret({ NEWSDESK_SECRET: secret }) });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});
