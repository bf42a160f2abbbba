import { describe, expect, it } from 'vitest';
import { classifySmtpFailure, enhancedCodeOf, type SmtpFailure } from '../../../src/mail/transport.ts';

type Expect = { kind: 'transient' | 'permanent'; hardBounce: boolean; code?: number; enhancedCode?: string };

// The reply and error shapes nodemailer reports, and what each must mean for the delivery.
const table: [string, SmtpFailure, Expect][] = [
  ['550 5.1.1 unknown user at RCPT', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 <x@y.org>: Recipient address rejected: User unknown' }, { kind: 'permanent', hardBounce: true, code: 550, enhancedCode: '5.1.1' }],
  ['550 5.1.10 null MX', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.10 RESOLVER.ADR.RecipientNotFound' }, { kind: 'permanent', hardBounce: true, code: 550, enhancedCode: '5.1.10' }],
  ['553 5.1.3 bad address syntax', { responseCode: 553, response: '553 5.1.3 bad address' }, { kind: 'permanent', hardBounce: true, code: 553, enhancedCode: '5.1.3' }],
  ['multi-line 550-5.1.1 (Gmail style)', { responseCode: 550, response: '550-5.1.1 The email account that you tried to reach does not exist.\n550 5.1.1 https://support.google.com/mail' }, { kind: 'permanent', hardBounce: true, code: 550, enhancedCode: '5.1.1' }],
  ['552 5.2.2 mailbox full', { code: 'EMESSAGE', command: 'DATA', responseCode: 552, response: '552 5.2.2 Mailbox full' }, { kind: 'permanent', hardBounce: false, code: 552, enhancedCode: '5.2.2' }],
  ['552 without an enhanced code', { code: 'EMESSAGE', responseCode: 552, response: '552 Message size exceeds fixed limit' }, { kind: 'permanent', hardBounce: false, code: 552 }],
  ['550 without an enhanced code is not guessed a hard bounce', { responseCode: 550, response: '550 Requested action not taken: mailbox unavailable' }, { kind: 'permanent', hardBounce: false, code: 550 }],
  ['554 5.7.1 refused as spam', { code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 Message rejected as spam' }, { kind: 'permanent', hardBounce: false, code: 554, enhancedCode: '5.7.1' }],
  ['421 service closing', { code: 'EMESSAGE', responseCode: 421, response: '421 4.7.0 Try again later, closing connection' }, { kind: 'transient', hardBounce: false, code: 421, enhancedCode: '4.7.0' }],
  ['450 4.2.1 rate limited', { responseCode: 450, response: '450 4.2.1 The user you are trying to contact is receiving mail too quickly' }, { kind: 'transient', hardBounce: false, code: 450, enhancedCode: '4.2.1' }],
  ['451 greylisted', { responseCode: 451, response: '451 Greylisted, try again in 5 minutes' }, { kind: 'transient', hardBounce: false, code: 451 }],
  ['452 4.5.3 too many recipients', { responseCode: 452, response: '452 4.5.3 Too many recipients' }, { kind: 'transient', hardBounce: false, code: 452, enhancedCode: '4.5.3' }],
  ['connection refused', { code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:2525' }, { kind: 'transient', hardBounce: false }],
  ['raw ECONNREFUSED', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:2525' }, { kind: 'transient', hardBounce: false }],
  ['connection reset', { code: 'ECONNRESET', message: 'read ECONNRESET' }, { kind: 'transient', hardBounce: false }],
  ['connection dropped', { code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, { kind: 'transient', hardBounce: false }],
  ['socket timeout', { code: 'ETIMEDOUT', message: 'Timeout' }, { kind: 'transient', hardBounce: false }],
  ['greeting never received', { code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received' }, { kind: 'transient', hardBounce: false }],
  ['554 greeting (server refuses everyone, not this recipient)', { code: 'EPROTOCOL', command: 'CONN', responseCode: 554, response: '554 No SMTP service here' }, { kind: 'transient', hardBounce: false, code: 554 }],
  ['DNS failure', { code: 'EDNS', message: 'getaddrinfo EAI_AGAIN smtp.example.com' }, { kind: 'transient', hardBounce: false }],
  ['login refused (our settings, not the recipient)', { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 Authentication credentials invalid' }, { kind: 'transient', hardBounce: false, code: 535, enhancedCode: '5.7.8' }],
  ['TLS failure', { code: 'ETLS', message: 'self-signed certificate' }, { kind: 'transient', hardBounce: false }],
  ['553 5.1.8 at MAIL FROM: our sender is refused, not the recipient', { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, response: '553 5.1.8 <news@example.com>: Sender address rejected: Domain not found' }, { kind: 'transient', hardBounce: false, code: 553, enhancedCode: '5.1.8' }],
  ['envelope refused before any server saw it', { code: 'EENVELOPE', message: 'No recipients defined' }, { kind: 'permanent', hardBounce: false }],
  ['an error with nothing known about it', { message: 'something odd' }, { kind: 'transient', hardBounce: false }],
];

describe('classifySmtpFailure', () => {
  it.each(table)('%s', (_name, failure, expected) => {
    const out = classifySmtpFailure(failure);
    expect(out.status).toBe('failed');
    expect({ kind: out.kind, hardBounce: out.hardBounce, code: out.code, enhancedCode: out.enhancedCode }).toEqual({
      code: undefined,
      enhancedCode: undefined,
      ...expected,
    });
    // The response is what the operator will read next to the delivery: the server's words when there are any.
    expect(out.response).toBe((failure.response ?? failure.message ?? '').trim());
  });
});

describe('enhancedCodeOf', () => {
  it('reads the enhanced status after the basic code', () => {
    expect(enhancedCodeOf('550 5.1.1 User unknown')).toBe('5.1.1');
    expect(enhancedCodeOf('451-4.3.0 Local error')).toBe('4.3.0');
  });
  it('finds none where there is none', () => {
    expect(enhancedCodeOf('550 User unknown 5.1.1')).toBeUndefined();
    expect(enhancedCodeOf('550 6.1.1 nonsense')).toBeUndefined();
    expect(enhancedCodeOf(undefined)).toBeUndefined();
  });
});
