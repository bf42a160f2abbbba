import { describe, expect, it } from 'vitest';
import { type CompactEntry, decodeBucket, encodeBucket, joinReply, MAX_TEMPLATES, splitReply, TAG_QUEUED, TAG_SENT, TemplateTable } from '../../src/store/ledger-codec.ts';
import { REPLY_STYLES } from '../support/ledger-fixtures.ts';

/** A word without digits that differs for every i (so each reply is its own template). */
const letters = (i: number) => [...i.toString(26)].map((c) => String.fromCharCode(97 + parseInt(c, 26))).join('');

describe('ledger codec', () => {
  it('cuts the variable parts out of each server style, and joins them back to the same text', () => {
    for (const style of Object.values(REPLY_STYLES)) {
      const replies = [1, 2, 777, 123_456].map(style);
      const splits = replies.map((r) => splitReply(r));
      // One template for every reply of a style: that is what makes them cheap.
      expect(new Set(splits.map((s) => s?.template)).size).toBe(1);
      splits.forEach((s, i) => expect(joinReply(s?.template ?? '', s?.holes ?? [])).toBe(replies[i]));
    }
  });

  it('never makes a template of text with an address in it', () => {
    expect(splitReply('250 2.1.5 <jane@example.com> ok 4711')).toBeNull();
  });

  it('writes a bucket and reads back exactly the same entries', () => {
    const table = new TemplateTable();
    const base = 1_764_000_000_000;
    const replies = [
      REPLY_STYLES.postfix(9),
      REPLY_STYLES.ses(10),
      REPLY_STYLES.gmail(11),
      REPLY_STYLES.exim(12),
      '',
      '250 ok',
      '250 Nachricht angenommen – Wärme 4711',
      '250 <a@b.example> queued 0012AB',
      '250 ok 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01',
      '250 ok 9007199254740993',
      '250 upper 00FF 0a0B',
    ];
    const entries: CompactEntry[] = replies.map((reply, i) => ({ id: 512 + i * 3, tag: TAG_SENT, at: base + (i % 2 ? -1 : 1) * i * 1000, reply }));
    entries.push({ id: 700, tag: TAG_QUEUED });
    const bytes = encodeBucket([...entries].reverse(), base, table);
    expect(decodeBucket(bytes, 2, base, table)).toEqual(entries);
    // A table read back from storage decodes the same.
    const stored = new TemplateTable(table.takeNew());
    expect(decodeBucket(bytes, 2, base, stored)).toEqual(entries);
  });

  it('keeps replies verbatim once the campaign has used up its templates', () => {
    const table = new TemplateTable();
    const entries: CompactEntry[] = Array.from({ length: MAX_TEMPLATES + 10 }, (_, i) => ({ id: i + 1, tag: TAG_SENT, at: i, reply: `250 ${letters(i)} ok` }));
    const buckets = [0, 1, 2, 3, 4].map((b) => entries.filter((e) => Math.floor(e.id / 256) === b));
    const decoded = buckets.flatMap((list, b) => decodeBucket(encodeBucket(list, 0, table), b, 0, table));
    expect(table.size).toBe(MAX_TEMPLATES);
    expect(decoded).toEqual(entries);
  });
});
