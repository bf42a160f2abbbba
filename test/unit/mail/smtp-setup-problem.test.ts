import { describe, expect, it } from 'vitest';
import { smtpSetupProblem } from '../../../src/mail/smtp-setup-problem.ts';
import { SmtpError } from '../../../src/mail/smtp-reply.ts';

const server = 'smtp://relay.example.com:587';
const reply = (code: number, text: string) => ({ code, text: `${code} ${text}`, lines: [text] });

describe('smtpSetupProblem', () => {
  it('names SMTP_URL for a relay that will not relay for us (Postfix, Exchange, Sendmail wordings)', () => {
    for (const text of ['5.7.1 <a@b.example>: Relay access denied', '5.7.54 SMTP; Unable to relay recipient in non-accepted domain', '5.7.1 Relaying denied']) {
      const problem = smtpSetupProblem(new SmtpError('EENVELOPE', 'RCPT TO refused', { command: 'RCPT TO', reply: reply(554, text) }), server);
      expect(problem?.setting).toBe('SMTP_URL');
      expect(problem?.sentence).toBe(`SMTP server ${server} does not relay mail for newsdesk (554 ${text}): put a user and password that may relay in SMTP_URL, or allow this host on the relay`);
    }
  });

  it('names SMTP_URL for a relay that demands a login, and for a refused login (nodemailer shape too)', () => {
    const demanded = smtpSetupProblem(new SmtpError('EENVELOPE', 'MAIL FROM refused', { command: 'MAIL FROM', reply: reply(530, '5.7.0 Authentication required') }), server);
    expect(demanded?.sentence).toMatch(/requires a login .*: put the user and password in SMTP_URL/);
    const refused = smtpSetupProblem({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 Error: authentication failed', message: 'Invalid login' }, server);
    expect(refused?.sentence).toBe(`SMTP server ${server} refused the login (535 5.7.8 Error: authentication failed): check the user and password in SMTP_URL (percent-encoded)`);
  });

  it('names SMTP_TLS_CA for an untrusted certificate, found under the TLS error our client wraps', () => {
    const cause = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const problem = smtpSetupProblem(new SmtpError('ETLS', 'self-signed certificate', { command: 'STARTTLS', cause }), server);
    expect(problem?.setting).toBe('SMTP_TLS_CA');
    const chain = Object.assign(new Error('unable to get local issuer certificate'), { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' });
    expect(smtpSetupProblem(new SmtpError('ETLS', chain.message, { cause: chain }), server)?.setting).toBe('SMTP_TLS_CA');
  });

  it('leaves passing trouble and recipient refusals alone: they keep their retry or their failure', () => {
    const cases = [
      new SmtpError('EENVELOPE', 'RCPT TO refused', { command: 'RCPT TO', reply: reply(450, '4.2.0 mailbox busy') }),
      new SmtpError('EENVELOPE', 'RCPT TO refused', { command: 'RCPT TO', reply: reply(550, '5.1.1 no such user') }),
      new SmtpError('EENVELOPE', 'RCPT TO refused', { command: 'RCPT TO', reply: reply(554, '5.7.1 message rejected as spam') }),
      new SmtpError('ECONNECTION', 'the server closed the connection', { reply: reply(421, '4.3.2 shutting down') }),
      new SmtpError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:25', { command: 'CONN' }),
      new SmtpError('ETIMEDOUT', 'timeout: no reply to DATA within 120000 ms', { command: 'DATA' }),
    ];
    for (const err of cases) expect(smtpSetupProblem(err, server)).toBeUndefined();
  });
});
