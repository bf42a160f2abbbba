/**
 * `/api/campaigns`: create (compile now, start now or at `at`), status, reschedule, pause,
 * resume, cancel, test send, and the delivery record — what `newsdesk campaign …` does.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { CampaignId, DeliveryState } from '../../domain/campaign.schema.ts';
import { type InputProblem, ValidationError } from '../../domain/errors.ts';
import { ListId } from '../../domain/list.schema.ts';
import { assertNotPast, resolveSendTime, SendTimeError, SendTimeInput } from '../../domain/send-time.ts';
import { StoredEditionId } from '../../domain/stored-edition.ts';
import { EmailAddress } from '../../domain/subscriber.schema.ts';
import { EditionNotFoundError } from '../../editions/edition.service.ts';
import { lintProblems } from '../../composer/lint.ts';
import { zoneProgress } from '../../queue/zone-progress.ts';
import { actorOf, audit } from '../audit.ts';
import { composeEditionInput } from '../edition-input.ts';
import { EditionBody } from './editions.routes.ts';
import { statusBody } from '../../queue/campaign.service.ts';
import { CampaignReport, campaignReport } from '../../queue/campaign-report.ts';

export interface CampaignRoutesOptions {
  app: App;
  newsletterDirs: string[];
  templates: TemplateCache;
}

/** Confirmations a client gives explicitly (the CLI's --again and --yes). */
const Guards = {
  /** Send although the same edition already went (or goes) to one of these lists. */
  again: z.boolean().optional(),
  /** Send although the edition's date is not the send day in the newsletter's time zone. */
  confirmDate: z.boolean().optional(),
};

export const CreateCampaignBody = z.strictObject({
  /** The edition: YAML/JSON text or an object, or the id of a stored edition (`daily-2025-02-13`). */
  edition: EditionBody.describe(
    'The edition (see examples/editions/2025-02-13.yaml): a JSON object or YAML/JSON text; or the id of a stored edition, `<newsletter>-<date>` ' +
      '(its latest revision is frozen into the campaign; sending needs it approved, a draft does not).',
  ),
  lists: z.array(ListId).min(1, 'name at least one list').max(100, 'at most 100 lists'),
  /**
   * When it starts: `"now"`, a time with its offset, or a local time (`2025-02-13T06:00`) in the
   * newsletter's time zone. A time more than a minute in the past is refused. Omit it only for a draft.
   */
  at: SendTimeInput.optional(),
  /** Store it without starting it; start it later with `POST /api/campaigns/:id/start`. */
  draft: z.boolean().optional(),
  ...Guards,
});

/** Whether a create body says when: exactly one of `at` and `draft: true`. */
function whenProblems(b: { at?: string | undefined; draft?: boolean | undefined }): InputProblem[] {
  if (b.draft && b.at !== undefined) return [{ path: 'at', message: 'a draft has no start time: start it later with POST /api/campaigns/:id/start' }];
  if (!b.draft && b.at === undefined) return [{ path: 'at', message: 'say when: "now", a time, or "draft": true (a campaign no longer starts at once by default)' }];
  return [];
}

const StartBody = z.strictObject({ at: SendTimeInput.default('now'), ...Guards });

/** `at` of a body as an instant (undefined: now); a past or impossible time is a 400 naming `at`. */
function startTime(at: string, timeZone: string | undefined, now = new Date()): Date | undefined {
  try {
    if (at === 'now') return undefined;
    const instant = resolveSendTime(at, { timeZone, field: 'at' });
    assertNotPast(instant, now, timeZone);
    return instant;
  } catch (err) {
    if (err instanceof SendTimeError) throw new ValidationError(err.code, 'body', [{ path: 'at', message: err.message.replace(/^at: /, '') }]);
    throw err;
  }
}

