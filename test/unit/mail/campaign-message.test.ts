import { isAscii } from 'node:buffer';
import { generateKeyPairSync } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { Recipient } from '../../../src/domain/compiled-email.ts';
import { fillTemplate, htmlSlotValues, slotValues } from '../../../src/domain/personalization.ts';
import { prepareCampaignMessage, type CampaignMessageOptions } from '../../../src/mail/campaign-message.ts';
import { createDkimSigner } from '../../../src/mail/dkim.ts';
import { HeaderValueError } from '../../../src/mail/mime-header.ts';
import { isSmtpReady } from '../../../src/mail/smtp-data.ts';
import { compiled, newsletter, recipient, template } from '../../support/fixtures.ts';

const at = new Date('2025-02-13T06:00:00Z');
const base: CampaignMessageOptions = { compiled, newsletter, campaign: { id: 'cmp_42', listId: 'Main List' }, now: () => at };
const ada: Recipient = {
  email: 'ada@example.org',
  name: 'Ada Lovelace',
  unsubscribeUrl: 'https://briefing.example.com/u/tok1',
  viewUrl: 'https://briefing.example.com/v/tok1',
};

const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const headOf = (raw: Buffer): string => raw.toString('latin1').split('\r\n\r\n')[0] as string;

describe('prepareCampaignMessage', () => {
  it('writes exactly these headers, in this order', () => {
    const out = prepareCampaignMessage(base).render(ada, { messageIdLocal: 'cmp_42.7' });
    const head = headOf(out.raw);
    const boundary = /boundary="(=_nd_[0-9a-f]{24})"$/.exec(head)?.[1];
    expect(boundary).toBeDefined();
    expect(head).toBe(
      [
        'From: "The Daily Briefing" <news@briefing.example.com>',
        'Reply-To: "Newsroom" <desk@briefing.example.com>',
        'To: ada@example.org',
        'Subject: =?UTF-8?B?R29vZCBtb3JuaW5nLCBBZGE6IGNhZsOpIHByaWNlcyA9IHVwIDEwJQ==?=',
        'Date: Thu, 13 Feb 2025 06:00:00 +0000',
        'Message-ID: <cmp_42.7@briefing.example.com>',
        'MIME-Version: 1.0',
        'List-Unsubscribe: <https://briefing.example.com/u/tok1>,',
        ' <mailto:unsubscribe@briefing.example.com?subject=unsubscribe>',
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
        'List-Id: "The Daily Briefing" <main-list.daily.briefing.example.com>',
        'Feedback-ID: cmp_42:Main-List:daily:newsdesk',
        'Content-Type: multipart/alternative;',
        ` boundary="${boundary}"`,
      ].join('\r\n'),
    );
    expect(out.messageId).toBe('<cmp_42.7@briefing.example.com>');
    expect(out.envelope).toEqual({ from: 'news@briefing.example.com', to: 'ada@example.org' });
  });

  it('takes a per-delivery envelope sender and List-Unsubscribe mailto (VERP), and refuses one that would break the header', () => {
    const message = prepareCampaignMessage(base);
    const returnPath = 'bounces+bq3zk7f2maaaaaaaaaaaaaaaaaaaaa2n9c@bounces.example.com';
    const mailto = 'unsubscribe+uq3zk7f2maaaaaaaaaaaaaaaaaaaaa2n9c@bounces.example.com';
    const out = message.render(ada, { returnPath, unsubscribeAddress: mailto });
    expect(out.envelope).toEqual({ from: returnPath, to: 'ada@example.org' });
    expect(headOf(out.raw)).toContain(`List-Unsubscribe: <https://briefing.example.com/u/tok1>,\r\n <mailto:${mailto}?subject=unsubscribe>`);
    expect(() => message.render(ada, { returnPath: 'x@y.example\r\nBcc: z@evil.example' })).toThrow(HeaderValueError);
    expect(() => message.render(ada, { unsubscribeAddress: 'a>@b.example' })).toThrow(HeaderValueError);
  });

  it('has exactly one List-Unsubscribe and one List-Unsubscribe-Post field', async () => {
    const parsed = await simpleParser(prepareCampaignMessage(base).render(ada).raw);
    const keys = parsed.headerLines.map((h) => h.key);
    expect(keys.filter((k) => k === 'list-unsubscribe')).toHaveLength(1);
    expect(keys.filter((k) => k === 'list-unsubscribe-post')).toHaveLength(1);
    expect(parsed.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('puts the mailto on the same line when the pair is short, and uses a configured unsubscribe address', () => {
    const out = prepareCampaignMessage({ ...base, unsubscribeAddress: 'u@b.ex' }).render({ ...ada, unsubscribeUrl: 'https://b.ex/u/1' });
    expect(headOf(out.raw)).toContain('\r\nList-Unsubscribe: <https://b.ex/u/1>, <mailto:u@b.ex?subject=unsubscribe>\r\n');
  });

  const names = [undefined, 'Zoë "Z" Smith', '  ', '<script>alert(1)</script> x', 'Eve\r\nBcc: victim@example.com', 'José Ñandú', '🎉'];
  it.each(names.map((name, i) => [name, i] as const))('parses back to personalize()’s output for name %j', async (name, i) => {
    const r = recipient(i, name);
    const out = prepareCampaignMessage(base).render(r);
    const parsed = await simpleParser(out.raw);
    const values = slotValues(r, compiled.greetingFallback);
    expect(parsed.text).toBe(fillTemplate(compiled.text, values));
    expect(parsed.html).toBe(fillTemplate(compiled.html, htmlSlotValues(values)));
    expect(parsed.subject).toBe(fillTemplate(compiled.subject, values));
    expect(parsed.to && 'text' in parsed.to ? parsed.to.text : undefined).toBe(r.email);
    expect(parsed.from?.value).toEqual([{ name: 'The Daily Briefing', address: 'news@briefing.example.com' }]);
    expect(parsed.replyTo?.value).toEqual([{ name: 'Newsroom', address: 'desk@briefing.example.com' }]);
    expect(parsed.messageId).toBe(out.messageId);
    expect(parsed.headers.has('bcc')).toBe(false);
  });

  it('uses CRLF everywhere, keeps body lines within 76 octets and header lines within 78 (a lone long URL aside)', () => {
    const out = prepareCampaignMessage(base).render(recipient(3, 'Zoë Smith'));
    const text = out.raw.toString('latin1');
    expect(text).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
    expect(out.raw.every((b) => b < 128)).toBe(true);
    const [head, ...body] = text.split('\r\n\r\n');
    for (const line of body.join('\r\n\r\n').split('\r\n')) {
      expect(line.length).toBeLessThanOrEqual(76);
      expect(line.startsWith('.')).toBe(false); // nothing for SMTP to dot-stuff
    }
    for (const line of (head as string).split('\r\n')) {
      if (line.length > 78) expect(line).toMatch(/^List-Unsubscribe: <https:\/\/[^ ]+>,$/);
      expect(line.length).toBeLessThanOrEqual(998);
    }
  });

  it('is SMTP-ready and ASCII as built, as its smtpReady flag tells the client (also once DKIM-signed)', () => {
    // Lines that open with a dot, bare line ends and non-ASCII text in the template and the values.
    const dotty = {
      ...compiled,
      text: template('.hidden line\n.\nHi {{firstName}},\r.{{email}}\nété — fin'),
      html: template('<p>\n.dot</p>\n<p>{{firstName}} ☃</p>'),
    };
    const signer = createDkimSigner({ domain: 'briefing.example.com', selector: 's1', privateKey: dkimKey });
    for (const name of ['Ada Lovelace', '.Dot Person', 'Zoë Ångström', 'Émile ☃']) {
      const out = prepareCampaignMessage({ ...base, compiled: dotty }).render({ ...ada, name });
      expect(out.smtpReady).toBe(true);
      for (const raw of [out.raw, signer.sign(out.raw)]) {
        expect(isSmtpReady(raw)).toBe(true);
        expect(isAscii(raw)).toBe(true);
      }
    }
  });

  it('gives every message its own Message-ID on the From domain', () => {
    const message = prepareCampaignMessage(base);
    const ids = new Set(Array.from({ length: 500 }, (_, i) => message.render(recipient(i)).messageId));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^<[0-9a-f-]{36}@briefing\.example\.com>$/);
  });

  it('prefixes the subject for a test send, keeping ASCII subjects readable and folded', async () => {
    const long = { ...compiled, subject: template('Your briefing for Thursday, {{firstName}}: markets, weather, the city council vote and more') };
    const out = prepareCampaignMessage({ ...base, compiled: long, subjectPrefix: '[TEST]' }).render(ada);
    const head = headOf(out.raw);
    expect(head).toContain('Subject: [TEST] Your briefing for Thursday, Ada: markets, weather, the city\r\n council vote and more\r\n');
    expect((await simpleParser(out.raw)).subject).toBe('[TEST] Your briefing for Thursday, Ada: markets, weather, the city council vote and more');
  });

  it('folds a long non-ASCII subject into encoded words of whole characters', async () => {
    const subject = `Ünïcödé ${'ça va — '.repeat(12)}🎉{{firstName}}`;
    const out = prepareCampaignMessage({ ...base, compiled: { ...compiled, subject: template(subject) } }).render(ada);
    const head = headOf(out.raw).split('\r\n');
    const start = head.findIndex((l) => l.startsWith('Subject: '));
    const end = head.findIndex((l, i) => i > start && !l.startsWith(' '));
    const lines = head.slice(start, end);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^(Subject:)? =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
    expect((await simpleParser(out.raw)).subject).toBe(subject.replace('{{firstName}}', 'Ada'));
  });

  it('encodes an ASCII subject that looks like an encoded word, so it is read literally', async () => {
    const subject = 'Why =?UTF-8?B?SGk=?= shows up';
    const out = prepareCampaignMessage({ ...base, compiled: { ...compiled, subject: template(subject) } }).render(ada);
    expect((await simpleParser(out.raw)).subject).toBe(subject);
  });

  it('turns line breaks in a subject into spaces rather than new header fields', async () => {
    const out = prepareCampaignMessage({ ...base, compiled: { ...compiled, subject: template('Line one\r\nBcc: x@y.z') } }).render(ada);
    const parsed = await simpleParser(out.raw);
    expect(parsed.subject).toBe('Line one Bcc: x@y.z');
    expect(parsed.headers.has('bcc')).toBe(false);
  });

  it('refuses a recipient address or link that would break the headers, naming the field', () => {
    const message = prepareCampaignMessage(base);
    expect(() => message.render({ ...ada, email: 'ada@example.org\r\nBcc: x@y.z' })).toThrow(HeaderValueError);
    expect(() => message.render({ ...ada, email: 'ada@example.org\r\nBcc: x@y.z' })).toThrow(/recipient\.email/);
    expect(() => message.render({ ...ada, unsubscribeUrl: 'https://x.example/u/1>, <https://evil.example' })).toThrow(/recipient\.unsubscribeUrl/);
    expect(() => message.render({ ...ada, unsubscribeUrl: 'javascript:alert(1)' })).toThrow(/recipient\.unsubscribeUrl/);
    expect(() => message.render(ada, { messageIdLocal: 'a b' })).toThrow(/messageIdLocal/);
  });

  it('sends bounces where it is told', () => {
    const out = prepareCampaignMessage({ ...base, envelopeFrom: 'bounces@mail.example.com' }).render(ada);
    expect(out.envelope.from).toBe('bounces@mail.example.com');
  });
});

describe('messageIdEchoHeader (an ESP that reports back only headers of its own naming)', () => {
  it('repeats the Message-ID in the named header, and writes nothing extra without it', () => {
    const echoed = headOf(prepareCampaignMessage({ ...base, messageIdEchoHeader: 'X-PM-Metadata-newsdesk-message-id' }).render(ada, { messageIdLocal: 'cmp_42.7' }).raw);
    expect(echoed).toContain('Message-ID: <cmp_42.7@briefing.example.com>\r\nX-PM-Metadata-newsdesk-message-id: cmp_42.7@briefing.example.com\r\n');
    expect(headOf(prepareCampaignMessage(base).render(ada).raw)).not.toContain('X-PM-Metadata');
  });

  it('refuses a name that is not a header field name', () => {
    expect(() => prepareCampaignMessage({ ...base, messageIdEchoHeader: 'X-Bad: injected\r\nBcc' })).toThrow(HeaderValueError);
  });
});
