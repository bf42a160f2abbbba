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
