/**
 * The classifier against real bounce and feedback messages from many MTAs and providers
 * (test/fixtures/bounces/, see its README: the sisimai project's public test corpus). Each file's
 * expected class in expected.json was decided from its status code and diagnostic text, not
 * from this classifier's output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signLinkToken } from '../../../src/domain/link-token.ts';
import { readReturnMail } from '../../../src/mail/return-mail.ts';

const DIR = join(import.meta.dirname, '../../fixtures/bounces');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, { class: string; why: string }>;

/** The one-word class a test compares: what the service would do with it. */
function classOf(event: Awaited<ReturnType<typeof readReturnMail>>['event']): string {
  if (event.kind === 'bounce') return event.bounce?.severity ?? 'bounce?';
  if (event.kind === 'sender-alert') return 'about-sender';
  if (event.kind === 'complaint') return event.feedbackType && event.feedbackType !== 'abuse' ? `complaint:${event.feedbackType}` : 'complaint';
  return event.kind;
}

describe('classifying real return mail (test/fixtures/bounces)', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.eml'));

  it('has an expected class for every sample and a sample for every expected class', () => {
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(22);
  });

  it.each(files)('%s', async (file) => {
    const { event } = await readReturnMail(readFileSync(join(DIR, file)), { source: 'pipe', rcpt: 'feedback@news.example.com', feedbackAddresses: ['feedback@news.example.com'] });
    expect({ file, class: classOf(event) }, `${expected[file]?.why} — concluded: ${event.note}`).toEqual({ file, class: expected[file]?.class });
  });
});

describe('a feedback report whose recipient the provider redacted', () => {
  /** An ARF report as a mailbox provider sends it: the returned headers carry only our List-Unsubscribe URL. */
  const report = (listUnsubscribe: string) =>
    Buffer.from(
      [
        'From: fbl@provider.example',
        'To: feedback@news.example.com',
        'Subject: complaint about message',
        'Message-ID: <fbl-1@provider.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=feedback-report; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'This is an email abuse report.',
        '--b',
        'Content-Type: message/feedback-report',
        '',
        'Feedback-Type: abuse',
        'User-Agent: provider-fbl/1.0',
        'Version: 1',
        '--b',
        'Content-Type: text/rfc822-headers',
        '',
        'From: The Daily <daily@news.example.com>',
        'To: redacted@provider.example',
        'Subject: Today',
        `List-Unsubscribe: <${listUnsubscribe}>`,
        '--b--',
        '',
      ].join('\r\n'),
    );
  const opts = { source: 'pipe' as const, rcpt: 'feedback@news.example.com', feedbackAddresses: ['feedback@news.example.com'] };

  it('is tied to its delivery by the unsubscribe link token, key id included', async () => {
    const token = signLinkToken({ subscriberId: 42, purpose: 'unsubscribe', scope: { kind: 'campaign', id: 'daily-2025-02-13-abc' } }, 'k'.repeat(16) + 'an-ordinary-test-secret');
    expect(token.split('.')).toHaveLength(6);
    const { event } = await readReturnMail(report(`https://news.example.com/u/${token}`), opts);
    expect(event.kind).toBe('complaint');
    expect(event.identity).toEqual({ kind: 'token', token });
  });

  it('is not tied to anyone by a view link (view links get shared)', async () => {
    const token = signLinkToken({ subscriberId: 42, purpose: 'view', scope: { kind: 'campaign', id: 'daily-2025-02-13-abc' } }, 'k'.repeat(16) + 'an-ordinary-test-secret');
    const { event } = await readReturnMail(report(`https://news.example.com/v/${token}`), opts);
    expect(event.identity).toEqual({ kind: 'none' });
  });
});
