import { describe, expect, it } from 'vitest';
import { EMAIL_BUCKETS, createKeys, emailBucketOf } from '../../src/store/redis.ts';
import { escapeCell, unescapeCell } from '../../src/store/csv-cells.ts';

describe('key names', () => {
  it('puts every key under the one hash tag', () => {
    const k = createKeys('nd');
    const names = [
      k.subscriberSeq,
      k.subscriberBucket(12_345),
      k.emailBucket('jane@example.com'),
      k.suppression,
      k.lists,
      k.listMembers('daily'),
      k.listLeft('daily'),
      k.importSeen('abc'),
    ];
    for (const n of names) expect(n.startsWith('{nd}:'), n).toBe(true);
    expect(k.subscriberBucket(12_345)).toBe('{nd}:sub:123');
    expect(k.subscriberBucket(99)).toBe('{nd}:sub:0');
    expect(k.subscriberBucket(100)).toBe('{nd}:sub:1');
  });

  it('keeps email buckets where they are: the bucket is part of stored key names', () => {
    // Changing the hash or EMAIL_BUCKETS would orphan every stored index entry.
    expect(EMAIL_BUCKETS).toBe(16_384);
    expect(emailBucketOf('jane@example.com')).toBe(2764);
    expect(emailBucketOf('bob@example.com')).toBe(11_449);
    expect(emailBucketOf('ünïcode@example.de')).toBe(9464);
  });

  it('spreads addresses evenly over the buckets', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) {
      const b = emailBucketOf(`user${i}@example${i % 7}.com`);
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    // ~6 per bucket on average; a good hash keeps the fullest far below listpack's 512 limit.
    expect(Math.max(...counts.values())).toBeLessThan(30);
    expect(counts.size).toBeGreaterThan(EMAIL_BUCKETS * 0.99);
  });
});

describe('formula-safe cells', () => {
  it('prefixes cells a spreadsheet would run as formulas', () => {
    for (const v of ['=HYPERLINK("x")', '+1', '-2', '@SUM(A1)', '\tx', '\rx']) expect(escapeCell(v)).toBe(`'${v}`);
    for (const v of ['plain', 'a=b', '', "'quoted"]) expect(escapeCell(v)).toBe(v);
  });

  it('undoes exactly its own prefix on import', () => {
    for (const v of ['=1+1', '+1', '-2', '@x', 'plain', "'plain", "''=x"]) expect(unescapeCell(escapeCell(v))).toBe(v);
    expect(unescapeCell("'hello")).toBe("'hello");
  });
});
