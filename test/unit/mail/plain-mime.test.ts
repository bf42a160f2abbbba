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
