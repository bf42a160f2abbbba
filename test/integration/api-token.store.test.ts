import { describe, expect, it } from 'vitest';
import { hashApiToken } from '../../src/domain/api-token.schema.ts';
import { ApiTokenExistsError } from '../../src/store/api-token.store.ts';
import { createStores } from '../../src/store/stores.ts';
import { useTestRedis } from '../support/redis.ts';
import { snapshot } from '../support/store-fixtures.ts';

const t = useTestRedis();

describe('API tokens', () => {
  it('shows a token once and keeps only its hash', async () => {
    const { token, record } = await t().stores.apiTokens.create('Ada Editor', { scope: 'editor' });
    expect(token).toMatch(/^nd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'Ada Editor', hash: hashApiToken(token) });
    const stored = JSON.stringify(await t().redis.hgetall(t().keys.apiTokens));
    expect(stored).not.toContain(token.slice(12));
    expect(await t().stores.apiTokens.verify(token)).toMatchObject({ id: record.id, name: 'Ada Editor' });
  });

  it('refuses altered, unknown and malformed tokens', async () => {
    const { token } = await t().stores.apiTokens.create('ci', { scope: 'editor' });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [`${token.slice(0, -1)}${last}`, token.replace(/^nd_[0-9a-f]{8}/, 'nd_00000000'), 'nd_x', '', `${token} `]) {
      expect(await t().stores.apiTokens.verify(bad), bad).toBeNull();
    }
  });

  it('keeps names unique, lists by name, and revokes by name or id', async () => {
    const a = await t().stores.apiTokens.create('zeta', { scope: 'editor' });
    const b = await t().stores.apiTokens.create('alpha', { scope: 'editor' });
    await expect(t().stores.apiTokens.create('alpha', { scope: 'editor' })).rejects.toBeInstanceOf(ApiTokenExistsError);
    expect((await t().stores.apiTokens.all()).map((r) => r.name)).toEqual(['alpha', 'zeta']);
    await t().stores.apiTokens.revoke('alpha');
    await t().stores.apiTokens.revoke(a.record.id);
    expect(await t().stores.apiTokens.verify(a.token)).toBeNull();
    expect(await t().stores.apiTokens.verify(b.token)).toBeNull();
    expect(await t().stores.apiTokens.all()).toEqual([]);
    // The name is free again.
    await t().stores.apiTokens.create('alpha', { scope: 'editor' });
  });

  it('refuses a bad name naming the field, writing nothing', async () => {
    const before = await snapshot(t().redis, t().prefix);
    await expect(t().stores.apiTokens.create(' ', { scope: 'editor' })).rejects.toMatchObject({ problems: [{ path: 'name' }] });
    await expect(t().stores.apiTokens.create('<script>', { scope: 'editor' })).rejects.toMatchObject({ problems: [{ path: 'name' }] });
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });

  it('records when a token was last used, at most once a minute', async () => {
    let now = Date.parse('2025-02-13T06:00:00Z');
    const stores = createStores({ redis: t().redis, prefix: t().prefix, now: () => now });
    const { token } = await stores.apiTokens.create('script', { scope: 'editor' });
    expect((await stores.apiTokens.verify(token))?.lastUsedAt).toBe('2025-02-13T06:00:00.000Z');
    now += 30_000;
    expect((await stores.apiTokens.verify(token))?.lastUsedAt).toBe('2025-02-13T06:00:00.000Z');
    now += 60_000;
    expect((await stores.apiTokens.verify(token))?.lastUsedAt).toBe('2025-02-13T06:01:30.000Z');
  });
});

describe('API token scopes and expiry', () => {
  it('keeps the scope it was made with; a record from before scopes reads as admin', async () => {
    const { token, record } = await t().stores.apiTokens.create('scraper', { scope: 'metrics' });
    expect((await t().stores.apiTokens.verify(token))?.scope).toBe('metrics');
    const { scope: _scope, ...old } = record;
    await t().redis.hset(t().keys.apiTokens, record.id, JSON.stringify(old));
    expect((await t().stores.apiTokens.verify(token))?.scope).toBe('admin');
  });

  it('stops verifying a token at its expiry, and refuses an expiry in the past, writing nothing', async () => {
    let now = Date.parse('2025-02-13T06:00:00Z');
    const stores = createStores({ redis: t().redis, prefix: t().prefix, now: () => now });
    const { token, record } = await stores.apiTokens.create('temp', { scope: 'read', expiresAt: new Date(now + 3600_000) });
    expect(record.expiresAt).toBe('2025-02-13T07:00:00.000Z');
    expect(await stores.apiTokens.verify(token)).not.toBeNull();
    now += 3600_000;
    expect(await stores.apiTokens.verify(token)).toBeNull();
    expect(await stores.apiTokens.get(record.id)).toBeNull();
    expect((await stores.apiTokens.all()).map((r) => r.name)).toEqual(['temp']); // still listed, as expired

    const before = await snapshot(t().redis, t().prefix);
    await expect(stores.apiTokens.create('late', { scope: 'read', expiresAt: new Date(now - 1) })).rejects.toMatchObject({ problems: [{ path: 'expires' }] });
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });
});

describe('dashboard sessions', () => {
  const stores = () => t().stores;

  it('stores a session under the hash of its id, with an expiry', async () => {
    const { id } = await stores().sessions.create({ kind: 'password' });
    expect(await stores().sessions.get(id)).toMatchObject({ subject: { kind: 'password' } });
    const keys = await t().redis.keys(`${t().keys.tag}:session:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(id);
    // Redis forgets it after the idle time (2 hours) unless a request comes.
    const ttl = await t().redis.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(1.9 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(2 * 3600_000);
    await stores().sessions.delete(id);
    expect(await stores().sessions.get(id)).toBeNull();
  });

  it('ends after the idle time without a request, and lives on while used, up to its absolute lifetime', async () => {
    let now = Date.parse('2025-02-13T06:00:00Z');
    const sessions = createStores({ redis: t().redis, prefix: t().prefix, now: () => now, sessionIdleMs: 2 * 3600_000 }).sessions;
    const idle = await sessions.create({ kind: 'token', tokenId: 'aaaaaaaa', name: 'a' });
    const busy = await sessions.create({ kind: 'token', tokenId: 'bbbbbbbb', name: 'b' });
    for (let hour = 1; hour <= 11; hour++) {
      now += 3600_000;
      expect(await sessions.get(busy.id), `hour ${hour}`).not.toBeNull();
    }
    expect(await sessions.get(idle.id)).toBeNull(); // 11 hours without a request
    now += 3600_000; // 12 hours after sign-in, however busy
    expect(await sessions.get(busy.id)).toBeNull();
  });

  it('a new sign-in to an account ends its previous session; other accounts keep theirs', async () => {
    const first = await stores().sessions.create({ kind: 'password' });
    const other = await stores().sessions.create({ kind: 'token', tokenId: 'cccccccc', name: 'c' });
    const second = await stores().sessions.create({ kind: 'password' });
    expect(await stores().sessions.get(first.id)).toBeNull();
    expect(await stores().sessions.get(second.id)).not.toBeNull();
    expect(await stores().sessions.get(other.id)).not.toBeNull();
  });

  it('knows nothing of made-up ids', async () => {
    expect(await stores().sessions.get('x'.repeat(43))).toBeNull();
    expect(await stores().sessions.get('../../etc')).toBeNull();
  });
});
