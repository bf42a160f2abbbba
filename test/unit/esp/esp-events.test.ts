/** The providers' published sample events, mapped to return events. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReturnEvent } from '../../../src/domain/return-event.ts';
import { mailgunEvent, MailgunWebhook } from '../../../src/mail/esp/mailgun.events.ts';
import { POSTMARK_MESSAGE_ID_METADATA, PostmarkEvent, postmarkEvent, quotePostmarkIds } from '../../../src/mail/esp/postmark.events.ts';
import { SendGridEvents, sendGridEvents } from '../../../src/mail/esp/sendgrid.events.ts';
import { SesNotification, sesEvents } from '../../../src/mail/esp/ses.events.ts';
import { messageIdIdentity } from '../../../src/mail/esp/esp-identity.ts';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../fixtures/esp/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

const OURS = '<daily-2025-02-13-a1b2c3.42@news.example.com>';

/** Every mapped event must satisfy the contract the service parses. */
const valid = (events: ReturnEvent[]) => events.map((e) => ReturnEvent.parse(e));

describe('messageIdIdentity', () => {
  it('takes one Message-ID with or without brackets and refuses anything else', () => {
    expect(messageIdIdentity('a.1@x.org')).toEqual({ kind: 'message-id', messageId: '<a.1@x.org>' });
    expect(messageIdIdentity(' <a.1@x.org> ')).toEqual({ kind: 'message-id', messageId: '<a.1@x.org>' });
    for (const bad of [undefined, 7, '', 'custom-message-ID', '<a@b> <c@d>', 'a b@c', `${'x'.repeat(1000)}@y`]) {
      expect(messageIdIdentity(bad)).toEqual({ kind: 'none' });
    }
  });
});

describe('SES notifications', () => {
  it('a Permanent bounce is hard, one event per recipient, named by our Message-ID', () => {
    const n = fixture('ses-bounce.json') as { mail: { commonHeaders: { messageId: string } } };
    n.mail.commonHeaders.messageId = OURS;
    const events = valid(sesEvents(SesNotification.parse(n)));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      source: 'ses',
      kind: 'bounce',
      identity: { kind: 'message-id', messageId: OURS },
      occurredAt: '2016-01-27T14:59:38.237Z',
      bounce: { severity: 'hard', aboutSender: false, status: '5.1.1', provider: 'example.com' },
    });
    expect(events[0]?.bounce?.diagnostic).toContain('550 5.1.1');
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(2);
  });

  it('the sample\'s own Message-ID ("custom-message-ID") names no delivery', () => {
    const events = sesEvents(SesNotification.parse(fixture('ses-bounce.json')));
    expect(events.every((e) => e.identity.kind === 'none')).toBe(true);
  });

  it('Transient is soft; a content rejection or a 5.7.x block is about the sender, never hard', () => {
    const n = fixture('ses-bounce.json') as { bounce: Record<string, unknown> };
    n.bounce.bounceType = 'Transient';
    n.bounce.bounceSubType = 'MailboxFull';
    expect(sesEvents(SesNotification.parse(n))[0]?.bounce).toMatchObject({ severity: 'soft', aboutSender: false });
    n.bounce.bounceSubType = 'ContentRejected';
    expect(sesEvents(SesNotification.parse(n))[0]?.bounce).toMatchObject({ severity: 'soft', aboutSender: true });
    n.bounce.bounceType = 'Permanent';
    n.bounce.bounceSubType = 'General';
    n.bounce.bouncedRecipients = [{ emailAddress: 'a@gmail.com', status: '5.7.1', diagnosticCode: 'smtp; 550 5.7.1 rejected: poor reputation' }];
    expect(sesEvents(SesNotification.parse(n))[0]?.bounce).toMatchObject({ severity: 'soft', aboutSender: true, provider: 'gmail.com' });
  });

  it('a complaint is a complaint per recipient; opt-out unsubscribes; not-spam is ignored; a Delivery gives nothing', () => {
    const c = fixture('ses-complaint.json') as { complaint: Record<string, unknown>; notificationType: string };
    expect(valid(sesEvents(SesNotification.parse(c)))).toEqual([
      expect.objectContaining({ kind: 'complaint', feedbackType: 'abuse', dedupeKey: expect.stringMatching(/^ses:complaint:/) }),
    ]);
    c.complaint.complaintFeedbackType = 'opt-out';
    expect(sesEvents(SesNotification.parse(c))[0]?.kind).toBe('unsubscribe');
    c.complaint.complaintFeedbackType = 'not-spam';
    expect(sesEvents(SesNotification.parse(c))[0]?.kind).toBe('ignored');
    c.complaint.complaintFeedbackType = 'virus';
    expect(sesEvents(SesNotification.parse(c))[0]?.kind).toBe('sender-alert');
    c.notificationType = 'Delivery';
    expect(sesEvents(SesNotification.parse(c))).toEqual([]);
  });
});

