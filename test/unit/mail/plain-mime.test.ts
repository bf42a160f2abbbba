/**
 * The light MIME reader (src/mail/plain-mime.ts) must never change what a message is read as:
 * every fixture in test/fixtures/bounces/, as stored (LF) and as it arrives over SMTP (CRLF),
 * goes through both the default reader and mailparser alone, and the messages read and the
 * events concluded must be identical. Fixtures the light reader declines go to mailparser in
 * both runs; the test also checks the light reader does take the common report shapes, so it
 * cannot pass by declining everything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPlainMime } from '../../../src/mail/plain-mime.ts';
import { readReturnMail } from '../../../src/mail/return-mail.ts';
import { readReturnMessage } from '../../../src/mail/return-message.ts';

const DIR = join(import.meta.dirname, '../../fixtures/bounces');
const files = readdirSync(DIR).filter((f) => f.endsWith('.eml'));
const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
const samples = files.flatMap((f) => {
  const raw = readFileSync(join(DIR, f));
  return [
    { name: `${f} (LF)`, raw },
    { name: `${f} (CRLF)`, raw: crlf(raw) },
  ];
});
const TOKEN = 'bounces+aaaaaaaaaaaaaaaaaaaaaaaaaaaaa0a1@news.example.com';

describe('the light MIME reader agrees with mailparser on every fixture', () => {
  it.each(samples)('$name', async ({ raw }) => {
    expect(await readReturnMessage(raw)).toEqual(await readReturnMessage(raw, { parser: 'mailparser' }));
    for (const rcpt of ['feedback@news.example.com', TOKEN, undefined]) {
      const options = { source: 'smtp' as const, rcpt, feedbackAddresses: ['feedback@news.example.com'] };
      const fast = await readReturnMail(raw, options);
      const slow = await readReturnMail(raw, { ...options, parser: 'mailparser' });
      expect(fast.event).toEqual(slow.event);
      expect(fast.address).toEqual(slow.address);
    }
  });

  it('reads a report cut short (no closing boundary) as mailparser does', async () => {
    const full = readFileSync(join(DIR, 'rb-sisimai__postfix-14.eml'));
    const cut = full.subarray(0, full.indexOf('Nyaaan'));
    expect(readPlainMime(cut.toString('latin1'))).toBeDefined();
    expect(await readReturnMessage(cut)).toEqual(await readReturnMessage(cut, { parser: 'mailparser' }));
  });

  it('reads the common report shapes itself (RFC 3464, ARF, plain-text bounces)', () => {
    const taken = files.filter((f) => readPlainMime(readFileSync(join(DIR, f), 'latin1')) !== undefined);
    for (const f of ['rb-sisimai__postfix-14.eml', 'rb-sisimai__postfix-01.eml', 'rb-sisimai__arf-19.eml', 'rb-sisimai__email-exim-02.eml', 'rb-sisimai__rfc3464-03.eml']) expect(taken).toContain(f);
  });

  it('declines what it cannot read exactly: encoded parts, nested multiparts, encoded words', () => {
    const base64 = 'From: a@b.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n';
    const nested = 'From: a@b.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: multipart/alternative; boundary="c"\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\nx\r\n--c--\r\n--b--\r\n';
    const words = 'From: a@b.example\r\nSubject: =?utf-8?q?Unzustellbar?=\r\n\r\nbody\r\n';
    const disposed = 'From: a@b.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=x.txt\r\n\r\nx\r\n--b--\r\n';
    const flowed = 'From: a@b.example\r\nContent-Type: text/plain; format=flowed\r\n\r\nbody \r\nmore\r\n';
    for (const m of [base64, nested, words, disposed, flowed]) expect(readPlainMime(m)).toBeUndefined();
    expect(readPlainMime('From: a@b.example\r\nSubject: plain\r\n\r\nbody\r\n')?.text).toBe('body\n');
  });
});

// Shapes at the edge of what the light reader takes, each compared with mailparser (it may take
// or decline each; whatever it does must not change the message read).
const H = 'From: MAILER-DAEMON@x.example (Mail Delivery System)\r\nSubject: Undelivered Mail\r\nMessage-Id: <a@b>\r\n';
const M = (ct: string, body: string, extra = '') => `${H}${extra}Content-Type: ${ct}\r\n\r\n${body}`;
const DSN = 'Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\n';
const shapes: Record<string, string> = {
  trailingWs: M('multipart/report; report-type=delivery-status; boundary="b"', '--b  \r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n' + DSN + '--b--\r\n'),
  closeWs: M('multipart/report; report-type=delivery-status; boundary="b"', '--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n' + DSN + '--b-- \r\n'),
  preambleEpilogue: M('multipart/report; boundary=b', 'preamble --b x\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\nepilogue\r\n--b\r\n'),
  utf8text: M('multipart/mixed; boundary=b', '--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nh\u00e9llo \u2603\r\n--b--\r\n'),
  latin1: M('text/plain; charset=iso-8859-1', 'h\xe9llo\r\n'),
  emptyPart: M('multipart/mixed; boundary=b', '--b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n'),
  emptyBody: M('multipart/mixed; boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\n\r\n--b--\r\n'),
  noHeaderBodySep: M('multipart/mixed; boundary=b', '--b\r\nContent-Type: text/plain\r\n--b--\r\n'),
  ctCase: M('Multipart/Report; Report-Type=Delivery-Status; Boundary="b"', '--b\r\nContent-Type: TEXT/PLAIN\r\n\r\nx\r\n--b\r\nContent-Type: Message/Delivery-Status\r\n\r\n' + DSN + '--b--\r\n'),
  quotedFrom: `From: "Mail, Daemon" <m@x.example>\r\nSubject: s\r\n\r\nbody\r\n`,
  groupFrom: `From: undisclosed:;\r\nSubject: s\r\n\r\nbody\r\n`,
  twoFrom: `From: a@x.example, b@y.example\r\nSubject: s\r\n\r\nbody\r\n`,
  angleOnly: `From: <a@x.example>\r\n\r\nbody\r\n`,
  noFrom: `Subject: s\r\n\r\nbody\r\n`,
  midNoColon: `From: a@x.example\r\nweird line\r\nSubject: s\r\n\r\nbody\r\n`,
  bareCR: `From: a@x.example\r\nSubject: a\rb\r\n\r\nbody\r\n`,
  msgidNoBrackets: `From: a@x.example\r\nMessage-ID: abc@def\r\n\r\nbody\r\n`,
  msgidFolded: `From: a@x.example\r\nMessage-ID:\r\n <abc@def>\r\n\r\nbody\r\n`,
  subjFoldedTabs: `From: a@x.example\r\nSubject: one\r\n\t\t two   three\r\n\r\nbody\r\n`,
  emptySubject: `From: a@x.example\r\nSubject:\r\n\r\nbody\r\n`,
  noBodyAtAll: `From: a@x.example\r\nSubject: s\r\n\r\n`,
  headersOnly: `From: a@x.example\r\nSubject: s\r\n`,
  dateHeader: `From: a@x.example\r\nDate: Fri, 13 Feb 2015 02:48:13 +0000 (UTC)\r\n\r\nbody\r\n`,
  ctNoSubtype: M('text', 'x\r\n'),
  ctParamsOdd: M('text/plain; charset="us-ascii"; format=fixed', 'x\r\n'),
  ct2231: M('multipart/mixed; boundary*=b', '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n'),
  nameParam: M('multipart/mixed; boundary=b', '--b\r\nContent-Type: text/plain; name="a.txt"\r\n\r\nx\r\n--b--\r\n'),
  rfc822Multipart: M('multipart/report; boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\ninner\r\n--c--\r\n--b--\r\n'),
  rfc822Base64Inner: M('multipart/report; boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n'),
  feedback: M('multipart/report; report-type=feedback-report; boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report\r\n--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nVersion: 1\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nList-Unsubscribe: <mailto:unsubscribe+aaaa@x>\r\n--b--\r\n'),
  lfOnly: M('multipart/mixed; boundary=b', '--b\nContent-Type: text/plain\n\nx\n--b--\n').replace(/\r\n/g, '\n'),
  mixedEol: M('multipart/mixed; boundary=b', '--b\nContent-Type: text/plain\r\n\r\nx\r\ny\n--b--\r\n'),
  dotLine: M('text/plain', 'a\r\n.\r\nb\r\n'),
  htmlRoot: M('text/html', '<p>x</p>\r\n'),
  deliveryStatusRoot: M('message/delivery-status', DSN),
  dispositionInlineRoot: M('text/plain', 'x\r\n', 'Content-Disposition: inline\r\n'),
  dispositionInlineFilename: M('multipart/mixed; boundary=b', '--b\r\nContent-Type: text/plain\r\nContent-Disposition: inline; filename=a.txt\r\n\r\nx\r\n--b--\r\n'),
  cteQP: M('text/plain', 'a=3Db\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n'),
  cte7bitUpper: M('text/plain', 'x\r\n', 'Content-Transfer-Encoding: 7BIT\r\n'),
  invalidUtf8: M('text/plain; charset=utf-8', 'caf\xe9\r\n'),
  eightBitHeader: `From: a@x.example\r\nSubject: caf\xc3\xa9\r\n\r\nbody\r\n`,
  mboxFrom: `From someone Fri Feb 13\r\nFrom: a@x.example\r\n\r\nbody\r\n`,
  boundaryInBody: M('multipart/mixed; boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\nsee --b here\r\n--bx\r\n--b--\r\n'),
  spaceBeforeColon: `From : a@x.example\r\n\r\nbody\r\n`,
  dupContentType: `From: a@x.example\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nbody\r\n`,
  xFailed: `From: Mailer-Daemon@x.example\r\nX-Failed-Recipients: a@b.example\r\nSubject: Mail delivery failed\r\n\r\n  a@b.example\r\n    550 5.1.1 user unknown\r\n`,
};
const truncated = files.flatMap((f) => {
  const raw = readFileSync(join(DIR, f), 'latin1');
  return [0.3, 0.6, 0.9].map((cut) => ({ name: `${f} cut at ${cut * 100} %`, raw: Buffer.from(raw.slice(0, Math.floor(raw.length * cut)), 'latin1') }));
});

describe('the light MIME reader agrees with mailparser on edge shapes and on reports cut short', () => {
  it.each([...Object.entries(shapes).map(([name, text]) => ({ name, raw: Buffer.from(text, 'latin1') })), ...truncated])('$name', async ({ raw }) => {
    expect(await readReturnMessage(raw)).toEqual(await readReturnMessage(raw, { parser: 'mailparser' }));
  });

  it('takes a good part of them (the comparison is not vacuous)', () => {
    const taken = Object.values(shapes).filter((text) => readPlainMime(text) !== undefined).length;
    expect(taken).toBeGreaterThanOrEqual(Object.keys(shapes).length / 3);
  });
});
