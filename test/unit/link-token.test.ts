import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CampaignId } from '../../src/domain/campaign.schema.ts';
import { CONFIRM_TOKEN_MAX_AGE_MS, signLinkToken, verifyLinkToken, type LinkTokenPayload } from '../../src/domain/link-token.ts';
import { keyIdOf } from '../../src/domain/signing-secret.ts';
import { MAX_PATH_PARAM_CHARS } from '../../src/http/validation.ts';

const SECRET = 'a-test-secret-that-is-long-enough-0001';
const PREVIOUS = 'the-previous-secret-that-is-long-enough';
const payload: LinkTokenPayload = { subscriberId: 123_456, purpose: 'unsubscribe', scope: { kind: 'campaign', id: '2025-02-13-daily' }, issuedAt: 1_739_440_000_000 };

/** Every character a token may contain, plus a few it may not. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%+/= é';

describe('signLinkToken / verifyLinkToken', () => {
  it('round-trips every purpose and scope kind', () => {
    for (const purpose of ['unsubscribe', 'view', 'confirm'] as const) {
      for (const scope of [{ kind: 'list', id: 'daily' }, { kind: 'campaign', id: 'c_01HZX' }] as const) {
        const p = { ...payload, purpose, scope };
        expect(verifyLinkToken(signLinkToken(p, SECRET), [SECRET])).toEqual(p);
      }
    }
  });

  it('signs for the longest campaign id and the largest subscriber id, within the router\'s 200-character path limit', () => {
    const longest = { ...payload, subscriberId: Number.MAX_SAFE_INTEGER, scope: { kind: 'campaign', id: `${'n'.repeat(63)}-2025-02-13-abcdef` } } as const;
    expect(CampaignId.safeParse(longest.scope.id).success).toBe(true);
    expect(longest.scope.id).toHaveLength(81);
    const token = signLinkToken(longest, SECRET);
    expect(verifyLinkToken(token, [SECRET])).toEqual(longest);
    expect(token.length).toBeLessThanOrEqual(MAX_PATH_PARAM_CHARS);
  });

  it('is URL-safe and short', () => {
    const token = signLinkToken(payload, SECRET);
    expect(encodeURIComponent(token)).toBe(token);
    expect(token.length).toBeLessThanOrEqual(64);
  });

  it('rejects every single-character alteration', () => {
    const token = signLinkToken(payload, SECRET);
    let tried = 0;
    for (let i = 0; i < token.length; i++) {
      for (const c of ALPHABET) {
        if (c === token[i]) continue;
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        expect(verifyLinkToken(altered, [SECRET]), altered).toBeNull();
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(1000);
  });

  it('rejects a token with a character removed or inserted', () => {
    const token = signLinkToken(payload, SECRET);
    for (let i = 0; i <= token.length; i++) {
      if (i < token.length) expect(verifyLinkToken(token.slice(0, i) + token.slice(i + 1), [SECRET])).toBeNull();
      expect(verifyLinkToken(`${token.slice(0, i)}a${token.slice(i)}`, [SECRET])).toBeNull();
    }
  });

  it('rejects a MAC moved from another valid token', () => {
    const a = signLinkToken(payload, SECRET);
    const b = signLinkToken({ ...payload, subscriberId: 7 }, SECRET);
    const forged = `${b.slice(0, b.lastIndexOf('.'))}${a.slice(a.lastIndexOf('.'))}`;
    expect(verifyLinkToken(forged, [SECRET])).toBeNull();
  });

  it('rejects a token signed with another secret', () => {
    expect(verifyLinkToken(signLinkToken(payload, 'someone-elses-secret-that-is-long-enough'), [SECRET])).toBeNull();
  });

  it('accepts the previous secret during a rotation, and stops when it is dropped', () => {
    const old = signLinkToken(payload, PREVIOUS);
    expect(verifyLinkToken(old, [SECRET, PREVIOUS])).toEqual(payload);
    expect(verifyLinkToken(old, [SECRET])).toBeNull();
    expect(verifyLinkToken(signLinkToken(payload, SECRET), [SECRET, PREVIOUS])).toEqual(payload);
  });

  it('names its key, so a rotation with several previous keys checks each token against its own', () => {
    const older = 'an-even-older-secret-that-is-long-enough';
    const token = signLinkToken(payload, PREVIOUS);
    expect(token.split('.')[4]).toBe(keyIdOf(PREVIOUS));
    expect(verifyLinkToken(token, [SECRET, PREVIOUS, older])).toEqual(payload);
    expect(verifyLinkToken(signLinkToken(payload, older), [SECRET, PREVIOUS, older])).toEqual(payload);
    // The key id is covered by the MAC: pointing it at another key fails.
    const parts = token.split('.');
    parts[4] = keyIdOf(SECRET);
    expect(verifyLinkToken(parts.join('.'), [SECRET, PREVIOUS, older])).toBeNull();
  });

  it('still accepts tokens mailed before key ids, signed with any key of the rotation', () => {
    // The form links had before key ids: the same fields and MAC, no key id.
    const legacy = (secret: string) => {
      const body = ['uc', payload.subscriberId.toString(36), payload.scope.id, payload.issuedAt.toString(36)].join('.');
      const mac = createHmac('sha256', secret).update('newsdesk-token-v1\n').update(body).digest().subarray(0, 16).toString('base64url');
      return `${body}.${mac}`;
    };
    expect(verifyLinkToken(legacy(SECRET), [SECRET])).toEqual(payload);
    expect(verifyLinkToken(legacy(PREVIOUS), [SECRET, PREVIOUS])).toEqual(payload);
    expect(verifyLinkToken(legacy(PREVIOUS), [SECRET])).toBeNull();
  });

  it('expires confirmation links when asked to', () => {
    const issuedAt = 1_000_000;
    const token = signLinkToken({ ...payload, purpose: 'confirm', issuedAt }, SECRET);
    const opts = (now: number) => ({ maxAgeMs: CONFIRM_TOKEN_MAX_AGE_MS, now });
    expect(verifyLinkToken(token, [SECRET], opts(issuedAt + CONFIRM_TOKEN_MAX_AGE_MS))).not.toBeNull();
    expect(verifyLinkToken(token, [SECRET], opts(issuedAt + CONFIRM_TOKEN_MAX_AGE_MS + 1))).toBeNull();
  });

  it('answers null, without throwing, for garbage', () => {
    for (const junk of ['', '.', '....', 'ul.1.daily.1', 'ul.1.daily.1.x', `xx.1.daily.1.${'A'.repeat(22)}`, 'é'.repeat(40), `ul.1.a.b.${'é'.repeat(22)}`]) {
      expect(verifyLinkToken(junk, [SECRET])).toBeNull();
    }
  });

  it('refuses to sign a scope id that would not survive in a URL', () => {
    expect(() => signLinkToken({ ...payload, scope: { kind: 'list', id: 'has.dot' } }, SECRET)).toThrow();
    expect(() => signLinkToken({ ...payload, scope: { kind: 'list', id: 'a/b' } }, SECRET)).toThrow();
  });

  it('signs only what the payload schema accepts: the quick check lets nothing else through', () => {
    // Each of these passes a loose check (a number, an own-looking key, an object) but not the schema.
    const bad: unknown[] = [
      { ...payload, subscriberId: 0 },
      { ...payload, subscriberId: 1.5 },
      { ...payload, subscriberId: 2 ** 60 },
      { ...payload, purpose: 'toString' },
      { ...payload, scope: { kind: 'constructor', id: 'daily' } },
      { ...payload, scope: { kind: 'list', id: 'daily', extra: 1 } },
      { ...payload, scope: { kind: 'list', id: 'x'.repeat(82) } },
      { ...payload, issuedAt: -1 },
      { ...payload, extra: true },
    ];
    for (const p of bad) expect(() => signLinkToken(p as LinkTokenPayload, SECRET), JSON.stringify(p)).toThrow();
    // What it accepts signs exactly as the MAC over the documented form says.
    const body = `uc.${(123_456).toString(36)}.2025-02-13-daily.${(1_739_440_000_000).toString(36)}.${keyIdOf(SECRET)}`;
    const mac = createHmac('sha256', SECRET).update('newsdesk-token-v1\n').update(body).digest().subarray(0, 16).toString('base64url');
    expect(signLinkToken(payload, SECRET)).toBe(`${body}.${mac}`);
  });
});