describe('Postmark webhooks', () => {
  const withOurs = (name: string) => {
    const raw = readFileSync(new URL(`../../fixtures/esp/${name}`, import.meta.url), 'utf8');
    const p = JSON.parse(quotePostmarkIds(raw)) as { Metadata: Record<string, string> };
    p.Metadata[POSTMARK_MESSAGE_ID_METADATA] = OURS.slice(1, -1);
    return PostmarkEvent.parse(p);
  };

  it('a HardBounce is hard and named by the metadata newsdesk sent', () => {
    const e = postmarkEvent(withOurs('postmark-bounce.json'));
    expect(ReturnEvent.parse(e)).toMatchObject({
      source: 'postmark',
      kind: 'bounce',
      identity: { kind: 'message-id', messageId: OURS },
      dedupeKey: 'postmark:bounce:4323372036854775807',
      bounce: { severity: 'hard', aboutSender: false, provider: 'example.com' },
    });
  });

  it('maps each bounce type: soft, blocks about the sender, auto-replies, unsubscribes, the rest ignored', () => {
    const of = (Type: string, Details = 'details') => postmarkEvent({ ...withOurs('postmark-bounce.json'), Type, Details } as PostmarkEvent);
    expect(of('SoftBounce')?.bounce).toMatchObject({ severity: 'soft', aboutSender: false });
    expect(of('Transient')?.bounce).toMatchObject({ severity: 'soft' });
    expect(of('SpamNotification')?.bounce).toMatchObject({ severity: 'soft', aboutSender: true });
    expect(of('Blocked')?.bounce).toMatchObject({ aboutSender: true });
    expect(of('HardBounce', 'smtp;550 5.7.1 Service unavailable; client host blocked using Spamhaus')?.bounce).toMatchObject({ severity: 'soft', aboutSender: true });
    expect(of('AutoResponder')?.kind).toBe('auto-reply');
    expect(of('Unsubscribe')?.kind).toBe('unsubscribe');
    expect(of('SpamComplaint')?.kind).toBe('complaint');
    expect(of('AddressChange')?.kind).toBe('ignored');
  });

  it('a spam complaint is a complaint', () => {
    expect(ReturnEvent.parse(postmarkEvent(withOurs('postmark-spam-complaint.json')))).toMatchObject({ kind: 'complaint', feedbackType: 'abuse', dedupeKey: 'postmark:complaint:42' });
  });

  it('a subscription change unsubscribes only for a manual suppression by the recipient; never re-subscribes', () => {
    const change = withOurs('postmark-subscription-change.json');
    expect(ReturnEvent.parse(postmarkEvent(change))).toMatchObject({ kind: 'unsubscribe', occurredAt: '2020-02-01T10:53:34.416Z' });
    expect(postmarkEvent({ ...change, SuppressSending: false } as PostmarkEvent)?.kind).toBe('ignored');
    expect(postmarkEvent({ ...change, SuppressionReason: 'HardBounce' } as PostmarkEvent)?.kind).toBe('ignored');
  });

  it('keeps 64-bit record ids exact (as numbers, two bounces would share a dedupe key)', () => {
    const a = JSON.parse(quotePostmarkIds('{"ID": 4323372036854775807, "Details": "x \\"ID\\": 5"}')) as Record<string, unknown>;
    const b = JSON.parse(quotePostmarkIds('{"ID":4323372036854775806}')) as Record<string, unknown>;
    expect(a).toEqual({ ID: '4323372036854775807', Details: 'x "ID": 5' });
    expect(b.ID).not.toBe(a.ID);
  });

  it('without the metadata the event names no delivery', () => {
    expect(postmarkEvent(PostmarkEvent.parse(fixture('postmark-bounce.json')))?.identity).toEqual({ kind: 'none' });
  });
});

