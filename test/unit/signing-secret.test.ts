import { describe, expect, it } from 'vitest';
import { DEV_SECRET, loadConfig } from '../../src/config.ts';
import { generateSecret, keyIdOf, MIN_SECRET_CHARS, secretWeakness } from '../../src/domain/signing-secret.ts';
import { isLoopbackHost } from '../../src/domain/loopback.ts';
import { assertSigningSecret, listenHost, SecretRequiredError, signingSecretDecision } from '../../src/secret-guard.ts';

const STRONG = 'Qm9vdHN0cmFwIGEgc3Ryb25nIHNlY3JldCBoZXJl';

describe('secretWeakness', () => {
  it('refuses short secrets and secrets of few different characters; accepts random ones', () => {
    expect(secretWeakness('x'.repeat(MIN_SECRET_CHARS - 1))).toMatch(/at least 32 characters/);
    expect(secretWeakness('abcdabcd'.repeat(8))).toMatch(/only 4 different characters/);
    expect(secretWeakness(STRONG)).toBeNull();
    expect(secretWeakness(DEV_SECRET)).toBeNull(); // strong-looking, hence refused by name in config
  });

  it('generates secrets that pass, and never the same twice', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secretWeakness(a)).toBeNull();
    expect(generateSecret()).not.toBe(a);
  });

  it('gives each key a short id that depends on the key', () => {
    expect(keyIdOf(STRONG)).toMatch(/^[A-Za-z0-9_-]{4}$/);
    expect(keyIdOf(STRONG)).toBe(keyIdOf(STRONG));
    expect(keyIdOf(STRONG)).not.toBe(keyIdOf(`${STRONG}x`));
  });
});

describe('signingSecretDecision', () => {
  const dev = (env: Record<string, string>) => signingSecretDecision(loadConfig(env));

  it('refuses the development key when mail goes to real readers, whatever NODE_ENV says', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(dev({ NODE_ENV, SMTP_URL: 'smtp://mail.example.com:587' })).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/SMTP_URL/) });
    }
  });

  it('refuses the development key when PUBLIC_URL is not on loopback', () => {
    expect(dev({ PUBLIC_URL: 'https://news.example.com' })).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/PUBLIC_URL/) });
    expect(dev({ PUBLIC_URL: 'http://192.168.1.5:3000' })).toMatchObject({ kind: 'refuse' });
  });

  it('allows it for the dev outbox on loopback, and anything with a secret of its own', () => {
    expect(dev({})).toEqual({ kind: 'dev-key' });
    expect(dev({ PUBLIC_URL: 'http://127.0.0.1:3000' })).toEqual({ kind: 'dev-key' });
    expect(dev({ PUBLIC_URL: 'http://[::1]:3000' })).toEqual({ kind: 'dev-key' });
    expect(dev({ NEWSDESK_SECRET: STRONG, SMTP_URL: 'smtp://mail.example.com:587', PUBLIC_URL: 'https://news.example.com' })).toEqual({ kind: 'configured' });
  });

  it('refuses the development key for a server listening beyond loopback, where others can use its links', () => {
    expect(signingSecretDecision(loadConfig({}), { listenHost: '0.0.0.0' })).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/listen on 0\.0\.0\.0/) });
    expect(signingSecretDecision(loadConfig({}), { listenHost: '::' })).toMatchObject({ kind: 'refuse' });
    expect(signingSecretDecision(loadConfig({}), { listenHost: '127.0.0.1' })).toEqual({ kind: 'dev-key' });
    expect(signingSecretDecision(loadConfig({ NEWSDESK_SECRET: STRONG }), { listenHost: '0.0.0.0' })).toEqual({ kind: 'configured' });
  });

  it('serve listens on every interface with a secret of its own, on loopback with the development key, or where told', () => {
    expect(listenHost(undefined, loadConfig({ NEWSDESK_SECRET: STRONG }))).toBe('0.0.0.0');
    expect(listenHost(undefined, loadConfig({}))).toBe('127.0.0.1');
    expect(listenHost('::1', loadConfig({}))).toBe('::1');
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['example.com', '10.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '::2']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('assertSigningSecret', () => {
  it('throws a SecretRequiredError naming the command and NEWSDESK_SECRET, and warns about the dev key on loopback', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    expect(() => assertSigningSecret(loadConfig({ SMTP_URL: 'smtp://mail.example.com' }), { command: 'newsdesk worker', warn })).toThrow(SecretRequiredError);
    expect(() => assertSigningSecret(loadConfig({ SMTP_URL: 'smtp://mail.example.com' }), { command: 'newsdesk worker', warn })).toThrow(
      /newsdesk worker refuses to start without NEWSDESK_SECRET/,
    );
    expect(warnings).toEqual([]);
    assertSigningSecret(loadConfig({}), { command: 'newsdesk serve', warn });
    expect(warnings).toEqual([expect.stringMatching(/newsdesk serve: links are signed with the public development key/)]);
    assertSigningSecret(loadConfig({ NEWSDESK_SECRET: STRONG }), { command: 'newsdesk serve', warn });
    expect(warnings).toHaveLength(1);
  });
});
