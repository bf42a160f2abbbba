/**
 * The audit log: an entry for each operator action, with who made it, whichever door it came
 * through (API token, dashboard, CLI); kept for the retention and never more than the cap.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/cli/context.ts';
import type { AuditEntry } from '../../src/domain/audit.schema.ts';
import { createAuditLog } from '../../src/store/audit.store.ts';
import { runNewsdesk } from '../support/cli.ts';
import { EXAMPLE_EDITION_FILE } from '../support/editions.ts';
import { dashboard, type HttpHarness, startHttp } from '../support/http.ts';
import { useTestRedis } from '../support/redis.ts';

const PASSWORD = 'correct horse battery staple';
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

let h: HttpHarness;
beforeAll(async () => {
  h = await startHttp({ env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD } });
});
afterAll(async () => h?.close());

/** The entries recorded while `fn` ran. */
async function recorded(fn: () => Promise<unknown>): Promise<Omit<AuditEntry, 'at'>[]> {
  const before = (await h.app.stores.audit.list()).length;
  await fn();
  return (await h.app.stores.audit.list()).slice(before).map(({ at: _at, ...e }) => e);
}

/** Puts a scheduled campaign into `sending`, as the fan-out would, so it can be paused. */
const startSending = async (id: string) => h.app.campaigns.transition(id, ['scheduled'], 'sending');

describe('through the API', () => {
  it('records campaign, list, import and unsubscribe actions with the token name', async () => {
    const token = await h.token('ada', 'editor');
    const api = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>) =>
      h.api(token, { method, url, ...(payload === undefined ? {} : { payload: payload as string }), ...(headers ? { headers } : {}) }).then((r) => {
        expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
        return r;
      });
    const entries = await recorded(async () => {
      await api('POST', '/api/lists', { id: 'daily', name: 'Daily', newsletter: 'daily' });
      await api('PATCH', '/api/lists/daily', { name: 'The Daily' });
      await api('PATCH', '/api/lists/daily', { public: true });
      await api('PATCH', '/api/lists/daily', { public: false });
      await api('POST', '/api/lists/daily/import', 'email\nr1@example.org\nr2@example.org\n', { 'content-type': 'text/csv' });
      const added = await api('POST', '/api/lists/daily/subscribers', { email: 'r3@example.org' });
      const id = (added.json() as { id: number }).id;
      await api('DELETE', `/api/lists/daily/subscribers/${id}`);
      await api('POST', `/api/subscribers/${id}/unsubscribe`, {});
      const campaign = (await api('POST', '/api/campaigns', { edition: readFileSync(EXAMPLE_EDITION_FILE, 'utf8'), lists: ['daily'], at: inAnHour() })).json() as { id: string };
      await api('POST', `/api/campaigns/${campaign.id}/reschedule`, { at: inAnHour() });
      await api('POST', `/api/campaigns/${campaign.id}/test`, { to: 'editor@example.com' });
      await startSending(campaign.id);
      await api('POST', `/api/campaigns/${campaign.id}/pause`);
      await api('POST', `/api/campaigns/${campaign.id}/resume`);
      await api('POST', `/api/campaigns/${campaign.id}/cancel`);
      await api('POST', '/api/lists', { id: 'gone', name: 'Gone' });
      await api('DELETE', '/api/lists/gone');
    });
    expect(entries.every((e) => e.actor === 'api:ada')).toBe(true);
    expect(entries.map((e) => `${e.action} ${e.target ?? ''}`.trim())).toEqual([
      'list.create daily',
      'list.rename daily',
      'list.publish daily',
      'list.unpublish daily',
      'list.import daily',
      expect.stringMatching(/^subscriber\.add \d+$/),
      expect.stringMatching(/^subscriber\.remove \d+$/),
      expect.stringMatching(/^subscriber\.unsubscribe \d+$/),
      expect.stringMatching(/^campaign\.create /),
      expect.stringMatching(/^campaign\.reschedule /),
      expect.stringMatching(/^campaign\.test /),
      expect.stringMatching(/^campaign\.pause /),
      expect.stringMatching(/^campaign\.resume /),
      expect.stringMatching(/^campaign\.cancel /),
      'list.create gone',
      'list.delete gone',
    ]);
    expect(entries[4]?.detail).toMatchObject({ rows: 2, added: 2 });
    // No reader's address in the log.
    expect(JSON.stringify(entries)).not.toMatch(/r\d@example\.org/);
  });

  it('records nothing for a refused action', async () => {
    const token = await h.token('reader', 'read');
    const entries = await recorded(() => h.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'nope', name: 'Nope' } }));
    expect(entries).toEqual([]);
  });
});

