import { describe, expect, it } from 'vitest';
import {
  campaignRef,
  createReturnAddresser,
  parseReturnToken,
  readReturnAddress,
  RETURN_TOKEN_MAX_CHARS,
  signReturnToken,
  verifyReturnToken,
} from '../../src/domain/return-token.ts';

const SECRET = 'first-secret-first-secret-first-secret';
const OLD = 'older-secret-older-secret-older-secret';
const LONGEST_CAMPAIGN = `${'n'.repeat(63)}-2025-02-13-abcdef`.padEnd(81, 'x');
const payload = { purpose: 'bounce' as const, campaignId: 'daily-2025-02-13-a1b2c3', subscriberId: 12345 };

describe('return tokens', () => {
  it('round-trips, and names purpose, campaign and subscriber', () => {
    const token = signReturnToken(payload, SECRET);
    expect(verifyReturnToken(token, [payload.campaignId], [SECRET])).toEqual(payload);
    expect(parseReturnToken(token)).toEqual({ purpose: 'bounce', ref: campaignRef(payload.campaignId), subscriberId: 12345 });
  });

  it('fits an RFC 5321 local part (64 octets) with the longest campaign id and subscriber id', () => {
    const token = signReturnToken({ purpose: 'unsubscribe', campaignId: LONGEST_CAMPAIGN, subscriberId: Number.MAX_SAFE_INTEGER }, SECRET);
    expect(token.length).toBeLessThanOrEqual(RETURN_TOKEN_MAX_CHARS);
    expect(`unsubscribe+${token}`.length).toBeLessThanOrEqual(64);
    expect(token).toMatch(/^[a-z0-9]+$/);
  });

  it('survives an MTA that changes the case of the local part', () => {
    const token = signReturnToken(payload, SECRET);
    expect(verifyReturnToken(token.toUpperCase(), [payload.campaignId], [SECRET])).toEqual(payload);
  });

  it('rejects every altered character, another key, another campaign and another purpose', () => {
    const token = signReturnToken(payload, SECRET);
    for (let i = 1; i < token.length; i++) {
      const c = token[i] as string;
      const altered = token.slice(0, i) + (c === 'a' ? 'b' : c === '2' ? '3' : 'a') + token.slice(i + 1);
      const parsed = parseReturnToken(altered);
      const candidates = parsed ? [payload.campaignId] : [];
      const verified = verifyReturnToken(altered, candidates, [SECRET]);
      // Changing the subscriber id digits yields a different, unsigned payload: never the original's identity.
      expect(verified, `position ${i}`).toBeNull();
    }
    expect(verifyReturnToken(token, [payload.campaignId], [OLD])).toBeNull();
    expect(verifyReturnToken(token, ['daily-2025-02-14-a1b2c3'], [SECRET])).toBeNull();
    const asUnsubscribe = `u${token.slice(1)}`;
    expect(verifyReturnToken(asUnsubscribe, [payload.campaignId], [SECRET])).toBeNull();
  });

  it('accepts the previous secret during a rotation', () => {
    const token = signReturnToken(payload, OLD);
    expect(verifyReturnToken(token, [payload.campaignId], [SECRET, OLD])).toEqual(payload);
  });

  it('settles two campaigns sharing a reference by the MAC over the full id', () => {
    const token = signReturnToken(payload, SECRET);
    // Pretend another campaign had the same reference: it is tried and fails, the right one wins.
    expect(verifyReturnToken(token, ['another-campaign-id', payload.campaignId], [SECRET])).toEqual(payload);
  });

  it('refuses shapes that are not tokens', () => {
    for (const t of ['', 'b', 'x'.repeat(41), 'bAAAAAAAA', `z${'a'.repeat(28)}1`, `b${'a'.repeat(28)}0`, `b${'1'.repeat(28)}1`]) expect(parseReturnToken(t), t).toBeNull();
  });
});

describe('return addresses', () => {
  const addresses = createReturnAddresser({ secrets: [SECRET] });

  it('builds bounces+ and unsubscribe+ addresses at the From domain, or at BOUNCE_DOMAIN', () => {
    expect(addresses.forCampaign('c-1', 'news.example.com').bounceAddress(7)).toMatch(/^bounces\+b[a-z2-7]{28}7@news\.example\.com$/);
    const own = createReturnAddresser({ secrets: [SECRET], bounceDomain: 'bounces.example.net' });
    expect(own.forCampaign('c-1', 'news.example.com').unsubscribeAddress(7)).toMatch(/^unsubscribe\+u[a-z2-7]{28}7@bounces\.example\.net$/);
  });

  it('reads which return address a recipient is, and nothing else', () => {
    const bounce = addresses.forCampaign('c-1', 'news.example.com').bounceAddress(7);
    const opts = { feedbackAddresses: ['fbl@news.example.com'] };
    expect(readReturnAddress(bounce, opts)).toEqual({ kind: 'bounce', token: (bounce.split('+')[1] as string).split('@')[0] });
    expect(readReturnAddress(`<${bounce.toUpperCase()}>`, opts)?.kind).toBe('bounce');
    expect(readReturnAddress('fbl@news.example.com', opts)).toEqual({ kind: 'feedback' });
    expect(readReturnAddress('feedback@news.example.com', opts)).toBeNull();
    expect(readReturnAddress('feedback@anything.example', { feedbackAddresses: [] })).toEqual({ kind: 'feedback' });
    expect(readReturnAddress('unsubscribe@news.example.com', opts)).toEqual({ kind: 'unsubscribe-untokened' });
    expect(readReturnAddress('bounces+nottoken@news.example.com', opts)).toBeNull();
    expect(readReturnAddress('postmaster@news.example.com', opts)).toBeNull();
    expect(readReturnAddress(bounce, { ...opts, domain: 'other.example' })).toBeNull();
  });
});
