import { describe, expect, it } from 'vitest';
import { isSmtpReady, toSmtpData } from '../../../src/mail/smtp-data.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('isSmtpReady / toSmtpData', () => {
  it('passes a CRLF-only message without leading dots through as the very same Buffer', () => {
    const raw = b('Subject: hi\r\n\r\nline one\r\nx.y\r\ndots mid-line are fine: .here\r\n \r\n');
    expect(isSmtpReady(raw)).toBe(true);
    expect(toSmtpData(raw)).toBe(raw);
    expect(toSmtpData(b(''))).toHaveLength(0);
  });

  // Each input, and the bytes that must go on the wire for it.
  const repairs: [string, string, string][] = [
    ['a line that starts with a dot', 'a\r\n.b\r\n', 'a\r\n..b\r\n'],
    ['a dot on the first line', '.a\r\n', '..a\r\n'],
    ['a lone dot line (would end DATA)', 'a\r\n.\r\nMAIL FROM:<x@y>\r\n', 'a\r\n..\r\nMAIL FROM:<x@y>\r\n'],
    ['a bare LF', 'a\nb\r\n', 'a\r\nb\r\n'],
    ['a bare LF before a dot (SMTP smuggling shape)', 'a\n.\nb\r\n', 'a\r\n..\r\nb\r\n'],
    ['a bare CR', 'a\rb\r\n', 'a\r\nb\r\n'],
    ['a bare CR before a dot', 'a\r.\r\nb\r\n', 'a\r\n..\r\nb\r\n'],
    ['no line end at the end', 'a\r\nb', 'a\r\nb\r\n'],
    ['LF-only text', 'x\n\n.y\n', 'x\r\n\r\n..y\r\n'],
    ['CR LF split by a bare CR', 'a\r\r\nb\r\n', 'a\r\n\r\nb\r\n'],
  ];
  it.each(repairs)('repairs %s', (_name, input, wire) => {
    expect(isSmtpReady(b(input))).toBe(false);
    expect(toSmtpData(b(input)).toString('latin1')).toBe(wire);
  });

  it('keeps 8-bit bytes as they are', () => {
    const raw = Buffer.concat([b('caf'), Buffer.from([0xc3, 0xa9]), b('\n')]);
    expect([...toSmtpData(raw)]).toEqual([...b('caf'), 0xc3, 0xa9, 13, 10]);
  });
});
