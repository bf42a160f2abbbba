/** The settings of the ESP webhooks and the IMAP poller: read, checked together, named when wrong. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

describe('webhook and IMAP settings', () => {
  it('with none set, no provider has a route and there is no poller', () => {
    const c = loadConfig({});
    expect(c.webhooks).toEqual({ ses: undefined, postmark: undefined, sendgrid: undefined, mailgun: undefined });
    expect(c.imap).toBeUndefined();
  });

  it('reads every provider', () => {
    const c = loadConfig({
      SES_SNS_TOPIC_ARNS: 'arn:aws:sns:us-east-1:123456789012:ses-bounces, arn:aws:sns:eu-west-1:123456789012:ses-complaints',
      POSTMARK_WEBHOOK_USER: 'postmark',
      POSTMARK_WEBHOOK_PASSWORD: 'a-long-enough-password',
      POSTMARK_WEBHOOK_IPS: '3.134.147.250, 2001:db8::1',
      SENDGRID_WEBHOOK_PUBLIC_KEY: ecKey,
      MAILGUN_WEBHOOK_SIGNING_KEY: 'key-0123456789abcdef',
    });
    expect(c.webhooks.ses?.topicArns).toEqual(['arn:aws:sns:us-east-1:123456789012:ses-bounces', 'arn:aws:sns:eu-west-1:123456789012:ses-complaints']);
    expect(c.webhooks.postmark).toEqual({ user: 'postmark', password: 'a-long-enough-password', allowedIps: ['3.134.147.250', '2001:db8::1'] });
    expect(c.webhooks.sendgrid?.publicKey).toBe(ecKey);
    expect(c.webhooks.mailgun?.signingKey).toBe('key-0123456789abcdef');
  });

  it('names each bad setting', () => {
    const names = problemsOf({
      SES_SNS_TOPIC_ARNS: 'arn:aws:s3:::bucket',
      POSTMARK_WEBHOOK_USER: 'postmark',
      POSTMARK_WEBHOOK_IPS: 'not-an-ip',
      SENDGRID_WEBHOOK_PUBLIC_KEY: rsaKey,
      MAILGUN_WEBHOOK_SIGNING_KEY: 'short',
      INBOUND_IMAP_URL: 'imaps://imap.example.com/INBOX',
    }).map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining(['SES_SNS_TOPIC_ARNS', 'POSTMARK_WEBHOOK_PASSWORD', 'POSTMARK_WEBHOOK_IPS', 'SENDGRID_WEBHOOK_PUBLIC_KEY', 'MAILGUN_WEBHOOK_SIGNING_KEY', 'INBOUND_IMAP_URL']),
    );
  });

  it('reads the IMAP mailbox, hides its password for logs, and refuses folders that would loop', () => {
    const c = loadConfig({ INBOUND_IMAP_URL: 'imaps://bounces%40example.com:s3cr%3At@imap.example.com:993/Bounces', INBOUND_IMAP_POLL_SECONDS: '30' });
    expect(c.imap).toEqual({
      url: 'imaps://bounces%40example.com:s3cr%3At@imap.example.com:993/Bounces',
      describe: 'imaps://bounces%40example.com:***@imap.example.com:993/Bounces',
      doneFolder: 'newsdesk-processed',
      unparsedFolder: 'newsdesk-unparsed',
      pollSeconds: 30,
    });
    expect(problemsOf({ INBOUND_IMAP_URL: 'imaps://u:p@h/INBOX', INBOUND_IMAP_DONE_FOLDER: 'INBOX' })[0]).toMatch(/^INBOUND_IMAP_DONE_FOLDER: .*three different folders/);
    expect(problemsOf({ INBOUND_IMAP_URL: 'imaps://u:p@h/INBOX', INBOUND_IMAP_UNPARSED_FOLDER: 'newsdesk-processed' })).toHaveLength(1);
    expect(problemsOf({ INBOUND_IMAP_URL: 'https://u:p@h/INBOX' })[0]).toMatch(/^INBOUND_IMAP_URL/);
  });
});
