/**
 * Unconfirmed sign-ups expire (UNCONFIRMED_EXPIRY_DAYS, default 7) with their memberships, so a
 * flood of sign-ups nobody confirms cannot fill a Redis that runs with `noeviction`. The store's
 * clock is the test's: a week passes in one assignment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIRM_TOKEN_MAX_AGE_MS } from '../../src/domain/link-token.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { row } from '../support/store-fixtures.ts';

const DAY = 24 * 60 * 60 * 1000;
let t: TestRedis | undefined;
afterEach(async () => {
  await t?.cleanup();
});

/** Every key under the prefix with its type's content, to compare before and after. */
async function dump(r: TestRedis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await r.redis.keys(`${r.keys.tag}:*`)).sort()) {
    const type = await r.redis.type(key);
    if (type === 'hash') out[key] = await r.redis.hgetall(key);
    else if (type === 'zset') out[key] = await r.redis.zrange(key, '0', '-1', 'WITHSCORES');
    else if (type === 'string') out[key] = await r.redis.getBuffer(key).then((b) => b?.toString('hex'));
    else out[key] = type;
  }
  return out;
}

describe('unconfirmed sign-ups', () => {
  it('expire by default after as long as their confirmation link works (7 days)', () => {
    expect(CONFIRM_TOKEN_MAX_AGE_MS).toBe(7 * DAY);
  });

  it('disappear after the expiry with their memberships; confirmed ones, older subscribers and newer sign-ups stay', async () => {
    let now = Date.parse('2026-03-01T12:00:00Z');
    t = await openTestRedis({ now: () => now });
    const { lists, subscribers } = t.stores;
    const briefing = await lists.create({ id: 'briefing', doubleOptIn: true, public: true });
    await lists.create({ id: 'internal' });
    await subscribers.joinList('internal', [row('staff@example.com')], { via: 'admin' });
    const before = await dump(t);

    // Three strangers sign up; one confirms; one is also put on a list by hand while pending.
    const ids: number[] = [];
    for (const email of ['a@example.net', 'b@example.net', 'c@example.net']) {
      const r = await subscribers.subscribe(briefing, { email, attributes: {} });
      expect(r.kind).toBe('confirmation-needed');
      if (r.kind === 'confirmation-needed') ids.push(r.subscriber.id);
    }
    const [a, b, c] = ids as [number, number, number];
    expect((await subscribers.confirm(b, briefing, new Date(now))).kind).toBe('confirmed');
    await subscribers.joinList('internal', [row('c@example.net')], { via: 'admin' });
    expect(await lists.isMember('internal', c)).toBe(true);

    // A day short of the expiry nothing goes.
    now += 6 * DAY;
    expect(await subscribers.expireUnconfirmed()).toBe(0);
    expect(await subscribers.get(a)).not.toBeNull();
    // A new sign-up on day 6 is not due until day 13.
    const late = await subscribers.subscribe(briefing, { email: 'late@example.net', attributes: {} });

    // Past it, the next sign-up clears the expired ones first.
    now += DAY + 1;
    const next = await subscribers.subscribe(briefing, { email: 'next@example.net', attributes: {} });
    for (const gone of [a, c]) expect(await subscribers.get(gone)).toBeNull();
    expect(await subscribers.findByEmail('a@example.net')).toBeNull();
    expect(await subscribers.findByEmail('c@example.net')).toBeNull();
    expect(await lists.isMember('internal', c)).toBe(false);
    expect((await subscribers.get(b))?.status).toBe('active');
    expect(await lists.isMember('briefing', b)).toBe(true);
    expect(await subscribers.findByEmail('staff@example.com')).not.toBeNull();
    expect(late.kind === 'confirmation-needed' && (await subscribers.get(late.subscriber.id))).toBeTruthy();
    expect(next.kind).toBe('confirmation-needed');
    // An address that expired may sign up again as new.
    expect((await subscribers.subscribe(briefing, { email: 'a@example.net', attributes: {} })).kind).toBe('confirmation-needed');

    // Once everything pending has expired, Redis holds what it held before, plus the confirmed
    // reader and the id sequence: nothing of the strangers is left.
    now += 8 * DAY;
    expect(await subscribers.expireUnconfirmed(100)).toBe(3);
    const after = await dump(t);
    const grown = Object.keys(after).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
    expect(grown.sort()).toEqual(
      [t.keys.subscriberSeq, t.keys.subscriberBucket(b), t.keys.emailSmallBucket('b@example.net'), t.keys.listMembers('briefing')].sort(),
    );
    expect(await t.redis.zcard(t.keys.signUpsPending)).toBe(0);
  });
});
