/**
 * ESP webhooks end to end: requests signed the way each provider signs them (with keys this test
 * makes), through `buildServer`, into the real return-path service on real Redis. Each forged,
 * stale, replayed or malformed request is refused and changes nothing.
 */
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/http/server.ts';
import { POSTMARK_MESSAGE_ID_METADATA } from '../../../src/mail/esp/postmark.events.ts';
import type { SnsMessage } from '../../../src/mail/esp/sns-message.ts';
import { mailgunSignature, makeSendGridKeys, makeSnsCertificate, SNS_CERT_URL, SNS_TOPIC, signedSnsMessage } from '../../support/esp-signing.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import { snapshot } from '../../support/store-fixtures.ts';

const fixtureText = (name: string) => readFileSync(new URL(`../../fixtures/esp/${name}`, import.meta.url), 'utf8');
const fixture = (name: string) => JSON.parse(fixtureText(name)) as Record<string, any>;

const POSTMARK = { user: 'postmark-hook', password: 'correct-horse-battery-staple' };
const MAILGUN_KEY = 'key-test-0123456789abcdef0123456789';
const sendGrid = makeSendGridKeys();

describe('ESP webhooks', () => {
  let h: HttpHarness;
  let sns: { certPem: string; keyPem: string };
  /** Every URL the SES route fetched (certificates, confirmations). */
  const fetched: string[] = [];
  let campaignId: string;
  let ids: number[];
  let n = 0;
  /** A fresh subscriber of the campaign and the Message-ID the send path gave its copy. */
  const nextReader = () => {
    const id = ids[n++] as number;
    return { id, messageId: `<${campaignId}.${id}@news.example.com>` };
  };
  const status = async (id: number) => (await h.app.stores.subscribers.get(id))?.status;

  beforeAll(async () => {
    sns = await makeSnsCertificate();
    h = await startHttp({
      env: {
        SES_SNS_TOPIC_ARNS: SNS_TOPIC,
        POSTMARK_WEBHOOK_USER: POSTMARK.user,
        POSTMARK_WEBHOOK_PASSWORD: POSTMARK.password,
        SENDGRID_WEBHOOK_PUBLIC_KEY: sendGrid.publicKeyBase64,
        MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY,
      },
      server: {
        webhookHttpsGet: async (url) => {
          fetched.push(url);
          if (url === SNS_CERT_URL) return sns.certPem;
          if (url.includes('Action=ConfirmSubscription')) return '<ConfirmSubscriptionResponse/>';
          throw new Error(`unexpected fetch ${url}`);
        },
      },
    });
    ids = await h.addSubscribers('daily', 20);
    campaignId = (await h.createCampaign(['daily'])).id;
  });
  afterAll(async () => h?.close());

  /** Asserts a request is refused with `code` and that no key in Redis changed. */
  async function refused(send: () => Promise<LightMyRequestResponse>, code: number, error: RegExp) {
    const before = await snapshot(h.t.redis, h.t.prefix);
    const res = await send();
    expect(res.statusCode, res.body).toBe(code);
    expect(res.json().error).toMatch(error);
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
    return res;
  }

  describe('SES via SNS', () => {
    const post = (m: unknown) => h.server.inject({ method: 'POST', url: '/webhooks/ses', headers: { 'content-type': 'text/plain; charset=UTF-8' }, payload: JSON.stringify(m) });
    const bounceFor = (messageId: string, version: '1' | '2' = '2', edit?: (n: Record<string, any>) => void) => {
      const n = fixture('ses-bounce.json');
      n.mail.commonHeaders.messageId = messageId;
      n.bounce.bouncedRecipients = [n.bounce.bouncedRecipients[0]];
      n.bounce.feedbackId = `feedback-${messageId}`;
      edit?.(n);
      return signedSnsMessage(sns.keyPem, { Type: 'Notification', Message: JSON.stringify(n) }, version);
    };

    it('a signed Permanent bounce (SignatureVersion 1 and 2) marks the reader bounced; the same notification again is a duplicate', async () => {
      for (const version of ['1', '2'] as const) {
        const reader = nextReader();
        const m = bounceFor(reader.messageId, version);
        const res = await post(m);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toEqual({ events: 1, outcomes: { applied: 1 } });
        expect(await status(reader.id)).toBe('bounced');
        expect((await post(m)).json()).toEqual({ events: 1, outcomes: { duplicate: 1 } });
      }
      // The certificate was fetched once and kept.
      expect(fetched.filter((u) => u === SNS_CERT_URL)).toHaveLength(1);
    });

    it('a complaint marks the reader complained', async () => {
      const reader = nextReader();
      const n = fixture('ses-complaint.json');
      n.mail.commonHeaders.messageId = reader.messageId;
      const res = await post(signedSnsMessage(sns.keyPem, { Type: 'Notification', Message: JSON.stringify(n) }));
      expect(res.json()).toEqual({ events: 1, outcomes: { applied: 1 } });
      expect(await status(reader.id)).toBe('complained');
    });

    it('refuses an altered message, a certificate from elsewhere, and an unconfigured topic, changing nothing', async () => {
      const reader = nextReader();
      const m = bounceFor(reader.messageId);
      await refused(() => post({ ...m, Message: m.Message.replace('Permanent', 'Transient') }), 401, /signature does not match/);
      const elsewhere = { ...m, SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem' };
      await refused(() => post(elsewhere), 401, /not an Amazon SNS certificate URL/);
      expect(fetched).not.toContain(elsewhere.SigningCertURL);
      const otherTopic = signedSnsMessage(sns.keyPem, { Type: 'Notification', Message: m.Message, TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' });
      await refused(() => post(otherTopic), 403, /not in SES_SNS_TOPIC_ARNS/);
      // Correctly signed, but older than SNS ever retries: a replay.
      const old = signedSnsMessage(sns.keyPem, { Type: 'Notification', Message: m.Message, Timestamp: new Date(Date.now() - 2 * 3_600_000).toISOString() });
      await refused(() => post(old), 401, /Timestamp: .* further from now than SNS ever delivers/);
      expect(await status(reader.id)).toBe('active');
    });

    it('confirms a subscription only after the signature and the topic passed', async () => {
      const url = `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${SNS_TOPIC}&Token=abc`;
      const confirmation = (fields: Partial<SnsMessage> = {}) =>
        signedSnsMessage(sns.keyPem, { Type: 'SubscriptionConfirmation', Message: 'You have chosen to subscribe…', SubscribeURL: url, Token: 'abc', ...fields }, '1');
      await refused(() => post({ ...confirmation(), Token: 'forged' }), 401, /signature/);
      await refused(() => post(confirmation({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' })), 403, /SES_SNS_TOPIC_ARNS/);
      expect(fetched).not.toContain(url);
      const res = await post(confirmation());
      expect(res.statusCode, res.body).toBe(200);
      expect(fetched.filter((u) => u === url)).toHaveLength(1);
    });

    it('a body that is not an SNS message, or a notification that is not SES\'s, is a 400 naming the field', async () => {
      await refused(() => h.server.inject({ method: 'POST', url: '/webhooks/ses', payload: 'not json' }), 400, /1 problem/);
      const res = await refused(() => post({ Type: 'Notification' }), 400, /problems? in the SNS message/);
      expect(res.json().problems.map((p: { path: string }) => p.path)).toContain('MessageId');
      const bad = await refused(() => post(signedSnsMessage(sns.keyPem, { Type: 'Notification', Message: '{"notificationType":"Bounce"}' })), 400, /SES notification/);
      expect(bad.json().problems[0].path).toMatch(/^Message\.mail/);
    });
  });

  describe('Postmark', () => {
    const auth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const post = (body: string, authorization?: string) =>
      h.server.inject({ method: 'POST', url: '/webhooks/postmark', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, payload: body });
    const withOurs = (name: string, messageId: string) =>
      fixtureText(name).replace('"a_key": "a_value"', `"${POSTMARK_MESSAGE_ID_METADATA}": "${messageId.slice(1, -1)}"`);

    it('a spam complaint with the right credentials marks the reader complained', async () => {
      const reader = nextReader();
      const res = await post(withOurs('postmark-spam-complaint.json', reader.messageId), auth(POSTMARK.user, POSTMARK.password));
      expect(res.json()).toEqual({ events: 1, outcomes: { applied: 1 } });
      expect(await status(reader.id)).toBe('complained');
    });

    it('a hard bounce marks the reader bounced', async () => {
      const reader = nextReader();
      const res = await post(withOurs('postmark-bounce.json', reader.messageId), auth(POSTMARK.user, POSTMARK.password));
      expect(res.json()).toEqual({ events: 1, outcomes: { applied: 1 } });
      expect(await status(reader.id)).toBe('bounced');
    });

    it('without or with wrong credentials: 401 asking for Basic auth, nothing changed', async () => {
      const reader = nextReader();
      const body = withOurs('postmark-bounce.json', reader.messageId).replace('4323372036854775807', '7');
      const res = await refused(() => post(body), 401, /HTTP Basic credentials/);
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
      await refused(() => post(body, auth(POSTMARK.user, `${POSTMARK.password}x`)), 401, /HTTP Basic/);
      expect(await status(reader.id)).toBe('active');
    });

    it('with POSTMARK_WEBHOOK_IPS, a request from another address is refused even with the right credentials', async () => {
      const postmark = { ...POSTMARK, allowedIps: ['203.0.113.7'] };
      const fenced = buildServer({ ...h.app, config: { ...h.app.config, webhooks: { ...h.app.config.webhooks, postmark } } }, { logger: false });
      try {
        const reader = nextReader();
        const res = await refused(
          () => fenced.inject({ method: 'POST', url: '/webhooks/postmark', headers: { 'content-type': 'application/json', authorization: auth(POSTMARK.user, POSTMARK.password) }, payload: withOurs('postmark-bounce.json', reader.messageId) }),
          401,
          /not in POSTMARK_WEBHOOK_IPS/,
        );
        expect(res.json().code).toBe('webhook_unauthenticated');
        expect(await status(reader.id)).toBe('active');
      } finally {
        await fenced.close();
      }
    });

    it('record types it does not act on are answered and dropped', async () => {
      const res = await post(JSON.stringify({ RecordType: 'Open', MessageID: 'x' }), auth(POSTMARK.user, POSTMARK.password));
      expect(res.json()).toEqual({ events: 0, outcomes: {} });
    });
  });

  describe('SendGrid', () => {
    const post = (body: string, ts = String(Math.floor(Date.now() / 1000)), signature = sendGrid.sign(ts, body)) =>
      h.server.inject({
        method: 'POST',
        url: '/webhooks/sendgrid',
        headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': ts },
        payload: body,
      });
    const batch = (bounced: string, unsubscribed: string) =>
      fixtureText('sendgrid-events.json')
        .replace(/"sg_event_id_bounce"/, `"bounce-${bounced}"`)
        .replace(/"sg_event_id_unsubscribe"/, `"unsub-${unsubscribed}"`)
        .split('\n')
        .map((line) =>
          line.includes(`"bounce-${bounced}"`) ? line.replace('<14c5d75ce93.dfd.64b469@ismtpd-555>', bounced) : line.includes(`"unsub-${unsubscribed}"`) ? line.replace('<14c5d75ce93.dfd.64b469@ismtpd-555>', unsubscribed) : line,
        )
        .join('\n');

    it('a signed batch applies each event it acts on, in order', async () => {
      const a = nextReader();
      const b = nextReader();
      const res = await post(batch(a.messageId, b.messageId));
      expect(res.statusCode, res.body).toBe(200);
      // bounce (ours), blocked, dropped, spamreport, group_unsubscribe name the sample's own Message-ID: unverified.
      expect(res.json()).toEqual({ events: 6, outcomes: { applied: 2, unverified: 4 } });
      expect(await status(a.id)).toBe('bounced');
      // An unsubscribe leaves the campaign's lists, like the one-click link.
      expect(await h.app.stores.lists.isMember('daily', b.id)).toBe(false);
      expect(await h.app.stores.lists.isMember('daily', ids[0] as number)).toBe(true);
    });

    it('refuses an altered body, a signature from another key and a stale timestamp', async () => {
      const reader = nextReader();
      const body = batch(reader.messageId, reader.messageId);
      const ts = String(Math.floor(Date.now() / 1000));
      await refused(() => post(body, ts, sendGrid.sign(ts, `${body} `)), 401, /does not match the body/);
      await refused(() => post(body, ts, makeSendGridKeys().sign(ts, body)), 401, /does not match/);
      const stale = String(Math.floor(Date.now() / 1000) - 3600);
      await refused(() => post(body, stale), 401, /from now/);
      await refused(() => h.server.inject({ method: 'POST', url: '/webhooks/sendgrid', payload: body }), 401, /Signature: missing/);
      expect(await status(reader.id)).toBe('active');
    });
  });

  describe('Mailgun', () => {
    const post = (body: unknown) => h.server.inject({ method: 'POST', url: '/webhooks/mailgun', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const signed = (name: string, messageId: string, key = MAILGUN_KEY) => {
      const w = fixture(name);
      w.signature = mailgunSignature(key, Math.floor(Date.now() / 1000));
      w['event-data'].message.headers['message-id'] = messageId.slice(1, -1);
      return w;
    };

    it('a signed complaint applies; the same request again is refused as a replay', async () => {
      const reader = nextReader();
      const w = signed('mailgun-complained.json', reader.messageId);
      expect((await post(w)).json()).toEqual({ events: 1, outcomes: { applied: 1 } });
      expect(await status(reader.id)).toBe('complained');
      await refused(() => post(w), 401, /already received/);
    });

    it('failed/permanent bounces the reader; temporary only counts', async () => {
      const hard = nextReader();
      expect((await post(signed('mailgun-failed-permanent.json', hard.messageId))).json()).toEqual({ events: 1, outcomes: { applied: 1 } });
      expect(await status(hard.id)).toBe('bounced');
      const soft = nextReader();
      expect((await post(signed('mailgun-failed-temporary.json', soft.messageId))).json()).toEqual({ events: 1, outcomes: { recorded: 1 } });
      expect(await status(soft.id)).toBe('active');
    });

    it('refuses a wrong key, a stale timestamp and a missing signature, changing nothing', async () => {
      const reader = nextReader();
      await refused(() => post(signed('mailgun-unsubscribed.json', reader.messageId, `${MAILGUN_KEY}-other`)), 401, /does not match/);
      const stale = signed('mailgun-unsubscribed.json', reader.messageId);
      stale.signature = mailgunSignature(MAILGUN_KEY, Math.floor(Date.now() / 1000) - 600);
      await refused(() => post(stale), 401, /from now/);
      const { signature: _omitted, ...unsigned } = signed('mailgun-unsubscribed.json', reader.messageId);
      await refused(() => post(unsigned), 401, /signature: missing/);
      expect(await status(reader.id)).toBe('active');
    });
  });

  it('a provider without settings has no route: 404, not an open endpoint', async () => {
    const bare = buildServer({ ...h.app, config: { ...h.app.config, webhooks: { ses: undefined, postmark: undefined, sendgrid: undefined, mailgun: undefined } } }, { logger: false });
    try {
      for (const provider of ['ses', 'postmark', 'sendgrid', 'mailgun']) {
        expect((await bare.inject({ method: 'POST', url: `/webhooks/${provider}`, payload: '{}' })).statusCode).toBe(404);
      }
    } finally {
      await bare.close();
    }
  });

  it('a body over the limit is refused with 413 before anything is read', async () => {
    const res = await h.server.inject({ method: 'POST', url: '/webhooks/sendgrid', headers: { 'content-type': 'application/json' }, payload: Buffer.alloc(1024 * 1024 + 1, 0x20) });
    expect(res.statusCode).toBe(413);
  });
});
