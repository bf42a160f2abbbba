import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/domain/errors.ts';
import { CONFIRM_TOKEN_MAX_AGE_MS, signLinkToken, verifyLinkToken } from '../../src/domain/link-token.ts';
import { row } from '../support/store-fixtures.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();
const SECRETS = ['integration-test-secret-0123456789abcdef'];

async function withList(id = 'daily', doubleOptIn = false) {
  return t().stores.lists.create({ id, doubleOptIn });
}

describe('subscriber store: joining lists', () => {
  it('creates subscribers with increasing ids, normalized identity and the address as typed', async () => {
    await withList();
    const { subscribers } = t().stores;
    const outcomes = await subscribers.joinList('daily', [row('  Jane.Doe@Example.COM ', 'Jane Doe', { city: 'Paris' }), row('bob@example.com')], {
      via: 'import',
    });
    expect(outcomes).toEqual([
      { kind: 'created', id: 1 },
      { kind: 'created', id: 2 },
    ]);
    expect(await subscribers.maxSubscriberId()).toBe(2);
    const jane = await subscribers.findByEmail('JANE.DOE@example.com');
    expect(jane).toMatchObject({
      id: 1,
      email: 'jane.doe@example.com',
      emailDisplay: 'Jane.Doe@Example.COM',
      name: 'Jane Doe',
      attributes: { city: 'Paris' },
      status: 'active',
      statusReason: 'import',
    });
    expect(jane?.createdAt).toBe(jane?.statusChangedAt);
  });

  it('reads many records in order, with null for unknown ids', async () => {
    await withList();
    const { subscribers } = t().stores;
    await subscribers.joinList('daily', Array.from({ length: 150 }, (_, i) => row(`p${i}@example.com`)), { via: 'import' });
    const ids = [150, 3, 999, 1, 101];
    const got = await subscribers.getMany(ids);
    expect(got.map((s) => s?.id ?? null)).toEqual([150, 3, null, 1, 101]);
    expect(got[0]?.email).toBe('p149@example.com');
    expect(await subscribers.getMany([])).toEqual([]);
    expect(await subscribers.maxSubscriberId()).toBe(150);
  });

  it('puts existing subscribers on another list without changing them, and counts members once', async () => {
    await withList('daily');
    await withList('weekly');
    const { subscribers } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com', 'Ann')], { via: 'import' });
    const before = await subscribers.get(1);
    expect(await subscribers.joinList('weekly', [row('A@example.com', 'Someone Else', { x: '1' })], { via: 'import' })).toEqual([
      { kind: 'joined', id: 1, updated: false },
    ]);
    expect(await subscribers.joinList('weekly', [row('a@example.com')], { via: 'admin' })).toEqual([
      { kind: 'already-member', id: 1, updated: false },
    ]);
    expect(await subscribers.get(1)).toEqual(before);
  });

  it('with update, overwrites name and attributes given in the row and keeps the rest', async () => {
    await withList();
    const { subscribers } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com', 'Ann', { city: 'Paris', plan: 'free' })], { via: 'import' });
    const out = await subscribers.joinList('daily', [row('a@example.com', 'Ann Smith', { plan: 'pro' })], { via: 'import', update: true });
    expect(out).toEqual([{ kind: 'already-member', id: 1, updated: true }]);
    expect(await subscribers.get(1)).toMatchObject({ name: 'Ann Smith', attributes: { city: 'Paris', plan: 'pro' }, status: 'active' });
    // The same values again are no update.
    expect(await subscribers.joinList('daily', [row('a@example.com', 'Ann Smith', { plan: 'pro' })], { via: 'import', update: true })).toEqual([
      { kind: 'already-member', id: 1, updated: false },
    ]);
  });

  it('counts repeats within one run as duplicates, but not across runs', async () => {
    await withList();
    const { subscribers } = t().stores;
    const rows = [row('a@example.com'), row('A@EXAMPLE.com'), row('b@example.com')];
    expect((await subscribers.joinList('daily', rows, { via: 'import', runId: 'one' })).map((o) => o.kind)).toEqual(['created', 'duplicate', 'created']);
    expect((await subscribers.joinList('daily', rows, { via: 'import', runId: 'two' })).map((o) => o.kind)).toEqual([
      'already-member',
      'duplicate',
      'already-member',
    ]);
    await subscribers.forgetImportRun('one');
    await subscribers.forgetImportRun('two');
    expect(await t().redis.exists(t().keys.importSeen('one'), t().keys.importSeen('two'))).toBe(0);
  });

  it('refuses an unknown list without writing anything', async () => {
    const { subscribers } = t().stores;
    await expect(subscribers.joinList('nope', [row('a@example.com')], { via: 'import' })).rejects.toThrow(NotFoundError);
    expect(await subscribers.maxSubscriberId()).toBe(0);
    expect(await subscribers.findByEmail('a@example.com')).toBeNull();
  });
});

