import { describe, expect, it } from 'vitest';
import { imapConnection } from '../../../src/mail/imap-connection.ts';

describe('imapConnection', () => {
  it('imaps is TLS from the start, on 993 by default', () => {
    expect(imapConnection('imaps://bounces%40example.com:p%3Aw@imap.example.com/INBOX')).toEqual({
      host: 'imap.example.com',
      port: 993,
      secure: true,
      doSTARTTLS: undefined,
      user: 'bounces@example.com',
      pass: 'p:w',
      mailbox: 'INBOX',
    });
  });

  it('imap requires STARTTLS, except on loopback; the path names the mailbox', () => {
    expect(imapConnection('imap://u:p@imap.example.com/Bounces%20In')).toMatchObject({ port: 143, secure: false, doSTARTTLS: true, mailbox: 'Bounces In' });
    expect(imapConnection('imap://u:p@127.0.0.1:1143/')).toMatchObject({ port: 1143, doSTARTTLS: undefined, mailbox: 'INBOX' });
    expect(imapConnection('imap://u:p@[::1]:1143')).toMatchObject({ host: '::1', doSTARTTLS: undefined });
    expect(imapConnection('imap://u:p@localhost')).toMatchObject({ doSTARTTLS: undefined });
  });
});
