import { describe, expect, it } from 'vitest';
import type { Subscriber } from '../../src/domain/subscriber.schema.ts';
import { CorruptRecordError, decodeRecord, encodeRecord } from '../../src/store/subscriber-record.ts';

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
    expect(JSON.parse(text)).toEqual({ e: 'a@example.com', s: 'active', c: Date.parse('2025-02-13T08:00:00.000Z') });
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
