/**
 * A test copy of an edition that is not a campaign yet (the dashboard's "send a test" on the
 * preview): the same message builder the workers use, subject prefixed `[TEST]`, inert links.
 */
import type { App } from '../app.ts';
import type { Campaign } from '../domain/campaign.schema.ts';
import type { CompiledEmail } from '../domain/compiled-email.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import type { SendOutcome } from '../mail/transport.ts';

/** Sends one `[TEST]` copy to `to`; counts nowhere. */
export async function sendTestCopy(app: App, content: { compiled: CompiledEmail; newsletter: Newsletter }, lists: string[], to: string): Promise<SendOutcome> {
  const now = new Date().toISOString();
  // Only what the message builder reads matters: the id names List-Id/Feedback-ID, the lists the List-Id.
  const draft: Campaign = {
    id: `test-${content.compiled.editionDate}`,
    status: 'draft',
    newsletterId: content.newsletter.id,
    editionDate: content.compiled.editionDate,
    subject: '',
    lists: lists.length ? lists : ['test'],
    createdAt: now,
    scheduledAt: now,
    cursor: 0,
    fanoutDone: false,
    counts: { total: 0, sent: 0, failed: 0, skipped: 0, pending: 0 },
  };
  const message = app.preparer.prepare(draft, content).render({ subscriberId: 0, email: to }, { subjectPrefix: '[TEST] ' });
  return (await app.transport()).send(message);
}
