import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('SMTP_TLS_* settings', () => {
  it('default to Node\'s CAs, the URL\'s host and verified certificates', () => {
    expect(loadConfig({}).smtp.tls).toEqual({ ca: undefined, servername: undefined, insecure: false });
  });

  it('are read as given', () => {
    const c = loadConfig({ SMTP_TLS_CA: '/etc/ssl/relay-ca.pem', SMTP_TLS_SERVERNAME: 'relay.internal.example', SMTP_TLS_INSECURE: '1' });
    expect(c.smtp.tls).toEqual({ ca: '/etc/ssl/relay-ca.pem', servername: 'relay.internal.example', insecure: true });
  });

  it('name the variable when a value is bad', () => {
    let err: unknown;
    try {
      loadConfig({ SMTP_TLS_INSECURE: 'yes', SMTP_TLS_SERVERNAME: 'not a name' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'SMTP_TLS_SERVERNAME: must be a host name such as mail.example.com',
      'SMTP_TLS_INSECURE: must be 1 (accept an unverifiable certificate) or 0',
    ]);
  });
});
