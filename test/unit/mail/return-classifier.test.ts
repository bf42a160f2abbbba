/**
 * The classifier against real bounce and feedback messages from many MTAs and providers
 * (test/fixtures/bounces/, see its README: the sisimai project's public test corpus). Each file's
 * expected class in expected.json was decided from its status code and diagnostic text, not
 * from this classifier's output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
