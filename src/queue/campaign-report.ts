/**
 * A campaign's report: what was sent, what came back, and what readers did with it — the one
 * computation behind `newsdesk campaign report`, `GET /api/campaigns/:id/report` and the
 * dashboard. Machine clicks and opens are reported beside the human ones, never added to them
 * (README.md, "What readers did with it").
 */
import { z } from 'zod';
import { LinkSection } from '../domain/tracking.schema.ts';
import type { CampaignStore } from '../store/campaign.store.ts';
import type { ClickStore } from '../store/click.store.ts';
import type { ReturnStore } from '../store/return.store.ts';

const n = z.number().int().min(0);
const HumanMachine = z.strictObject({ human: n, machine: n });

/** The report's JSON, field for field (a public contract). */
export const CampaignReport = z.strictObject({
  id: z.string(),
  sent: n,
  failed: n,
  skipped: n,
  bounces: z.strictObject({ hard: n, soft: n }),
  complaints: n,
  unsubscribes: z.strictObject({ oneClick: n, mailto: n, page: n }),
  clicks: z.strictObject({
    human: n,
    machine: n,
    /** Readers with at least one human click; null unless the newsletter tracks per reader. */
    uniqueReaders: n.nullable(),
    /** Tracked links in the order of the email. */
    byLink: z.array(z.strictObject({ url: z.string(), section: LinkSection, label: z.string(), human: n, machine: n })),
  }),
  /** Null when the newsletter does not track opens. */
  opens: HumanMachine.nullable(),
});
export type CampaignReport = z.infer<typeof CampaignReport>;

/** What the return path (bounces, feedback reports, mail to the unsubscribe address) counted for a campaign. */
export interface ReturnPathFigures {
  forCampaign(campaignId: string): Promise<{ bounces: { hard: number; soft: number }; complaints: number; mailtoUnsubscribes: number }>;
}

/** The return store's per-campaign counters as the report reads them (mail to the unsubscribe address is `unsubscribe`). */
export function returnFiguresOf(store: Pick<ReturnStore, 'campaignStats'>): ReturnPathFigures {
  return {
    async forCampaign(campaignId) {
      const { counts } = await store.campaignStats(campaignId);
      return { bounces: { hard: counts.hard, soft: counts.soft }, complaints: counts.complaint, mailtoUnsubscribes: counts.unsubscribe };
    },
  };
}

export interface ReportSources {
  campaigns: Pick<CampaignStore, 'get' | 'content'>;
  clickStore: Pick<ClickStore, 'counts' | 'unsubscribes'>;
  returnFigures: ReturnPathFigures;
}

/**
 * The report of one campaign.
 * @throws NotFoundError for an unknown campaign
 */
export async function campaignReport(sources: ReportSources, id: string): Promise<CampaignReport> {
  const campaign = await sources.campaigns.get(id);
  const content = await sources.campaigns.content(id);
  const tracking = content.tracking;
  const links = tracking?.links ?? [];
  const [counts, unsubscribes, returned] = await Promise.all([
    sources.clickStore.counts(id, links.length),
    sources.clickStore.unsubscribes(id),
    sources.returnFigures.forCampaign(id),
  ]);
  const clicksOn = tracking !== undefined && tracking.clicks !== 'off';
  const byLink = clicksOn
    ? links.flatMap((link, i) => (link.track ? [{ url: link.url, section: link.section, label: link.label, ...(counts.byLink[i] ?? { human: 0, machine: 0 }) }] : []))
    : [];
  return CampaignReport.parse({
    id,
    sent: campaign.counts.sent,
    failed: campaign.counts.failed,
    skipped: campaign.counts.skipped,
    bounces: returned.bounces,
    complaints: returned.complaints,
    unsubscribes: { oneClick: unsubscribes.oneClick, mailto: returned.mailtoUnsubscribes, page: unsubscribes.page },
    clicks: {
      human: byLink.reduce((s, l) => s + l.human, 0),
      machine: byLink.reduce((s, l) => s + l.machine, 0),
      uniqueReaders: tracking?.clicks === 'per-reader' ? counts.readers : null,
      byLink,
    },
    opens: tracking?.opens === 'on' ? counts.opens : null,
  });
}
