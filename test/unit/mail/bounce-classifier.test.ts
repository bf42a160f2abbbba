import { describe, expect, it } from 'vitest';
import { classifyBounce } from '../../../src/mail/bounce-classifier.ts';
import { provider } from '../../../src/mail/return-classifier.ts';
import { breakerVerdict } from '../../../src/queue/return-path.service.ts';

// Replies as the big providers word them (from their postmaster pages and real bounces).
const cases: Array<[string, { status?: string; diagnostic: string }, 'hard' | 'soft' | 'about-sender']> = [
  ['Gmail no such user', { diagnostic: "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address" }, 'hard'],
  ['Gmail over quota', { diagnostic: '452-4.2.2 The email account that you tried to reach is over quota.' }, 'soft'],
  ['Gmail rate limit', { diagnostic: '421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address' }, 'about-sender'],
  ['Gmail unauthenticated', { diagnostic: '550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users' }, 'about-sender'],
  ['Gmail PTR', { diagnostic: '550-5.7.25 The IP address sending this message does not have a PTR record setup' }, 'about-sender'],
  ['Outlook unknown', { diagnostic: '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302)' }, 'hard'],
  ['Outlook blocked IP', { diagnostic: '550 5.7.1 Unfortunately, messages from [192.0.2.1] weren\'t sent. Please contact your Internet service provider since part of their network is on our block list (S3150)' }, 'about-sender'],
  ['Office 365 access denied', { status: '5.4.1', diagnostic: '550 5.4.1 Recipient address rejected: Access denied. AS(201806281)' }, 'hard'],
  ['Yahoo no account', { diagnostic: "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0]" }, 'hard'],
  ['Yahoo deferred', { diagnostic: '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints' }, 'about-sender'],
  ['Exchange size', { status: '5.2.3', diagnostic: '550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient' }, 'soft'],
  ['mailbox full', { status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full' }, 'soft'],
  ['greylisting', { diagnostic: '450 4.2.0 Greylisted, please try again in 300 seconds' }, 'soft'],
  ['null MX', { status: '5.1.10', diagnostic: '556 5.1.10 Recipient address has null MX' }, 'hard'],
  ['no such domain', { diagnostic: 'Host or domain name not found. Name service error for name=example.invalid type=A: Host not found' }, 'hard'],
  ['Spamhaus', { diagnostic: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org' }, 'about-sender'],
  ['unknown permanent', { diagnostic: '550 Administrative error 42' }, 'soft'],
  ['Gmail unsolicited (5.7.1)', { diagnostic: '550-5.7.1 [192.0.2.1      12] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. 550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError' }, 'about-sender'],
  ['Gmail DMARC (5.7.26)', { diagnostic: "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator of example.com domain" }, 'about-sender'],
  ['Gmail disabled account', { diagnostic: '550-5.2.1 The email account that you tried to reach is disabled.' }, 'hard'],
  ['bad destination system (5.1.2)', { diagnostic: '550 5.1.2 Bad destination system address' }, 'hard'],
  ['Exchange Online not found (5.1.10)', { status: '5.1.10', diagnostic: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' }, 'hard'],
  ['Outlook mailbox unavailable, bare', { diagnostic: '550 5.5.0 Requested action not taken: mailbox unavailable' }, 'hard'],
  ['Yahoo no account, bare', { diagnostic: "554 delivery error: dd This user doesn't have a yahoo.com account (reader@yahoo.com) [0] - mta1234.mail.bf1.yahoo.com" }, 'hard'],
  ['over quota (4.2.2), terse', { diagnostic: '452 4.2.2 over quota' }, 'soft'],
  ['Gmail over quota and inactive (5.2.2)', { diagnostic: '552-5.2.2 The email account that you tried to reach is over quota and inactive.' }, 'soft'],
  ['Gmail receiving too fast (4.2.1)', { diagnostic: '450-4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.' }, 'soft'],
  ['Yahoo Spamhaus (BL21)', { diagnostic: "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes" }, 'about-sender'],
  ['Yahoo policy (5.7.9)', { diagnostic: '554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes' }, 'about-sender'],
  ['iCloud local policy (CS01)', { diagnostic: '554 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137' }, 'about-sender'],
  ['Outlook banned IP (5.7.708)', { diagnostic: '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.' }, 'about-sender'],
  ['Comcast DNSBLs', { diagnostic: '554 resimta-po-1v.sys.comcast.net comcast 192.0.2.1 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001' }, 'about-sender'],
  ['Postfix virtual table', { diagnostic: '550 5.1.1 <reader@example.org>: Recipient address rejected: User unknown in virtual mailbox table' }, 'hard'],
  ['expired after retries (5.4.7)', { status: '5.4.7', diagnostic: 'retry timeout exceeded' }, 'soft'],
];

describe('classifyBounce', () => {
  it.each(cases)('%s', (_name, input, expected) => {
    const c = classifyBounce(input);
    expect(c.aboutSender ? 'about-sender' : c.severity, c.reason).toBe(expected);
    if (c.aboutSender) expect(c.severity).toBe('soft');
  });
});

describe('provider', () => {
  it('names the big mailbox providers by any of their domains or MX hosts', () => {
    expect(provider('rfc822; a@googlemail.com', undefined)).toBe('gmail');
    expect(provider(undefined, 'dns; mx-aol.mail.gm0.yahoodns.net')).toBe('yahoo');
    expect(provider('a@hotmail.co.uk', undefined)).toBe('outlook');
    expect(provider('a@example.org', undefined)).toBe('example.org');
  });
});

describe('breakerVerdict', () => {
  const limits = { minMessages: 1000, hardBounceRate: 0.05, complaintRate: 0.001 };
  it('says nothing before the minimum of messages, whatever the rates', () => {
    expect(breakerVerdict(999, { hard: 500, complaint: 500 }, limits)).toBeUndefined();
  });
  it('pauses past either limit, naming the rate and the limit, and not at the limit', () => {
    expect(breakerVerdict(1000, { hard: 50, complaint: 1 }, limits)).toBeUndefined();
    expect(breakerVerdict(1000, { hard: 51, complaint: 0 }, limits)).toBe('hard-bounce rate 5.1 % passed 5.0 % after 1000 messages');
    expect(breakerVerdict(2000, { hard: 0, complaint: 3 }, limits)).toBe('complaint rate 0.15 % passed 0.10 % after 2000 messages');
  });
});
