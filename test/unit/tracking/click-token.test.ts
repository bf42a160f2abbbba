import { describe, expect, it } from 'vitest';
import { MAX_CLICK_TOKEN_CHARS, readLinkToken, readOpenToken, signLinkToken, signOpenToken, signReaderMark } from '../../../src/domain/click-token.ts';

const KEY = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const CAMPAIGN = 'daily-2025-02-13-abc123';

/** Every token made by changing one character to another URL-safe one. */
function alterations(token: string): string[] {
  const alphabet = 'abcz09AZ-_.';
  const out: string[] = [];
  for (let i = 0; i < token.length; i++) {
    for (const c of alphabet) if (c !== token[i]) out.push(token.slice(0, i) + c + token.slice(i + 1));
  }
  return out;
}

describe('click tokens', () => {
  it('names the campaign and link only (aggregate), and the reader with a reader mark', () => {
    const t = signLinkToken(CAMPAIGN, 5, KEY);
    expect(readLinkToken(t, [KEY])).toEqual({ campaignId: CAMPAIGN, link: 5 });
    expect(readLinkToken(t + signReaderMark(CAMPAIGN, 1234, KEY), [KEY])).toEqual({ campaignId: CAMPAIGN, link: 5, subscriberId: 1234 });
    expect(readOpenToken(signOpenToken(CAMPAIGN, KEY), [KEY])).toEqual({ campaignId: CAMPAIGN });
    expect(t.length).toBeLessThan(60);
  });

  it('refuses every single-character alteration of a link, reader mark and open token', () => {
    const perReader = signLinkToken(CAMPAIGN, 3, KEY) + signReaderMark(CAMPAIGN, 77, KEY);
    for (const bad of alterations(perReader)) expect(readLinkToken(bad, [KEY]), bad).toBeNull();
    const open = signOpenToken(CAMPAIGN, KEY) + signReaderMark(CAMPAIGN, 77, KEY);
    for (const bad of alterations(open)) expect(readOpenToken(bad, [KEY]), bad).toBeNull();
  });

  it('refuses tokens signed with another key, of the other kind, over-long, or with a reader mark of another campaign', () => {
    expect(readLinkToken(signLinkToken(CAMPAIGN, 1, 'x'.repeat(40)), [KEY])).toBeNull();
    expect(readLinkToken(signOpenToken(CAMPAIGN, KEY), [KEY])).toBeNull();
    expect(readOpenToken(signLinkToken(CAMPAIGN, 1, KEY), [KEY])).toBeNull();
    expect(readLinkToken(signLinkToken(CAMPAIGN, 1, KEY) + signReaderMark('weekly-2025-02-13-abc123', 5, KEY), [KEY])).toBeNull();
    const long = `${'a'.repeat(MAX_CLICK_TOKEN_CHARS)}.1.${'A'.repeat(16)}`;
    expect(readLinkToken(long, [KEY])).toBeNull();
    expect(readLinkToken('', [KEY])).toBeNull();
  });

  it('accepts the previous key during a rotation', () => {
    expect(readLinkToken(signLinkToken(CAMPAIGN, 2, OLD), [KEY, OLD])).toEqual({ campaignId: CAMPAIGN, link: 2 });
  });
});
