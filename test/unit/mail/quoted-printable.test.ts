import { describe, expect, it } from 'vitest';
import { encodeQuotedPrintable } from '../../../src/mail/quoted-printable.ts';

/** Reference decoder (RFC 2045 §6.7), written independently of the encoder. */
function decode(qp: string): string {
  const bytes: number[] = [];
  const lines = qp.split('\r\n');
  lines.forEach((line, i) => {
    const soft = line.endsWith('=');
    const body = soft ? line.slice(0, -1) : line;
    for (let j = 0; j < body.length; j++) {
      if (body[j] === '=') {
        bytes.push(parseInt(body.slice(j + 1, j + 3), 16));
        j += 2;
      } else bytes.push(body.charCodeAt(j));
    }
    if (!soft && i < lines.length - 1) bytes.push(13, 10);
  });
  return Buffer.from(bytes).toString('utf8');
}

const samples = [
  '',
  'plain ascii',
  'a = b == c =3D',
  'Crème brûlée — 🎉 naïve “quotes”',
  `${'x'.repeat(75)}=${'é'.repeat(40)}`,
  'trailing space \nand tab\t\r\nend ',
  'lone \r carriage return',
  '  leading and   inner   runs  ',
  '\n\n\nblank lines\n\n',
  '.dot at line start\n.\nFrom here',
  `${'x'.repeat(75)}.wraps onto a new line`,
  `<td style="padding:0 0 0 0;">${'<b>long html</b> '.repeat(30)}</td>`,
];

describe('encodeQuotedPrintable', () => {
  it.each(samples)('round-trips %j (\\n becomes CRLF)', (text) => {
    for (const openEnd of [false, true]) {
      const qp = encodeQuotedPrintable(text, openEnd);
      expect(decode(qp)).toBe(text.replace(/\r?\n/g, '\r\n'));
    }
  });

  it.each(samples)('writes short printable lines, none ending in whitespace or starting with a dot: %j', (text) => {
    for (const openEnd of [false, true]) {
      const qp = encodeQuotedPrintable(text, openEnd);
      expect(qp).toMatch(/^[\x20-\x7e\r\n]*$/);
      expect(qp.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      for (const line of qp.split('\r\n')) {
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).not.toMatch(/[ \t]$/);
        expect(line.startsWith('.')).toBe(false);
        // '=' only as an escape or a soft break
        expect(line.replace(/=[0-9A-F]{2}/g, '')).toMatch(/^[^=]*=?$/);
      }
    }
  });

  it('ends an open piece at a line start, so the next piece can follow as is', () => {
    expect(encodeQuotedPrintable('Hello ', true)).toBe('Hello =\r\n');
    expect(encodeQuotedPrintable('line\n', true)).toBe('line\r\n');
    expect(encodeQuotedPrintable('', true)).toBe('');
    expect(encodeQuotedPrintable('Hello ', false)).toBe('Hello=20');
    const joined = ['Hi ', 'Zoë', ', welcome'].map((p, i, all) => encodeQuotedPrintable(p, i < all.length - 1)).join('');
    expect(decode(joined)).toBe('Hi Zoë, welcome');
  });

  it('escapes = and non-ASCII bytes', () => {
    expect(encodeQuotedPrintable('a=b é')).toBe('a=3Db =C3=A9');
  });
});