const IdParams = z.strictObject({ id: CampaignId });
const ListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const DeliveriesQuery = z.strictObject({
  state: DeliveryState.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const campaignRoutes: FastifyPluginAsync<CampaignRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();

  const status = async (id: string) => {
    const r = await app.service.status(id, { failures: 20 });
    // Sent at readers' local time: each zone bucket with its sent count (zone-progress.ts).
    const zones = r.campaign.localSend ? zoneProgress(await app.campaignZones.buckets(id), r.campaign.status, new Date()) : null;
    return { ...statusBody(r), ...(zones ? { zones } : {}) };
  };

  server.get('/campaigns', { schema: { tags: ['campaigns'], summary: 'Recent campaigns, newest first', querystring: ListQuery } }, async (req) =>
    app.campaigns.list(req.query.limit),
  );

  server.post(
    '/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Create a campaign: compile the edition now; start it at `at` ("now" or a time) or keep it as a draft',
        description:
          'A bad edition or a lint error (for example an image without alt text) is a 400 naming each field; nothing is stored. ' +
          'A past `at` is a 400; an edition already sent to one of the lists (unless `again`) or dated another day than the send day (unless `confirmDate`) is a 409.',
        body: CreateCampaignBody,
      },
    },
    async (req, reply) => {
      // A list named in the body that does not exist is a mistake in the body: a 400 naming it.
      const found = await Promise.all(req.body.lists.map((id) => app.stores.lists.get(id)));
      const unknown = req.body.lists.flatMap((_, i) => (found[i] ? [] : [{ path: `lists[${i}]`, message: 'no such list' }]));
      // Every problem in one answer: the lists, the start time, and the edition's own (or its lint errors).
      const when = whenProblems(req.body);
      const storedId = typeof req.body.edition === 'string' && StoredEditionId.safeParse(req.body.edition.trim()).success ? req.body.edition.trim() : undefined;
      if (storedId) {
        const campaign = await createFromStored(req, req.body, storedId, [...unknown, ...when]);
        return reply.code(201).send(campaign);
      }
      const composed = await composeEditionInput(req.body.edition, { newsletterDirs: opts.newsletterDirs, templates: opts.templates }).catch((err: unknown) => {
        if (err instanceof ValidationError && (unknown.length || when.length)) throw new ValidationError('request_invalid', 'body', [...unknown, ...when, ...err.problems]);
        throw err;
      });
      const { edition, newsletter, compiled, report } = composed;
      const lintErrors = lintProblems(report).map((p) => ({ ...p, path: p.path ? `edition.${p.path}` : 'edition' }));
      if (unknown.length || when.length) throw new ValidationError('request_invalid', 'body', [...unknown, ...when, ...lintErrors]);
      if (!report.ok) throw new ValidationError('edition_lint_failed', 'edition', lintErrors);
      const { draft, again, confirmDate } = req.body;
      const at = req.body.at === undefined ? undefined : startTime(req.body.at, newsletter.timeZone);
      const campaign = await app.service.create({ compiled, newsletter, subject: edition.subject, lists: req.body.lists, at, draft, again, confirmDate });
      req.log.info({ campaign: campaign.id, lists: campaign.lists, at: campaign.scheduledAt, token: req.apiToken?.name }, 'campaign created');
      await audit(app, req, { action: 'campaign.create', target: campaign.id, detail: { lists: campaign.lists.join(','), status: campaign.status, scheduledAt: campaign.scheduledAt } });
      return reply.code(201).send({ ...campaign, lint: report });
    },
  );

  /**
   * `edition: "<newsletter>-<date>"`: a campaign of the stored edition's latest revision, made by
   * the edition service (which checks its state and writes the audit entry).
   */
  const createFromStored = async (req: FastifyRequest, body: z.infer<typeof CreateCampaignBody>, id: string, problems: InputProblem[]) => {
    const composed = await app.editions.composed(id).catch((err: unknown) => {
      if (err instanceof EditionNotFoundError) throw new ValidationError('request_invalid', 'body', [...problems, { path: 'edition', message: err.message }]);
      throw err;
    });
    const lintErrors = lintProblems(composed.report).map((p) => ({ ...p, path: p.path ? `edition.${p.path}` : 'edition' }));
    if (problems.length) throw new ValidationError('request_invalid', 'body', [...problems, ...lintErrors]);
    if (!composed.report.ok) throw new ValidationError('edition_lint_failed', 'edition', lintErrors);
    const { draft, again, confirmDate } = body;
    const at = body.at === undefined ? undefined : startTime(body.at, composed.newsletter.timeZone);
    const { campaign, lint } = await app.editions.createCampaign(id, {
      lists: body.lists,
      at: draft ? 'draft' : (at ?? 'now'),
      by: actorOf(req) ?? 'api:unknown',
      yes: confirmDate,
      again,
      revision: composed.stored.revision,
    });
    req.log.info({ campaign: campaign.id, edition: id, revision: campaign.editionRevision, lists: campaign.lists, at: campaign.scheduledAt, token: req.apiToken?.name }, 'campaign created');
    return { ...campaign, lint };
  };

  server.get('/campaigns/:id', { schema: { tags: ['campaigns'], summary: 'Status: counts, rate, ETA, progress and recent failures with SMTP replies', params: IdParams } }, async (req) =>
    status(req.params.id),
  );

  const zoneOf = async (id: string) => (await app.campaigns.content(id)).newsletter.timeZone;

  server.post(
    '/campaigns/:id/start',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Start a draft: `at` ("now", the default, or a time); `again` and `confirmDate` as for create',
        description: 'Refused (409) when the edition already went to one of its lists (unless `again`) or its date is not the send day (unless `confirmDate`).',
        params: IdParams,
        body: StartBody.optional(),
      },
    },
    async (req) => {
      const body = req.body ?? { at: 'now' };
      const campaign = await app.service.start(req.params.id, { at: startTime(body.at, await zoneOf(req.params.id)), again: body.again, confirmDate: body.confirmDate });
      req.log.info({ campaign: campaign.id, at: campaign.scheduledAt, token: req.apiToken?.name }, 'campaign started');
      await audit(app, req, { action: 'campaign.start', target: campaign.id, detail: { scheduledAt: campaign.scheduledAt } });
      return campaign;
    },
  );

  server.post(
    '/campaigns/:id/reschedule',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Move the start of a scheduled campaign (never into the past)',
        params: IdParams,
        body: z.strictObject({ at: SendTimeInput }),
      },
    },
    async (req) => {
      const campaign = await app.service.reschedule(req.params.id, startTime(req.body.at, await zoneOf(req.params.id)) ?? new Date());
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
