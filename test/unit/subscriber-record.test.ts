import { describe, expect, it } from 'vitest';
import type { Subscriber } from '../../src/domain/subscriber.schema.ts';
import { CorruptRecordError, decodeRecord, encodeRecord, REASONS } from '../../src/store/subscriber-record.ts';

const full: Subscriber = {
  id: 42,
  email: 'jane.doe@example.com',
  emailDisplay: 'Jane.Doe@Example.com',
  name: 'Jane Doe',
  attributes: { plan: 'pro', city: 'Paris', seats: 3, vip: true },
  status: 'unsubscribed',
  createdAt: '2025-02-13T08:00:00.000Z',
  confirmedAt: '2025-02-13T08:05:00.000Z',
  statusChangedAt: '2025-03-01T10:00:00.000Z',
  statusReason: 'unsubscribe link',
};

describe('subscriber records', () => {
  it('round-trips every field', () => {
    const { id, email, ...stored } = full;
    expect(decodeRecord(id, encodeRecord(stored))).toEqual(full);
    expect(email).toBe('jane.doe@example.com');
  });

  it('round-trips a minimal subscriber without inventing fields', () => {
    const minimal: Subscriber = {
      id: 1,
      email: 'a@example.com',
      emailDisplay: 'a@example.com',
      attributes: {},
      status: 'active',
      createdAt: '2025-02-13T08:00:00.000Z',
      statusChangedAt: '2025-02-13T08:00:00.000Z',
    };
    const { id, email: _email, ...stored } = minimal;
    const text = encodeRecord(stored);
    expect(decodeRecord(id, text)).toStrictEqual(minimal);
    // Compact: no empty attributes, no status time equal to the creation time.
    expect(JSON.parse(text)).toEqual({ e: 'a@example.com', s: 'active', c: Date.parse('2025-02-13T08:00:00.000Z').toString(36) });
  });

  it('writes the reasons newsdesk gives as numbers, and reads any other reason as text', () => {
    const { id, email: _email, ...stored } = full;
    for (const statusReason of ['import', 'added by admin', 'signed up', 'confirmed opt-in', 'unsubscribe link', '1']) {
      const text = encodeRecord({ ...stored, statusReason });
      expect(decodeRecord(id, text).statusReason).toBe(statusReason);
      expect(typeof JSON.parse(text).r).toBe((REASONS as readonly string[]).includes(statusReason) ? 'number' : 'string');
    }
    expect(encodeRecord({ ...stored, statusReason: 'import' }).length).toBeLessThan(JSON.stringify({ ...stored, statusReason: 'import' }).length - 40);
  });

  it('reads records written before times went to base 36 and reasons to numbers', () => {
    const old = '{"e":"Radia.Perlman499@example14.com","s":"active","c":1739433600000,"n":"Radia Perlman","a":{"city":"Osaka","plan":"free"},"r":"import","k":1739433660000,"t":1739520000000}';
    expect(decodeRecord(499, old)).toEqual({
      id: 499,
      email: 'radia.perlman499@example14.com',
      emailDisplay: 'Radia.Perlman499@example14.com',
      name: 'Radia Perlman',
      attributes: { city: 'Osaka', plan: 'free' },
      status: 'active',
      createdAt: '2025-02-13T08:00:00.000Z',
      confirmedAt: '2025-02-13T08:01:00.000Z',
      statusChangedAt: '2025-02-14T08:00:00.000Z',
      statusReason: 'import',
    });
    // Written again, the same subscriber takes fewer bytes and reads back the same.
    const again = decodeRecord(499, old);
    const { id, email: _email, ...stored } = again;
    const text = encodeRecord(stored);
    expect(text.length).toBeLessThan(old.length - 15);
    expect(decodeRecord(id, text)).toEqual(again);
  });

  it('encodes equal attributes to equal text whatever their order', () => {
    const { id: _a, email: _b, ...stored } = full;
    const reordered = { ...stored, attributes: { vip: true, seats: 3, city: 'Paris', plan: 'pro' } };
    expect(encodeRecord(reordered)).toBe(encodeRecord(stored));
  });

  it('derives the identity email from the displayed one', () => {
    const s = decodeRecord(5, JSON.stringify({ e: '  MiXed@Example.COM', s: 'active', c: 0 }));
    expect(s.email).toBe('mixed@example.com');
  });

  it('refuses records that do not parse', () => {
    expect(() => decodeRecord(7, 'not json')).toThrow(CorruptRecordError);
    expect(() => decodeRecord(7, JSON.stringify({ e: 'a@example.com', s: 'gone', c: 0 }))).toThrow(/subscriber 7.*status/);
    expect(() => decodeRecord(7, JSON.stringify({ e: 'a@example.com', s: 'active', c: 'yesterday' }))).toThrow(CorruptRecordError);
    expect(() => decodeRecord(7, JSON.stringify({ e: 'a@example.com', s: 'active', c: 0, x: 1 }))).not.toThrow();
  });
});