describe('SendGrid events', () => {
  it('maps the reference sample: engagement and delivery events give nothing, the rest one event each', () => {
    const events = valid(sendGridEvents(SendGridEvents.parse(fixture('sendgrid-events.json'))));
    expect(events.map((e) => [e.dedupeKey, e.kind, e.bounce?.severity, e.bounce?.aboutSender])).toEqual([
      ['sendgrid:sg_event_id_bounce', 'bounce', 'hard', false],
      ['sendgrid:sg_event_id_blocked', 'bounce', 'soft', true],
      ['sendgrid:sg_event_id_dropped', 'bounce', 'hard', false],
      ['sendgrid:sg_event_id_spamreport', 'complaint', undefined, undefined],
      ['sendgrid:sg_event_id_unsubscribe', 'unsubscribe', undefined, undefined],
      ['sendgrid:sg_event_id_group_unsubscribe', 'unsubscribe', undefined, undefined],
    ]);
    expect(events[0]).toMatchObject({ identity: { kind: 'message-id', messageId: '<14c5d75ce93.dfd.64b469@ismtpd-555>' }, occurredAt: '2017-12-15T00:59:29.000Z' });
  });

  it('reads SendGrid\'s bounce classifications as named: only an invalid address (or the reply itself) is hard', () => {
    const bounce = (bounce_classification: string, reason: string, status = '5.0.0') =>
      sendGridEvents([{ event: 'bounce', type: 'bounce', email: 'a@example.org', timestamp: 1, sg_event_id: bounce_classification, reason, status, bounce_classification }])[0]?.bounce;
    expect(bounce('Frequency or Volume Too High', '550 too many messages from your IP')).toMatchObject({ severity: 'soft', aboutSender: true });
    expect(bounce('Technical Failure', '550 unable to get mx info: failed to get IPs from PTR record')).toMatchObject({ severity: 'soft' });
    expect(bounce('Mailbox Unavailable', '552 5.2.2 Mailbox full', '5.2.2')).toMatchObject({ severity: 'soft', aboutSender: false });
    expect(bounce('Unclassified', '550 Administrative error')).toMatchObject({ severity: 'soft', aboutSender: false });
    expect(bounce('Mailbox Unavailable', '550 5.1.1 user unknown', '5.1.1')).toMatchObject({ severity: 'hard', aboutSender: false });
    expect(bounce('Invalid Address', '500 unknown recipient')).toMatchObject({ severity: 'hard', aboutSender: false });
  });

  it('a drop for spam content is an alert for the sender, not a reader change', () => {
    const [e] = sendGridEvents([{ event: 'dropped', email: 'a@b.c', timestamp: 1, sg_event_id: 'x', reason: 'Spam Content (if spam checker app enabled)' }]);
    expect(e?.kind).toBe('sender-alert');
  });
});

describe('Mailgun events', () => {
  const parse = (name: string) => MailgunWebhook.parse(fixture(name));

  it('failed permanent is hard with the enhanced code; temporary is soft', () => {
    expect(ReturnEvent.parse(mailgunEvent(parse('mailgun-failed-permanent.json')))).toMatchObject({
      source: 'mailgun',
      kind: 'bounce',
      identity: { kind: 'message-id', messageId: '<20130503192659.13651.20287@sandboxf0a4c7a8f2d84a6dbd5ec2f7b1f0b48c.mailgun.org>' },
      dedupeKey: 'mailgun:G9Bn5sl1TC6nu79C8C0bwg',
      bounce: { severity: 'hard', aboutSender: false, status: '5.1.1', provider: 'example.com' },
    });
    expect(mailgunEvent(parse('mailgun-failed-temporary.json'))?.bounce).toMatchObject({ severity: 'soft', aboutSender: false, status: '4.2.2' });
  });

  it('a permanent failure is hard only on evidence of a dead address: not when Mailgun gave up retrying (reason old), nor for a full mailbox', () => {
    const w = parse('mailgun-failed-permanent.json');
    const failed = (reason: string, message: string, code = 550) =>
      mailgunEvent({ ...w, 'event-data': { ...w['event-data'], reason, 'delivery-status': { code, message, description: '', 'enhanced-code': '' } } })?.bounce;
    expect(failed('old', 'Too old')).toMatchObject({ severity: 'soft', aboutSender: false });
    expect(failed('bounce', '552 5.2.2 Mailbox full', 552)).toMatchObject({ severity: 'soft', aboutSender: false });
    expect(failed('generic', 'Unknown error')).toMatchObject({ severity: 'soft', aboutSender: false });
    expect(failed('suppress-bounce', 'Not delivering to previously bounced address', 605)).toMatchObject({ severity: 'hard', aboutSender: false });
    expect(failed('bounce', "5.1.1 The email account that you tried to reach does not exist")).toMatchObject({ severity: 'hard', aboutSender: false });
  });

  it('complained and unsubscribed; an ESP block is about the sender; other events give nothing', () => {
    expect(mailgunEvent(parse('mailgun-complained.json'))).toMatchObject({ kind: 'complaint', feedbackType: 'abuse' });
    expect(mailgunEvent(parse('mailgun-unsubscribed.json'))?.kind).toBe('unsubscribe');
    const w = parse('mailgun-failed-permanent.json');
    expect(mailgunEvent({ ...w, 'event-data': { ...w['event-data'], reason: 'espblock' } })?.bounce).toMatchObject({ severity: 'soft', aboutSender: true });
    expect(mailgunEvent({ ...w, 'event-data': { ...w['event-data'], reason: 'suppress-complaint' } })?.kind).toBe('complaint');
    expect(mailgunEvent({ ...w, 'event-data': { ...w['event-data'], event: 'delivered' } })).toBeUndefined();
  });
});
