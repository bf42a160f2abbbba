/** Provider authentication as pure checks: SendGrid's ECDSA, Mailgun's HMAC, Basic auth, SNS URLs. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { basicAuthMatches } from '../../../src/http/webhooks/basic-auth.ts';
import { isTrustedCertUrl, isTrustedSubscribeUrl, snsStringToSign, type SnsMessage } from '../../../src/mail/esp/sns-message.ts';
import { sendGridPublicKey, verifyMailgunSignature, verifySendGridSignature, WebhookSignatureError } from '../../../src/mail/esp/webhook-signatures.ts';
import { mailgunSignature, makeSendGridKeys } from '../../support/esp-signing.ts';

const NOW = 1_764_300_000_000;
const secs = (ms: number) => String(Math.floor(ms / 1000));

describe('SendGrid signature', () => {
  const keys = makeSendGridKeys();
  const key = sendGridPublicKey(keys.publicKeyBase64);
  const body = Buffer.from('[{"event":"bounce"}]');
  const ts = secs(NOW);

  it('accepts the signature over timestamp + exact body', () => {
    expect(() => verifySendGridSignature({ key, signature: keys.sign(ts, body), timestamp: ts, body, now: NOW })).not.toThrow();
  });

  it('refuses an altered body, another timestamp, another key, a missing header and an old timestamp', () => {
    const sig = keys.sign(ts, body);
    const refuses = (input: Partial<Parameters<typeof verifySendGridSignature>[0]>, message: RegExp) =>
      expect(() => verifySendGridSignature({ key, signature: sig, timestamp: ts, body, now: NOW, ...input })).toThrow(message);
    refuses({ body: Buffer.from('[{"event":"bounce"} ]') }, /does not match/);
    refuses({ timestamp: secs(NOW + 1000) }, /does not match/);
    refuses({ key: sendGridPublicKey(makeSendGridKeys().publicKeyBase64) }, /does not match/);
    refuses({ signature: undefined }, /Signature: missing/);
    refuses({ signature: 'bm90IGEgc2lnbmF0dXJl' }, /does not match/);
    refuses({ timestamp: undefined }, /Timestamp: missing/);
    const old = secs(NOW - 6 * 60_000);
    refuses({ timestamp: old, signature: keys.sign(old, body) }, /more than 300 s from now/);
  });

  it('reads the key as SendGrid shows it (base64 DER) or as PEM, and refuses a key of another kind', () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${keys.publicKeyBase64}\n-----END PUBLIC KEY-----`;
    expect(sendGridPublicKey(pem).asymmetricKeyType).toBe('ec');
    expect(() => sendGridPublicKey('bm90IGEga2V5')).toThrow();
  });
});

describe('Mailgun signature', () => {
  const signingKey = 'key-0123456789abcdef0123456789abcdef';

  it('accepts Mailgun\'s HMAC of timestamp + token', () => {
    const s = mailgunSignature(signingKey, Number(secs(NOW)));
    expect(() => verifyMailgunSignature({ signingKey, ...s, now: NOW })).not.toThrow();
  });

  it('refuses another key, an altered token, and a timestamp older than five minutes', () => {
    const s = mailgunSignature(signingKey, Number(secs(NOW)));
    expect(() => verifyMailgunSignature({ signingKey: `${signingKey}x`, ...s, now: NOW })).toThrow(WebhookSignatureError);
    expect(() => verifyMailgunSignature({ signingKey, ...s, token: `${s.token}x`, now: NOW })).toThrow(/does not match/);
    const old = mailgunSignature(signingKey, Number(secs(NOW - 301_000)));
    expect(() => verifyMailgunSignature({ signingKey, ...old, now: NOW })).toThrow(/from now/);
    const hmac = createHmac('sha256', signingKey).update(s.timestamp + s.token).digest('hex');
    expect(hmac).toBe(s.signature);
  });
});

describe('basicAuthMatches', () => {
  const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  it('matches exactly the configured user and password', () => {
    expect(basicAuthMatches(header('postmark', 'a-long-password-123'), 'postmark', 'a-long-password-123')).toBe(true);
    expect(basicAuthMatches(header('postmark', 'a-long-password-12'), 'postmark', 'a-long-password-123')).toBe(false);
    expect(basicAuthMatches(header('Postmark', 'a-long-password-123'), 'postmark', 'a-long-password-123')).toBe(false);
    expect(basicAuthMatches(`Bearer x`, 'postmark', 'a-long-password-123')).toBe(false);
    expect(basicAuthMatches(undefined, 'postmark', 'a-long-password-123')).toBe(false);
    expect(basicAuthMatches(`Basic ${Buffer.from('no-colon').toString('base64')}`, 'no-colon', '')).toBe(false);
  });
});

describe('SNS', () => {
  it('trusts certificates only from https://sns.<region>.amazonaws.com/….pem', () => {
    expect(isTrustedCertUrl('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem')).toBe(true);
    expect(isTrustedCertUrl('https://sns.eu-west-2.amazonaws.com/x.pem')).toBe(true);
    for (const bad of [
      'http://sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com.evil.com/x.pem',
      'https://evil.com/sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com:8443/x.pem',
      'https://user@sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com/x.txt',
      'https://s3.amazonaws.com/x.pem',
      'not a url',
    ]) {
      expect(isTrustedCertUrl(bad), bad).toBe(false);
    }
  });

  it('fetches a SubscribeURL only for the configured topic, on the SNS host of its region', () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:ses-bounces';
    const confirm = (host: string, arn = topic, action = 'ConfirmSubscription') => `https://${host}/?Action=${action}&TopicArn=${encodeURIComponent(arn)}&Token=y`;
    expect(isTrustedSubscribeUrl(confirm('sns.us-east-1.amazonaws.com'), topic)).toBe(true);
    for (const bad of [
      confirm('evil.example'),
      confirm('sns.us-east-1.amazonaws.com', topic, 'Publish'),
      // Another region's SNS host, another topic, or a topic that is no SNS ARN.
      confirm('sns.eu-west-1.amazonaws.com'),
      confirm('sns.us-east-1.amazonaws.com', 'arn:aws:sns:us-east-1:123456789012:someone-elses'),
      `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=y`,
      `http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic)}`,
    ]) {
      expect(isTrustedSubscribeUrl(bad, topic), bad).toBe(false);
    }
    expect(isTrustedSubscribeUrl(confirm('sns.us-east-1.amazonaws.com', 'not-an-arn'), 'not-an-arn')).toBe(false);
  });

  it('builds the string to sign from the documented fields, Subject only when present', () => {
    const base = { MessageId: 'm', TopicArn: 't', Message: 'hello', Timestamp: 'ts', SignatureVersion: '1', Signature: 's', SigningCertURL: 'u' } as const;
    expect(snsStringToSign({ ...base, Type: 'Notification' } as SnsMessage)).toBe('Message\nhello\nMessageId\nm\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n');
    expect(snsStringToSign({ ...base, Type: 'Notification', Subject: 'S' } as SnsMessage)).toContain('MessageId\nm\nSubject\nS\nTimestamp');
    expect(snsStringToSign({ ...base, Type: 'SubscriptionConfirmation', SubscribeURL: 'su', Token: 'tok' } as SnsMessage)).toBe(
      'Message\nhello\nMessageId\nm\nSubscribeURL\nsu\nTimestamp\nts\nToken\ntok\nTopicArn\nt\nType\nSubscriptionConfirmation\n',
    );
  });
});
