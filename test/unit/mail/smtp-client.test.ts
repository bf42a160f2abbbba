import { describe, expect, it } from 'vitest';
import { parseSmtpUrl } from '../../../src/mail/smtp-client.ts';
import { envelopeProblem, isLoopbackAddress, tlsDecision } from '../../../src/mail/smtp-connection.ts';

describe('parseSmtpUrl', () => {
  it('reads host, port, TLS mode and percent-encoded credentials, with the standard ports as defaults', () => {
    expect(parseSmtpUrl('smtp://news:s3cret%3A%2F%40@mail.example.com:2525')).toEqual({
      host: 'mail.example.com',
      port: 2525,
      implicitTls: false,
      credentials: { user: 'news', pass: 's3cret:/@' },
    });
    expect(parseSmtpUrl('smtp://mail.example.com')).toEqual({ host: 'mail.example.com', port: 587, implicitTls: false, credentials: undefined });
    expect(parseSmtpUrl('smtps://u:p@[::1]')).toEqual({ host: '::1', port: 465, implicitTls: true, credentials: { user: 'u', pass: 'p' } });
  });

  it('refuses other schemes and non-URLs without echoing the password', () => {
    expect(() => parseSmtpUrl('http://u:hunter2@mail.example.com')).toThrow(/smtp:\/\/user:pass@host:587/);
    expect(() => parseSmtpUrl('mail.example.com:587')).toThrow(/SMTP URL/);
    try {
      parseSmtpUrl('http://u:hunter2@mail.example.com');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

describe('tlsDecision (a connection that started in clear, after EHLO)', () => {
  it('upgrades whenever STARTTLS is offered', () => {
    expect(tlsDecision(true, false, '203.0.113.5')).toBe('starttls');
    expect(tlsDecision(true, true, '127.0.0.1')).toBe('starttls');
  });

  it('never sends a password in clear text to another machine', () => {
    expect(tlsDecision(false, true, '203.0.113.5')).toBe('refuse');
    expect(tlsDecision(false, true, '2001:db8::1')).toBe('refuse');
    expect(tlsDecision(false, true, undefined)).toBe('refuse');
  });

  it('goes on in clear without a password, or to this machine', () => {
    expect(tlsDecision(false, false, '203.0.113.5')).toBe('clear');
    expect(tlsDecision(false, true, '127.0.0.1')).toBe('clear');
    expect(tlsDecision(false, true, '::1')).toBe('clear');
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.45.6.7', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::2', false],
    ['localhost.example.com', false],
    ['', false],
  ])('%s → %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});

describe('envelopeProblem', () => {
  it('accepts ordinary and null senders, refuses anything that could break the command line', () => {
    expect(envelopeProblem({ from: 'news@example.com', to: 'reader@example.org' })).toBeUndefined();
    expect(envelopeProblem({ from: '', to: 'reader@example.org' })).toBeUndefined();
    expect(envelopeProblem({ from: 'news@example.com', to: 'x@y.org>\r\nRCPT TO:<z@w.org' })).toMatch(/recipient/);
    expect(envelopeProblem({ from: 'a b@example.com', to: 'reader@example.org' })).toMatch(/sender/);
    expect(envelopeProblem({ from: 'news@example.com', to: '' })).toMatch(/recipient/);
  });
});
