/** Dashboard report pages: a campaign's report, its CSV, its sponsor report, a newsletter's trend. */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { CampaignId } from '../../domain/campaign.schema.ts';
import { campaignReport } from '../../queue/campaign-report.ts';
import { escapeCell } from '../../store/csv-cells.ts';
import { SAMPLE_READER, inertRecipient } from '../../domain/links.ts';
import { personalize } from '../../composer/personalize.ts';
import { emailFrame } from './campaign.views.ts';
import { csrfToken } from './csrf.ts';
import { sendAdminPage } from './layout.ts';
import { type ReportPageData, reportView, sponsorView, trendView } from './report.views.ts';

export interface AdminReportRoutesOptions {
  app: App;
  outbox: boolean;
}

const IdParams = z.strictObject({ id: CampaignId });
const NewsletterParams = z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/) });
const TREND_EDITIONS = 30;

export const adminReportRoutes: FastifyPluginAsync<AdminReportRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const frame = (req: FastifyRequest, reply: FastifyReply, title: string) => ({
    title,
    section: 'campaigns' as const,
    csrf: csrfToken(req, reply),
    who: req.adminSession?.who ?? '',
    outbox: opts.outbox,
  });

  /** The newsletter's last editions with a report, oldest first. */
  async function trendOf(newsletterId: string): Promise<ReportPageData['trend']> {
    const campaigns = (await app.campaigns.list(500)).filter((c) => c.newsletterId === newsletterId && c.counts.sent > 0).slice(0, TREND_EDITIONS);
    const reports = await Promise.all(campaigns.map((c) => campaignReport(app, c.id)));
    return reports
      .map((r, i) => {
        const sent = Math.max(1, r.sent);
        const unsubscribes = r.unsubscribes.oneClick + r.unsubscribes.mailto + r.unsubscribes.page;
        return { id: r.id, date: campaigns[i]?.editionDate ?? '', sent: r.sent, clickRate: r.clicks.human / sent, unsubscribeRate: unsubscribes / sent, complaintRate: r.complaints / sent };
      })
      .reverse();
  }

  server.get('/campaigns/:id/report', { schema: { params: IdParams } }, async (req, reply) => {
    const id = req.params.id;
    const [campaign, report, hours, minutes] = await Promise.all([app.campaigns.get(id), campaignReport(app, id), app.clickStore.hours(id), app.clickStore.sentMinutes(id)]);
    const start = Math.floor(Date.parse(campaign.startedAt ?? campaign.scheduledAt) / 3_600_000);
    const clicksPerHour: [number, number][] = Array.from({ length: 48 }, (_, i) => [start + i, hours.clicks.get(start + i) ?? 0]);
    const sentPerMinute = [...minutes].sort((a, b) => a[0] - b[0]);
    return sendAdminPage(reply, frame(req, reply, `Report ${id}`), reportView({ campaign, report, sentPerMinute, clicksPerHour, trend: [] }));
  });

  server.get('/campaigns/:id/report.csv', { schema: { params: IdParams } }, async (req, reply) => {
    const report = await campaignReport(app, req.params.id);
    const rows = [['section', 'label', 'url', 'human', 'machine'], ...report.clicks.byLink.map((l) => [l.section, l.label, l.url, String(l.human), String(l.machine)])];
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${req.params.id}-links.csv"`)
      .header('cache-control', 'no-store')
      .send(stringify(rows.map((r) => r.map(escapeCell))));
  });

  server.get('/campaigns/:id/sponsor', { schema: { params: IdParams } }, async (req, reply) => {
    const id = req.params.id;
    const [campaign, report, content] = await Promise.all([app.campaigns.get(id), campaignReport(app, id), app.campaigns.content(id)]);
    const hasSponsor = content.tracking?.links.some((l) => l.section === 'sponsor') ?? false;
    const creative = hasSponsor ? emailFrame(personalize(content.compiled, inertRecipient(app.config.publicUrl, SAMPLE_READER)).html, 'w600', 'The email as sent, sponsor block included') : null;
    return sendAdminPage(reply, frame(req, reply, `Sponsor report ${id}`), sponsorView({ campaign, report, newsletterName: content.newsletter.name, creative }));
  });

  server.get('/newsletters/:id/trend', { schema: { params: NewsletterParams } }, async (req, reply) =>
    sendAdminPage(reply, frame(req, reply, `${req.params.id}: trend`), trendView(req.params.id, await trendOf(req.params.id))),
  );
};
