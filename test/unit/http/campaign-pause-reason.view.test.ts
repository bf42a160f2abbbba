import { describe, expect, it } from 'vitest';
import { type Campaign, progressOf } from '../../../src/domain/campaign.schema.ts';
import { campaignReturns } from '../../../src/domain/return-report.ts';
import { campaignDetailView } from '../../../src/http/admin/campaign.views.ts';

const campaign: Campaign = {
  id: 'daily-2025-02-13-abc123',
  status: 'paused',
  newsletterId: 'daily',
  editionDate: '2025-02-13',
  subject: 'Today',
  lists: ['daily'],
  createdAt: '2025-02-13T05:00:00.000Z',
  scheduledAt: '2025-02-13T06:00:00.000Z',
  startedAt: '2025-02-13T06:00:00.000Z',
  pausedAt: '2025-02-13T06:01:00.000Z',
  cursor: 10,
  fanoutDone: true,
  counts: { total: 10, sent: 0, failed: 0, skipped: 0, pending: 10 },
};

function render(c: Campaign): string {
  const returns = campaignReturns(0, { counts: { hard: 0, soft: 0, complaint: 0, unsubscribe: 0, blocked: 0 }, blocksByProvider: {}, breaker: undefined }, 10);
  const p = { ...progressOf(c), failures: [], deliveryRecordsUntil: null, deliveryRecordsRemoved: false, returns };
  return campaignDetailView({ p, failures: [], skipped: [], csrf: 't' } as Parameters<typeof campaignDetailView>[0]).toString();
}

describe('the dashboard campaign page', () => {
  it('shows why newsdesk paused a campaign, escaped, next to the Resume button', () => {
    const page = render({ ...campaign, pauseReason: 'SMTP server smtp://relay:587 refused the login (535 <auth>): check the user and password in SMTP_URL' });
    expect(page).toContain(
      '<p class="card" data-field="pause-reason"><strong>Paused by newsdesk:</strong> SMTP server smtp://relay:587 refused the login (535 &lt;auth&gt;): check the user and password in SMTP_URL.',
    );
    expect(page).toContain('action="/admin/campaigns/daily-2025-02-13-abc123/resume"');
  });

  it('says nothing of the kind when an editor paused it', () => {
    expect(render(campaign)).not.toContain('pause-reason');
  });
});