describe('subscriber store: status changes', () => {
  it('marks a bounce: status bounced, address suppressed, still on its lists', async () => {
    await withList();
    const { subscribers, suppression, lists } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    const r = await subscribers.markBounced(1, '550 5.1.1 user unknown');
    expect(r).toMatchObject({ kind: 'changed', subscriber: { status: 'bounced', statusReason: '550 5.1.1 user unknown' } });
    expect(await suppression.get('a@example.com')).toMatchObject({ reason: 'bounce', detail: '550 5.1.1 user unknown' });
    expect(await lists.isMember('daily', 1)).toBe(true);
  });

  it('unsubscribes from everything: status, suppression and every list left, remembered', async () => {
    await withList('daily');
    await withList('weekly');
    const { subscribers, suppression, lists } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    await subscribers.joinList('weekly', [row('a@example.com')], { via: 'import' });
    expect(await subscribers.unsubscribe(1)).toMatchObject({ kind: 'changed', subscriber: { status: 'unsubscribed' } });
    expect(await suppression.isSuppressed('A@example.com')).toBe(true);
    const m = await lists.membershipsOf(1);
    expect(m.member).toEqual([]);
    expect(m.left.map((l) => l.list)).toEqual(['daily', 'weekly']);
    expect(await subscribers.unsubscribe(1)).toMatchObject({ kind: 'unchanged' });
  });

  it('unsubscribes from one list only, and a re-import of that list does not put them back', async () => {
    await withList('daily');
    await withList('weekly');
    const { subscribers, lists, suppression } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    await subscribers.joinList('weekly', [row('a@example.com')], { via: 'import' });
    const r = await subscribers.unsubscribe(1, { listId: 'daily' });
    expect(r).toMatchObject({ kind: 'left-list', listId: 'daily', wasMember: true, subscriber: { status: 'active' } });
    expect(await lists.isMember('daily', 1)).toBe(false);
    expect(await lists.isMember('weekly', 1)).toBe(true);
    expect(await suppression.isSuppressed('a@example.com')).toBe(false);
    const again = await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    expect(again).toEqual([{ kind: 'left', id: 1, leftAt: expect.any(Date) }]);
    expect(await lists.isMember('daily', 1)).toBe(false);
  });

  it('keeps an ended subscriber off lists even when the suppression entry is gone', async () => {
    await withList();
    const { subscribers, suppression, lists } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    await subscribers.markBounced(1, 'mailbox gone');
    await lists.create({ id: 'other' });
    await suppression.remove('a@example.com');
    expect(await subscribers.joinList('other', [row('a@example.com')], { via: 'import' })).toEqual([{ kind: 'ended', id: 1, status: 'bounced' }]);
    expect(await lists.isMember('other', 1)).toBe(false);
  });

  it('refuses transitions the rules forbid and leaves the record alone', async () => {
    await withList();
    const { subscribers } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    await subscribers.markComplained(1, 'feedback loop');
    const before = await subscribers.get(1);
    expect(await subscribers.setStatus(1, 'active', { via: 'admin', reason: 'please' })).toMatchObject({ kind: 'refused' });
    expect(await subscribers.markBounced(1, 'late bounce')).toMatchObject({ kind: 'refused' });
    expect(await subscribers.get(1)).toEqual(before);
  });

  it('lets concurrent signals settle on the strictest status (compare-and-set, no lost writes)', async () => {
    await withList();
    const { subscribers, suppression } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    // All read the record before any writes (one connection, pipelined); the complaint is written
    // first, so every later write must notice the record changed, read again and be refused.
    await Promise.all([
      subscribers.markComplained(1, 'complaint'),
      ...Array.from({ length: 10 }, () => subscribers.unsubscribe(1)),
      ...Array.from({ length: 10 }, () => subscribers.markBounced(1, 'bounce')),
    ]);
    expect((await subscribers.get(1))?.status).toBe('complained');
    expect((await suppression.get('a@example.com'))?.reason).toBe('complaint');
  });

  it('answers NotFound for an unknown id', async () => {
    await expect(t().stores.subscribers.markBounced(404, 'x')).rejects.toThrow(NotFoundError);
    expect(await t().stores.subscribers.get(404)).toBeNull();
  });
});

