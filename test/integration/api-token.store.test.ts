import { describe, expect, it } from 'vitest';
import { hashApiToken } from '../../src/domain/api-token.schema.ts';
import { ApiTokenExistsError } from '../../src/store/api-token.store.ts';
import { createStores } from '../../src/store/stores.ts';
import { useTestRedis } from '../support/redis.ts';
import { snapshot } from '../support/store-fixtures.ts';

const t = useTestRedis();

describe('API tokens', () => {
  it('shows a token once and keeps only its hash', async () => {
    const { token, record } = await t().stores.apiTokens.create('Ada Editor');
    expect(token).toMatch(/^nd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'Ada Editor', hash: hashApiToken(token) });
    const stored = JSON.stringify(await t().redis.hgetall(t().keys.apiTokens));
    expect(stored).not.toContain(token.slice(12));
    expect(await t().stores.apiTokens.verify(token)).toMatchObject({ id: record.id, name: 'Ada Editor' });
  });

  it('refuses altered, unknown and malformed tokens', async () => {
    const { token } = await t().stores.apiTokens.create('ci');
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [`${token.slice(0, -1)}${last}`, token.replace(/^nd_[0-9a-f]{8}/, 'nd_00000000'), 'nd_x', '', `${token} `]) {
      expect(await t().stores.apiTokens.verify(bad), bad).toBeNull();
    }
  });

  it('keeps names unique, lists by name, and revokes by name or id', async () => {
    const a = await t().stores.apiTokens.create('zeta');
    const b = await t().stores.apiTokens.create('alpha');
    await expect(t().stores.apiTokens.create('alpha')).rejects.toBeInstanceOf(ApiTokenExistsError);
    expect((await t().stores.apiTokens.all()).map((r) => r.name)).toEqual(['alpha', 'zeta']);
    await t().stores.apiTokens.revoke('alpha');
    await t().stores.apiTokens.revoke(a.record.id);
    expect(await t().stores.apiTokens.verify(a.token)).toBeNull();
    expect(await t().stores.apiTokens.verify(b.token)).toBeNull();
    expect(await t().stores.apiTokens.all()).toEqual([]);
    // The name is free again.
    await t().stores.apiTokens.create('alpha');
  });

  it('refuses a bad name naming the field, writing nothing', async () => {
    const before = await snapshot(t().redis, t().prefix);
    await expect(t().stores.apiTokens.create(' ')).rejects.toMatchObject({ problems: [{ path: 'name' }] });
    await expect(t().stores.apiTokens.create('<script>')).rejects.toMatchObject({ problems: [{ path: 'name' }] });
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });

  it('records when a token was last used, at most once a minute', async () => {
    let now = Date.parse('2025-02-13T06:00:00Z');
    const stores = createStores({ redis: t().redis, prefix: t().prefix, now: () => now });
    const { token } = await stores.apiTokens.create('script');
    expect((await stores.apiTokens.verify(token))?.lastUsedAt).toBe('2025-02-13T06:00:00.000Z');
    now += 30_000;
    expect((await stores.apiTokens.verify(token))?.lastUsedAt).toBe('2025-02-13T06:00:00.000Z');
    now += 60_000;
    expect((await stores.apiTokens.verify(token))?.lastUsedAt).toBe('2025-02-13T06:01:30.000Z');
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
    const ttl = await t().redis.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(11 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(12 * 3600_000);
    await stores().sessions.delete(id);
    expect(await stores().sessions.get(id)).toBeNull();
  });

  it('knows nothing of made-up ids', async () => {
    expect(await stores().sessions.get('x'.repeat(43))).toBeNull();
    expect(await stores().sessions.get('../../etc')).toBeNull();
  });
});
