import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig: the web side', () => {
  it('defaults to no admin password, no trusted proxy, 10 sign-ups a minute per address, 2-hour idle sessions, a year of audit', () => {
    expect(loadConfig({}).http).toEqual({ adminPassword: undefined, trustProxy: 0, subscribeRatePerMinute: 10, sessionIdleMs: 2 * 3600_000 });
    expect(loadConfig({}).audit).toEqual({ retentionDays: 365 });
  });

  it('reads NEWSDESK_ADMIN_PASSWORD, TRUST_PROXY, SUBSCRIBE_RATE_PER_MINUTE, ADMIN_SESSION_IDLE_MINUTES and AUDIT_RETENTION_DAYS', () => {
    const c = loadConfig({
      NEWSDESK_ADMIN_PASSWORD: 'correct horse battery',
      TRUST_PROXY: '1',
      SUBSCRIBE_RATE_PER_MINUTE: '30',
      ADMIN_SESSION_IDLE_MINUTES: '30',
      AUDIT_RETENTION_DAYS: '90',
    });
    expect(c.http).toEqual({ adminPassword: 'correct horse battery', trustProxy: 1, subscribeRatePerMinute: 30, sessionIdleMs: 30 * 60_000 });
    expect(c.audit).toEqual({ retentionDays: 90 });
  });

  it('names a password that is too short, and a bad proxy count', () => {
    let err: unknown;
    try {
      loadConfig({ NEWSDESK_ADMIN_PASSWORD: 'hunter2', TRUST_PROXY: 'yes' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual(
      expect.arrayContaining(['NEWSDESK_ADMIN_PASSWORD: must be at least 12 characters', expect.stringMatching(/^TRUST_PROXY: /)]),
    );
  });
});
