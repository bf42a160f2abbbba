import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_SECRET, loadConfig, unknownSettingWarnings } from '../../src/config.ts';

const STRONG = 'Qm9vdHN0cmFwIGEgc3Ryb25nIHNlY3JldCBoZXJl';

describe('loadConfig', () => {
  it('runs on embedded defaults with nothing set', () => {
    const c = loadConfig({});
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379', db: 0, prefix: 'newsdesk' });
    expect(c.smtp.url).toBeUndefined();
    expect(c.secrets).toEqual([DEV_SECRET]);
    expect(c.devSecret).toBe(true);
    expect(c.dkim).toBeUndefined();
  });

  it('reads the database index from REDIS_URL and strips a trailing slash from PUBLIC_URL', () => {
    const c = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/5', PUBLIC_URL: 'https://news.example.com/' });
    expect(c.redis.db).toBe(5);
    expect(c.publicUrl).toBe('https://news.example.com');
  });

  it('puts the signing secret first and accepts several previous ones', () => {
    const [now, old1, old2] = [STRONG, `${STRONG}-2`, `older-${STRONG}`];
    const c = loadConfig({ NEWSDESK_SECRET: now, NEWSDESK_SECRET_PREVIOUS: `${old1}, ${old2}` });
    expect(c.secrets).toEqual([now, old1, old2]);
    expect(c.devSecret).toBe(false);
  });

  it('refuses the development key and weak secrets, whatever NODE_ENV says, as the secret or a previous one', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      expect(() => loadConfig({ NODE_ENV, NEWSDESK_SECRET: DEV_SECRET })).toThrow(/NEWSDESK_SECRET: is the public development key/);
      expect(() => loadConfig({ NODE_ENV, NEWSDESK_SECRET: 'short-secret' })).toThrow(/NEWSDESK_SECRET: must be at least 32 characters/);
      expect(() => loadConfig({ NODE_ENV, NEWSDESK_SECRET: 'ab'.repeat(20) })).toThrow(/NEWSDESK_SECRET: has only 2 different characters/);
      expect(() => loadConfig({ NODE_ENV, NEWSDESK_SECRET: STRONG, NEWSDESK_SECRET_PREVIOUS: `${STRONG}-old,${DEV_SECRET}` })).toThrow(
        /NEWSDESK_SECRET_PREVIOUS\.1: is the public development key/,
      );
    }
  });

  it('takes a dead worker\'s jobs over in seconds by default, and reads the recovery timings from the environment', () => {
    expect(loadConfig({}).send).toMatchObject({ lockMs: 5_000, stalledCheckMs: 2_000, leaseMs: 300_000 });
    const c = loadConfig({ WORKER_LOCK_MS: '8000', WORKER_STALLED_CHECK_MS: '1500', DELIVERY_LEASE_MS: '60000' });
    expect(c.send).toMatchObject({ lockMs: 8_000, stalledCheckMs: 1_500, leaseMs: 60_000 });
  });

  it('names a recovery timing out of range, and a delivery lease shorter than twice the job lock', () => {
    expect(() => loadConfig({ WORKER_STALLED_CHECK_MS: '100' })).toThrow(/WORKER_STALLED_CHECK_MS: Too small/);
    expect(() => loadConfig({ WORKER_LOCK_MS: '500' })).toThrow(/WORKER_LOCK_MS: Too small/);
    expect(() => loadConfig({ DELIVERY_LEASE_MS: 'soon' })).toThrow(/DELIVERY_LEASE_MS: expected number/);
    expect(() => loadConfig({ WORKER_LOCK_MS: '60000', DELIVERY_LEASE_MS: '100000' })).toThrow(
      /DELIVERY_LEASE_MS: must be at least twice WORKER_LOCK_MS \(60000 ms\)/,
    );
    expect(loadConfig({ WORKER_LOCK_MS: '50000', DELIVERY_LEASE_MS: '100000' }).send.leaseMs).toBe(100_000);
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      loadConfig({
        REDIS_URL: 'http://localhost',
        SMTP_URL: 'not a url',
        SMTP_POOL_SIZE: 'lots',
        NEWSDESK_SECRET: 'short',
        DKIM_DOMAIN: 'example.com',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = (err as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining(['REDIS_URL', 'SMTP_URL', 'SMTP_POOL_SIZE', 'NEWSDESK_SECRET', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY']),
    );
  });

  it('reads the optional Ed25519 DKIM key beside the RSA one, and the signing threads', () => {
    const rsa = { DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: '/keys/rsa.pem' };
    expect(loadConfig(rsa).dkim).toEqual({ domain: 'example.com', selector: 's1', privateKey: '/keys/rsa.pem', threads: expect.any(Number) });
    expect(loadConfig(rsa).dkim?.threads).toBeGreaterThanOrEqual(1);
    const both = loadConfig({ ...rsa, DKIM_ED25519_SELECTOR: 'e1', DKIM_ED25519_PRIVATE_KEY: '/keys/ed.pem', DKIM_THREADS: '0' });
    expect(both.dkim).toEqual({ domain: 'example.com', selector: 's1', privateKey: '/keys/rsa.pem', ed25519: { selector: 'e1', privateKey: '/keys/ed.pem' }, threads: 0 });
    expect(() => loadConfig({ ...rsa, DKIM_ED25519_SELECTOR: 'e1' })).toThrow(/DKIM_ED25519_PRIVATE_KEY: required when any DKIM_ED25519_\* variable is set/);
    expect(() => loadConfig({ DKIM_ED25519_SELECTOR: 'e1', DKIM_ED25519_PRIVATE_KEY: '/keys/ed.pem' })).toThrow(/beside an RSA one: set DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY/);
    expect(() => loadConfig({ ...rsa, DKIM_THREADS: 'many' })).toThrow(/DKIM_THREADS/);
  });

  it('uses newsdesk\'s SMTP client unless SMTP_CLIENT asks for nodemailer, and names a bad value', () => {
    expect(loadConfig({}).smtp.client).toBe('newsdesk');
    expect(loadConfig({ SMTP_CLIENT: 'nodemailer' }).smtp.client).toBe('nodemailer');
    expect(() => loadConfig({ SMTP_CLIENT: 'postfix' })).toThrow(/SMTP_CLIENT: .*newsdesk.*nodemailer/);
  });

  it('requires a real secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/NEWSDESK_SECRET: required in production/);
  });

  it('rejects a REDIS_URL path that is not a database index', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/cache' })).toThrow(/REDIS_URL/);
  });

  it('reads Redis Cluster seed nodes from REDIS_CLUSTER_NODES, credentials from REDIS_URL', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.5:7000, redis-b.internal:7001,[::1]:7002', REDIS_URL: 'rediss://u:p@ignored:6379' });
    expect(c.redis.cluster).toEqual([
      { host: '10.0.0.5', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(c.redis.url).toBe('rediss://u:p@ignored:6379');
    expect(loadConfig({}).redis.cluster).toBeUndefined();
  });

  it('names a bad REDIS_CLUSTER_NODES entry, and a database index with a cluster', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.5:7000,10.0.0.6' })).toThrow(/REDIS_CLUSTER_NODES: "10.0.0.6" is not host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:99999' })).toThrow(/REDIS_CLUSTER_NODES: "a:99999"/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: ' , ' })).toThrow(/REDIS_CLUSTER_NODES: needs at least one host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.5:7000', REDIS_URL: 'redis://x:6379/3' })).toThrow(/REDIS_URL: a Redis Cluster has only database 0/);
  });
});