describe('subscriber store: sign-up and confirmation', () => {
  it('single opt-in: a sign-up is active and on the list at once', async () => {
    const list = await withList('daily', false);
    const { subscribers, lists } = t().stores;
    const r = await subscribers.subscribe(list, row('new@example.com', 'New'));
    expect(r).toMatchObject({ kind: 'subscribed', created: true, subscriber: { status: 'active', name: 'New' } });
    expect(await lists.isMember('daily', 1)).toBe(true);
    expect(await subscribers.subscribe(list, row('new@example.com', 'Other Name'))).toMatchObject({
      kind: 'already-subscribed',
      subscriber: { name: 'New' },
    });
  });

  it('double opt-in: unconfirmed until a signed confirmation link is followed; a tampered link does nothing', async () => {
    const list = await withList('daily', true);
    const { subscribers, lists } = t().stores;
    const r = await subscribers.subscribe(list, row('new@example.com'));
    expect(r).toMatchObject({ kind: 'confirmation-needed', created: true, subscriber: { status: 'unconfirmed' } });
    expect(await lists.isMember('daily', 1)).toBe(false);

    const token = signLinkToken({ subscriberId: 1, purpose: 'confirm', scope: { kind: 'list', id: 'daily' } }, SECRETS[0]!);
    const tampered = token.replace(/\.1\./, '.2.');
    expect(tampered).not.toBe(token);
    expect(verifyLinkToken(tampered, SECRETS)).toBeNull();
    expect((await subscribers.get(1))?.status).toBe('unconfirmed');

    const payload = verifyLinkToken(token, SECRETS, { maxAgeMs: CONFIRM_TOKEN_MAX_AGE_MS });
    expect(payload).not.toBeNull();
    const confirmed = await subscribers.confirm(payload!.subscriberId, list, new Date(payload!.issuedAt));
    expect(confirmed).toMatchObject({ kind: 'confirmed', subscriber: { status: 'active', statusReason: 'confirmed opt-in' } });
    expect((await subscribers.get(1))?.confirmedAt).toBeDefined();
    expect(await lists.isMember('daily', 1)).toBe(true);
    // Following it twice is harmless.
    expect(await subscribers.confirm(1, list, new Date(payload!.issuedAt))).toMatchObject({ kind: 'confirmed' });
  });

  it('brings back an unsubscribed person only through a fresh confirmation, and lifts the suppression', async () => {
    const list = await withList('daily', false);
    const { subscribers, suppression, lists } = t().stores;
    await subscribers.joinList('daily', [row('a@example.com')], { via: 'import' });
    await subscribers.unsubscribe(1);
    const leftAt = Date.now();

    // A single opt-in form does not prove who typed the address: confirmation first.
    expect(await subscribers.subscribe(list, row('a@example.com'))).toMatchObject({ kind: 'confirmation-needed', created: false });
    expect((await subscribers.get(1))?.status).toBe('unsubscribed');

    // A link issued before they unsubscribed no longer speaks for them.
    expect(await subscribers.confirm(1, list, new Date(leftAt - 60_000))).toMatchObject({ kind: 'stale' });
    expect((await subscribers.get(1))?.status).toBe('unsubscribed');

    const fresh = await subscribers.confirm(1, list, new Date(Date.now() + 1));
    expect(fresh).toMatchObject({ kind: 'confirmed', subscriber: { status: 'active' } });
    expect(await suppression.isSuppressed('a@example.com')).toBe(false);
    expect(await lists.isMember('daily', 1)).toBe(true);
    expect(await lists.leftAt('daily', 1)).toBeNull();
  });

  it('treats a confirmation link issued before the person left the list as stale', async () => {
    const list = await withList('daily', true);
    const { subscribers, lists } = t().stores;
    await subscribers.subscribe(list, row('a@example.com'));
    const issued = new Date();
    await subscribers.confirm(1, list, issued);
    await new Promise((r) => setTimeout(r, 5));
    await subscribers.unsubscribe(1, { listId: 'daily' });
    expect(await subscribers.confirm(1, list, issued)).toMatchObject({ kind: 'stale' });
    expect(await lists.isMember('daily', 1)).toBe(false);
  });

  it('never mails a hand-suppressed address, not even a confirmation', async () => {
    const list = await withList('daily', true);
    const { subscribers, suppression } = t().stores;
    await suppression.add('blocked@example.com', 'manual', 'asked by phone');
    expect(await subscribers.subscribe(list, row('blocked@example.com'))).toMatchObject({ kind: 'blocked' });
    expect(await subscribers.findByEmail('blocked@example.com')).toBeNull();
  });
});
