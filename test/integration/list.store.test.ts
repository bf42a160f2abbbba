import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/domain/errors.ts';
import { ListExistsError } from '../../src/store/list.store.ts';
import { row } from '../support/store-fixtures.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();

describe('list store', () => {
  it('creates, renames, publishes, counts and deletes lists; deleting keeps the subscribers', async () => {
    const { lists, subscribers } = t().stores;
    const daily = await lists.create({ id: 'daily', name: 'Daily briefing', doubleOptIn: true, newsletter: 'daily' });
    expect(daily).toMatchObject({ id: 'daily', name: 'Daily briefing', doubleOptIn: true, newsletter: 'daily' });
    await lists.create({ id: 'weekly' });
    expect(await lists.get('weekly')).toMatchObject({ name: 'weekly', doubleOptIn: false, public: false });

    await subscribers.joinList('daily', [row('a@example.com'), row('b@example.com')], { via: 'admin' });
    await subscribers.joinList('weekly', [row('a@example.com')], { via: 'admin' });
    expect((await lists.all()).map((l) => [l.id, l.members])).toEqual([['daily', 2], ['weekly', 1]]);

    expect((await lists.update('weekly', { name: 'The Week' })).name).toBe('The Week');
    expect(await lists.require('weekly')).toMatchObject({ name: 'The Week', public: false });
    // Single opt-in: public only when that is said explicitly.
    await expect(lists.update('weekly', { public: true })).rejects.toThrow(/needs double opt-in/);
    expect(await lists.update('weekly', { public: true, allowSingleOptIn: true })).toMatchObject({ name: 'The Week', public: true });
    expect(await lists.require('weekly')).toMatchObject({ name: 'The Week', public: true });
    // A record written before lists had the flag reads as private.
    const { public: _, ...old } = await lists.require('weekly');
    await t().redis.hset(t().keys.lists, 'weekly', JSON.stringify(old));
    expect((await lists.require('weekly')).public).toBe(false);

    await lists.delete('daily');
    expect(await lists.get('daily')).toBeNull();
    expect(await t().redis.exists(t().keys.listMembers('daily'))).toBe(0);
    expect(await subscribers.findByEmail('b@example.com')).toMatchObject({ status: 'active' });
    expect(await lists.isMember('weekly', 1)).toBe(true);
  });

  it('refuses a taken id, a bad id and unknown lists', async () => {
    const { lists } = t().stores;
    await lists.create({ id: 'daily' });
    await expect(lists.create({ id: 'daily' })).rejects.toThrow(ListExistsError);
    await expect(lists.create({ id: 'Daily News' })).rejects.toThrow(ValidationError);
    await expect(lists.create({ id: 'ok', name: '   ' })).rejects.toThrow(/name: required/);
    await expect(lists.require('nope')).rejects.toThrow(NotFoundError);
    await expect(lists.update('nope', { name: 'x' })).rejects.toThrow(NotFoundError);
    await expect(lists.update('daily', {})).rejects.toThrow(/name, public, allowSingleOptIn or newsletter is required/);
    await expect(lists.update('daily', { name: ' ' })).rejects.toThrow(/name: required/);
    await expect(lists.delete('nope')).rejects.toThrow(NotFoundError);
    expect((await lists.all()).map((l) => l.id)).toEqual(['daily']);
  });

  it('answers membership one at a time and many at once', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    await lists.create({ id: 'other' });
    await subscribers.joinList('other', [row('x@example.com'), row('y@example.com')], { via: 'admin' });
    await subscribers.joinList('daily', [row('y@example.com'), row('z@example.com')], { via: 'admin' });
    expect(await lists.areMembers('daily', [3, 1, 2, 99_999, 2])).toEqual([true, false, true, false, true]);
    expect(await lists.areMembers('daily', [])).toEqual([]);
    expect(await lists.isMember('daily', 1)).toBe(false);
    expect(await lists.countMembers('daily')).toBe(2);
    expect(await lists.countMembers('daily', 2)).toBe(1);
    expect(await lists.countMembers('nope')).toBe(0);
  });

  it('pages members by id, each once, while members are added and removed during the walk', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    await lists.create({ id: 'other' });
    const N = 1200;
    const emails = Array.from({ length: N }, (_, i) => `m${i}@example.com`);
    for (let i = 0; i < N; i += 400) {
      // Every third address goes to another list only, so there are non-members inside the id range.
      const slice = emails.slice(i, i + 400);
      await subscribers.joinList('daily', slice.filter((_, j) => (i + j) % 3 !== 0).map((e) => row(e)), { via: 'import' });
      await subscribers.joinList('other', slice.filter((_, j) => (i + j) % 3 === 0).map((e) => row(e)), { via: 'import' });
    }
    const upTo = await subscribers.maxSubscriberId();
    const atStart = new Set(await lists.pageMembers('daily', { after: 0, upTo, limit: N }));
    expect(atStart.size).toBe(800);

    const nonMembers = (await lists.pageMembers('other', { after: 0, upTo, limit: N })).filter((id) => !atStart.has(id));
    const seen: number[] = [];
    const removed = new Set<number>();
    const removedAhead = new Set<number>();
    const joinedAhead = new Set<number>();
    let after = 0;
    let round = 0;
    for (;;) {
      const page = await lists.pageMembers('daily', { after, upTo, limit: 37 });
      if (!page.length) break;
      seen.push(...page);
      after = page[page.length - 1] as number;
      round++;
      // Someone ahead of the cursor leaves, someone behind it leaves, a newcomer arrives past
      // upTo, and an existing non-member ahead of the cursor joins.
      const ahead = [...atStart].find((id) => id > after + 50 && !removed.has(id));
      const behind = [...atStart].find((id) => id <= after && !removed.has(id));
      for (const id of [ahead, behind]) {
        if (id === undefined) continue;
        await subscribers.unsubscribe(id, { listId: 'daily' });
        removed.add(id);
        if (id > after) removedAhead.add(id);
      }
      await subscribers.joinList('daily', [row(`late${round}@example.com`)], { via: 'admin' });
      const joiner = nonMembers.find((id) => id > after + 50 && !joinedAhead.has(id));
      if (joiner !== undefined) {
        const s = (await subscribers.get(joiner))!;
        await subscribers.joinList('daily', [row(s.email)], { via: 'admin' });
        joinedAhead.add(joiner);
      }
    }

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.every((id) => id <= upTo)).toBe(true);
    const seenSet = new Set(seen);
    for (const id of atStart) if (!removed.has(id)) expect(seenSet.has(id), `member ${id} was skipped`).toBe(true);
    for (const id of removedAhead) expect(seenSet.has(id), `${id} left before the cursor reached it`).toBe(false);
    for (const id of joinedAhead) expect(seenSet.has(id), `${id} joined before the cursor reached it`).toBe(true);
    expect(removedAhead.size).toBeGreaterThan(10);
    expect(joinedAhead.size).toBeGreaterThan(10);
  });

  it('pages an empty or unknown list, and honours after/upTo bounds', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    expect(await lists.pageMembers('daily', { after: 0, upTo: 100, limit: 10 })).toEqual([]);
    expect(await lists.pageMembers('nope', { after: 0, upTo: 100, limit: 10 })).toEqual([]);
    await subscribers.joinList('daily', ['a', 'b', 'c', 'd', 'e'].map((x) => row(`${x}@example.com`)), { via: 'admin' });
    expect(await lists.pageMembers('daily', { after: 0, upTo: 5, limit: 10 })).toEqual([1, 2, 3, 4, 5]);
    expect(await lists.pageMembers('daily', { after: 2, upTo: 4, limit: 10 })).toEqual([3, 4]);
    expect(await lists.pageMembers('daily', { after: 0, upTo: 5, limit: 2 })).toEqual([1, 2]);
    expect(await lists.pageMembers('daily', { after: 5, upTo: 5, limit: 2 })).toEqual([]);
  });
});
