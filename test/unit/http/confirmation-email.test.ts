import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildConfirmationEmail } from '../../../src/http/subscriber/confirmation-email.ts';
import { newsletter } from '../../support/fixtures.ts';

describe('the confirmation email', () => {
  it('is a short two-part message from the newsletter with one confirm link and no List-Unsubscribe', async () => {
    const url = 'https://briefing.example.com/confirm/cl.1.daily.m5x8k0ab.Q2hlY2tzdW0tZXhhbXBsZQ';
    const msg = buildConfirmationEmail({
      newsletter,
      listName: 'Weekend <edition>',
      to: 'Jane@Example.org',
      confirmUrl: url,
      now: new Date('2025-02-13T06:00:00Z'),
    });
    expect(msg.envelope).toEqual({ from: 'news@briefing.example.com', to: 'Jane@Example.org' });
    const raw = msg.raw.toString('latin1');
    expect(raw).toMatch(/^From: "The Daily Briefing" <news@briefing\.example\.com>\r\n/);
    expect(raw).toContain('\r\nAuto-Submitted: auto-replied\r\n');
    expect(raw).not.toMatch(/^List-Unsubscribe/m);
    expect(raw.split('\r\n').every((line) => line.length <= 78)).toBe(true);
    expect(/[^\x00-\x7f]/.test(raw)).toBe(false);

    const parsed = await simpleParser(msg.raw);
    expect(parsed.subject).toBe('Confirm your subscription to The Daily Briefing');
    expect(parsed.messageId).toBe(msg.messageId);
    expect(parsed.date?.toISOString()).toBe('2025-02-13T06:00:00.000Z');
    expect(parsed.text).toContain(`Confirm your subscription: ${url}`);
    expect(parsed.text).toContain('The Daily Briefing (Weekend <edition>) at Jane@Example.org');
    expect(parsed.html).toContain(`href="${url}"`);
    expect(parsed.html).toContain('Weekend &lt;edition&gt;');
    expect(parsed.html).toContain('1 Press Row, Springfield');
  });

  it('refuses an address that would break the header', () => {
    expect(() =>
      buildConfirmationEmail({ newsletter, listName: 'x', to: 'a@b.example\r\nBcc: victim@example.org', confirmUrl: 'https://x.example/confirm/t' }),
    ).toThrow(/not an address that can be written into a message/);
  });
});