describe('through the dashboard', () => {
  it('records campaign actions as dashboard:<who>', async () => {
    await h.addSubscribers('dash', 1);
    const campaign = await h.createCampaign(['dash'], new Date(Date.now() + 3600_000));
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const page = `/admin/campaigns/${campaign.id}`;
    const entries = await recorded(async () => {
      expect((await d.post(`${page}/reschedule`, { at: inAnHour() }, { from: page })).statusCode).toBe(303);
      await startSending(campaign.id);
      expect((await d.post(`${page}/pause`, {}, { from: page })).statusCode).toBe(303);
      expect((await d.post(`${page}/resume`, {}, { from: page })).statusCode).toBe(303);
      expect((await d.post(`${page}/cancel`, {}, { from: page })).statusCode).toBe(303);
    });
    expect(entries).toEqual([
      expect.objectContaining({ actor: 'dashboard:admin', action: 'campaign.reschedule', target: campaign.id }),
      expect.objectContaining({ actor: 'dashboard:admin', action: 'campaign.pause', target: campaign.id }),
      expect.objectContaining({ actor: 'dashboard:admin', action: 'campaign.resume', target: campaign.id }),
      expect.objectContaining({ actor: 'dashboard:admin', action: 'campaign.cancel', target: campaign.id }),
    ]);
    const auditPage = await d.get('/admin/audit');
    expect(auditPage.statusCode).toBe(200);
    expect(auditPage.body).toContain('campaign.cancel');
    expect(auditPage.body).toContain('dashboard:admin');
  });
});

describe('through the CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'newsdesk-audit-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const newsdesk = async (...args: string[]) => {
    const r = await runNewsdesk(args, { env: { PATH: process.env.PATH ?? '', ...h.env } });
    expect(r.code, `newsdesk ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };

  it('records each command as cli:<os user>, and `newsdesk audit` shows them', async () => {
    const csv = join(dir, 'readers.csv');
    await writeFile(csv, 'email\ncli1@example.org\ncli2@example.org\n');
    const entries = await recorded(async () => {
      await newsdesk('lists', 'create', 'cli-list', '--newsletter', 'daily');
      await newsdesk('lists', 'rename', 'cli-list', 'CLI list');
      await newsdesk('lists', 'publish', 'cli-list');
      await newsdesk('lists', 'unpublish', 'cli-list');
      await newsdesk('subscribers', 'import', csv, '--list', 'cli-list');
      await newsdesk('subscribers', 'unsubscribe', 'cli1@example.org');
      const created = await newsdesk('campaign', 'create', EXAMPLE_EDITION_FILE, '--list', 'cli-list', '--at', inAnHour(), '--json');
      const { id } = JSON.parse(created.stdout) as { id: string };
      await newsdesk('campaign', 'reschedule', id, '--at', inAnHour());
      await newsdesk('campaign', 'test', id, '--to', 'editor@example.com');
      await newsdesk('campaign', 'cancel', id);
      await newsdesk('tokens', 'create', 'cli token', '--scope', 'read', '--expires', '90d');
      await newsdesk('tokens', 'revoke', 'cli token');
      await newsdesk('lists', 'delete', 'cli-list');
    });
    expect(entries.every((e) => e.actor === cliActor())).toBe(true);
    expect(entries.map((e) => e.action)).toEqual([
      'list.create',
      'list.rename',
      'list.publish',
      'list.unpublish',
      'list.import',
      'subscriber.unsubscribe',
      'campaign.create',
      'campaign.reschedule',
      'campaign.test',
      'campaign.cancel',
      'token.create',
      'token.revoke',
      'list.delete',
    ]);
    expect(entries[10]).toMatchObject({ target: 'cli token', detail: { scope: 'read', expiresAt: expect.any(String) } });

    const shown = JSON.parse((await newsdesk('audit', '--since', '1h', '--json')).stdout) as AuditEntry[];
    expect(shown.slice(-entries.length).map(({ at: _at, ...e }) => e)).toEqual(entries);
    const text = (await newsdesk('audit')).stdout;
    expect(text).toMatch(/^TIME\s+ACTOR\s+ACTION\s+TARGET/);
    expect(text).toContain('token.revoke');
  }, 180_000); // fifteen CLI processes, one after another, on a shared machine
});

describe('retention and cap', () => {
  const t = useTestRedis();

  it('forgets entries older than the retention', async () => {
    let now = Date.now();
    const log = createAuditLog({ redis: t().redis, keys: t().keys, retentionMs: 86_400_000, now: () => now });
    await log.record({ actor: 'cli:test', action: 'list.create', target: 'old' });
    expect(await log.list()).toHaveLength(1);
    now += 2 * 86_400_000;
    expect(await log.list()).toEqual([]); // past retention: not shown, even before a trim
    await log.record({ actor: 'cli:test', action: 'list.create', target: 'new' });
    expect(await t().redis.xlen(t().keys.audit)).toBe(0); // and trimmed by the next write
  });

  it('keeps about maxEntries at most', async () => {
    const log = createAuditLog({ redis: t().redis, keys: t().keys, maxEntries: 100 });
    for (let i = 0; i < 1000; i++) await log.record({ actor: 'cli:test', action: 'list.create', target: `l${i}` });
    const length = await t().redis.xlen(t().keys.audit);
    // Redis trims whole nodes of the stream (`~`), so a little over the cap, never the thousand.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(300);
    expect((await log.list({ limit: 5 })).map((e) => e.target)).toEqual(['l995', 'l996', 'l997', 'l998', 'l999']);
  });

  it('refuses a malformed entry, naming the field', async () => {
    const log = createAuditLog({ redis: t().redis, keys: t().keys });
    await expect(log.record({ actor: 'someone', action: 'list.create' })).rejects.toThrow(/actor/);
    await expect(log.record({ actor: 'cli:x', action: 'Create List' })).rejects.toThrow(/action/);
    expect(await t().redis.exists(t().keys.audit)).toBe(0);
  });
});
