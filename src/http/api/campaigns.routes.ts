/**
 * `/api/campaigns`: create (compile now, start now or at `at`), status, reschedule, pause,
 * resume, cancel, test send, and the delivery record — what `newsdesk campaign …` does.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { CampaignId, DeliveryState } from '../../domain/campaign.schema.ts';
import { ValidationError } from '../../domain/errors.ts';
import { ListId } from '../../domain/list.schema.ts';
import { SendTime } from '../../domain/send-time.ts';
import { EmailAddress } from '../../domain/subscriber.schema.ts';
import { lintProblems } from '../../composer/lint.ts';
import { audit } from '../audit.ts';
import { composeEditionInput } from '../edition-input.ts';
import { EditionBody } from './editions.routes.ts';
import { statusBody } from '../../queue/campaign.service.ts';
import { CampaignReport, campaignReport } from '../../queue/campaign-report.ts';

export interface CampaignRoutesOptions {
  app: App;
  newsletterDirs: string[];
  templates: TemplateCache;
}

export const CreateCampaignBody = z.strictObject({
  edition: EditionBody,
  lists: z.array(ListId).min(1, 'name at least one list').max(100, 'at most 100 lists'),
  /** Start time with its offset; omitted or past: start now. */
  at: SendTime.optional(),
});

const IdParams = z.strictObject({ id: CampaignId });
const ListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const DeliveriesQuery = z.strictObject({
  state: DeliveryState.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const campaignRoutes: FastifyPluginAsync<CampaignRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();

  const status = async (id: string) => statusBody(await app.service.status(id, { failures: 20 }));

  server.get('/campaigns', { schema: { tags: ['campaigns'], summary: 'Recent campaigns, newest first', querystring: ListQuery } }, async (req) =>
    app.campaigns.list(req.query.limit),
  );

  server.post(
    '/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Create a campaign: compile the edition now, start at `at` (or at once)',
        description: 'A bad edition or a lint error (for example an image without alt text) is a 400 naming each field; nothing is stored.',
        body: CreateCampaignBody,
      },
    },
    async (req, reply) => {
      // A list named in the body that does not exist is a mistake in the body: a 400 naming it.
      const found = await Promise.all(req.body.lists.map((id) => app.stores.lists.get(id)));
      const unknown = req.body.lists.flatMap((_, i) => (found[i] ? [] : [{ path: `lists[${i}]`, message: 'no such list' }]));
      if (unknown.length) throw new ValidationError('request_invalid', 'body', unknown);
      const { edition, newsletter, compiled, report } = await composeEditionInput(req.body.edition, {
        newsletterDirs: opts.newsletterDirs,
        templates: opts.templates,
      });
      if (!report.ok) throw new ValidationError('edition_lint_failed', 'edition', lintProblems(report).map((p) => ({ ...p, path: p.path ? `edition.${p.path}` : 'edition' })));
      const campaign = await app.service.create({ compiled, newsletter, subject: edition.subject, lists: req.body.lists, at: req.body.at });
      req.log.info({ campaign: campaign.id, lists: campaign.lists, at: campaign.scheduledAt, token: req.apiToken?.name }, 'campaign created');
      await audit(app, req, { action: 'campaign.create', target: campaign.id, detail: { lists: campaign.lists.join(','), scheduledAt: campaign.scheduledAt } });
      return reply.code(201).send({ ...campaign, lint: report });
    },
  );

  server.get('/campaigns/:id', { schema: { tags: ['campaigns'], summary: 'Status: counts, rate, ETA, progress and recent failures with SMTP replies', params: IdParams } }, async (req) =>
    status(req.params.id),
  );

  server.post(
    '/campaigns/:id/reschedule',
    { schema: { tags: ['campaigns'], summary: 'Move the start of a scheduled campaign', params: IdParams, body: z.strictObject({ at: SendTime }) } },
    async (req) => {
      const campaign = await app.service.reschedule(req.params.id, req.body.at);
      await audit(app, req, { action: 'campaign.reschedule', target: campaign.id, detail: { scheduledAt: campaign.scheduledAt } });
      return campaign;
    },
  );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    const summary = { pause: 'Pause a sending campaign (workers stop within seconds)', resume: 'Resume a paused campaign', cancel: 'Cancel: nothing more is sent' }[action];
    server.post(`/campaigns/:id/${action}`, { schema: { tags: ['campaigns'], summary, params: IdParams } }, async (req) => {
      const campaign = await app.service[action](req.params.id);
      req.log.info({ campaign: campaign.id, action, token: req.apiToken?.name }, `campaign ${action}`);
      await audit(app, req, { action: `campaign.${action}`, target: campaign.id });
      return campaign;
    });
  }

  server.post(
    '/campaigns/:id/test',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Send one copy, subject prefixed [TEST], counted nowhere; 502 with the SMTP reply when it was not sent',
        params: IdParams,
        body: z.strictObject({ to: EmailAddress }),
      },
    },
    async (req, reply) => {
      const outcome = await app.service.testSend(req.params.id, req.body.to);
      await audit(app, req, { action: 'campaign.test', target: req.params.id, detail: { to: req.body.to, status: outcome.status } });
      return reply.code(outcome.status === 'sent' ? 200 : 502).send(outcome);
    },
  );

  server.get(
    '/campaigns/:id/report',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'What was sent, what came back and what readers did: bounces, complaints, unsubscribes, clicks per link and opens, human and machine apart',
        params: IdParams,
        response: { 200: CampaignReport },
      },
    },
    async (req) => campaignReport(app, req.params.id),
  );

  server.get(
    '/campaigns/:id/deliveries',
    { schema: { tags: ['campaigns'], summary: 'The delivery record: sent (with the SMTP reply), failed, skipped (and why)', params: IdParams, querystring: DeliveriesQuery } },
    async (req) => {
      await app.campaigns.get(req.params.id);
      const rows = await app.campaigns.deliveries(req.params.id, { ...(req.query.state ? { state: req.query.state } : {}), limit: req.query.limit });
      const subscribers = await app.stores.subscribers.getMany(rows.map((d) => d.subscriberId));
      return rows.map((d, i) => ({ ...d, email: subscribers[i]?.emailDisplay ?? null }));
    },
  );
};
