import { describe, expect, it } from 'vitest';
import { parseEhlo, SmtpError, SmtpReplyReader } from '../../../src/mail/smtp-reply.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('SmtpReplyReader', () => {
  it('reads one-line and multi-line replies, several per chunk (pipelined) and across chunks', () => {
    const reader = new SmtpReplyReader();
    expect(reader.push(b('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data'))).toEqual([
      { code: 250, text: '250 2.1.0 Ok', lines: ['2.1.0 Ok'] },
      { code: 250, text: '250 2.1.5 Ok', lines: ['2.1.5 Ok'] },
    ]);
    expect(reader.push(b(' with <CR><LF>.<CR><LF>\r\n550-5.1.1 no such user\r\n550-5.1.1 really\r'))).toEqual([
      { code: 354, text: '354 End data with <CR><LF>.<CR><LF>', lines: ['End data with <CR><LF>.<CR><LF>'] },
    ]);
    expect(reader.push(b('\n550 5.1.1 https://help\n'))).toEqual([
      { code: 550, text: '550-5.1.1 no such user\n550-5.1.1 really\n550 5.1.1 https://help', lines: ['5.1.1 no such user', '5.1.1 really', '5.1.1 https://help'] },
    ]);
  });

  it('takes a bare code line', () => {
    expect(new SmtpReplyReader().push(b('250\r\n'))).toEqual([{ code: 250, text: '250', lines: [''] }]);
  });

  it('refuses a line that is not a reply, and an endless line', () => {
    expect(() => new SmtpReplyReader().push(b('HTTP/1.1 400 Bad Request\r\n'))).toThrow(SmtpError);
    expect(() => new SmtpReplyReader().push(b('hello\r\n'))).toThrow(/not an SMTP reply: "hello"/);
    const endless = new SmtpReplyReader();
    expect(() => endless.push(Buffer.alloc(70_000, 0x41))).toThrow(/longer than/);
  });

  it('forgets a partial reply on reset', () => {
    const reader = new SmtpReplyReader();
    reader.push(b('250-injected\r\n250-more'));
    reader.reset();
    expect(reader.push(b('220 ready\r\n'))).toEqual([{ code: 220, text: '220 ready', lines: ['ready'] }]);
  });
});

describe('parseEhlo', () => {
  const ehlo = (...ext: string[]) => ({ code: 250, text: '', lines: ['mx.example.org Hello', ...ext] });

  it('reads the extensions newsdesk uses', () => {
    const ext = parseEhlo(ehlo('PIPELINING', 'SIZE 10240000', 'STARTTLS', 'AUTH PLAIN LOGIN', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN'));
    expect(ext).toEqual({
      pipelining: true,
      size: 10_240_000,
      sizeAnnounced: true,
      starttls: true,
      auth: new Set(['PLAIN', 'LOGIN']),
      eightBitMime: true,
      smtpUtf8: true,
      enhancedStatusCodes: true,
    });
  });

  it('knows none when none are announced, SIZE without a limit, and the old AUTH= form', () => {
    expect(parseEhlo(ehlo())).toMatchObject({ pipelining: false, size: undefined, sizeAnnounced: false, starttls: false, auth: new Set() });
    expect(parseEhlo(ehlo('SIZE'))).toMatchObject({ size: undefined, sizeAnnounced: true });
    expect(parseEhlo(ehlo('SIZE 0'))).toMatchObject({ size: undefined, sizeAnnounced: true });
    expect(parseEhlo(ehlo('auth=login plain')).auth).toEqual(new Set(['LOGIN', 'PLAIN']));
  });
});