describe('unknownSettingWarnings (issue 15: a mistyped variable is no longer ignored in silence)', () => {
  it('names the closest known setting for an unknown NEWSDESK_*, SMTP_*, SEND_* or DKIM_* variable', () => {
    expect(
      unknownSettingWarnings({ NEWSDESK_SECERT: 'x', SMTP_ULR: 'smtp://h', SEND_RATE_PER_SECONDS: '40', NEWSDESK_COLOUR: 'red', SMTP_URL: 'smtp://h', PATH: '/bin', HOME: '/root' }),
    ).toEqual([
      'NEWSDESK_COLOUR is not a newsdesk setting and is ignored',
      'NEWSDESK_SECERT is not a newsdesk setting and is ignored; did you mean NEWSDESK_SECRET?',
      'SEND_RATE_PER_SECONDS is not a newsdesk setting and is ignored; did you mean SEND_RATE_PER_SECOND?',
      'SMTP_ULR is not a newsdesk setting and is ignored; did you mean SMTP_URL?',
    ]);
  });

  it('is quiet for known settings and for other programs\' variables', () => {
    expect(unknownSettingWarnings({ NEWSDESK_PREFIX: 'a', SMTP_POOL_SIZE: '2', DKIM_DOMAIN: 'x', REDIS_HOST: 'x', NODE_OPTIONS: '' })).toEqual([]);
  });
});
