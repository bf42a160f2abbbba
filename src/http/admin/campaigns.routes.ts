/** Dashboard campaign pages and actions (see campaign.views.ts for the markup). */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { CampaignId } from '../../domain/campaign.schema.ts';
import { type InputProblem, ValidationError } from '../../domain/errors.ts';
import { ListId } from '../../domain/list.schema.ts';
import { SendTime } from '../../domain/send-time.ts';
import { EmailAddress } from '../../domain/subscriber.schema.ts';
import { lintProblems } from '../../composer/lint.ts';
import { audit } from '../audit.ts';
import { type ComposedInput, composeEditionInput, sampleCopy } from '../edition-input.ts';
import type { SafeHtml } from '../html.ts';
import { campaignDetailView, campaignListView, editorView, previewView } from './campaign.views.ts';
import { csrfToken } from './csrf.ts';
import { flash, sendAdminPage } from './layout.ts';

export interface AdminCampaignRoutesOptions {
  app: App;
  newsletterDirs: string[];
  templates: TemplateCache;
  outbox: boolean;
}

const MAX_EDITION_CHARS = 1024 * 1024;

/** One value or several (a form's repeated checkbox) as a list. */
const many = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

/** The edition as pasted, or as an uploaded file (which wins when both came). */
const EditionForm = z.object({
  edition: z.string().max(MAX_EDITION_CHARS).default(''),
  editionFile: z.instanceof(Buffer).optional(),
});

const ScheduleForm = z.object({
  edition: z.string().min(1, 'the edition is missing').max(MAX_EDITION_CHARS),
  lists: many(ListId).optional(),
  when: z.enum(['now', 'at']).default('now'),
  at: z.string().optional(),
});

const TestForm = z.object({
  edition: z.string().min(1, 'the edition is missing').max(MAX_EDITION_CHARS),
  to: EmailAddress,
});

const IdParams = z.strictObject({ id: CampaignId });
const ProgressQuery = z.object({ ids: z.string().max(4000) });

export const adminCampaignRoutes: FastifyPluginAsync<AdminCampaignRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const frame = (req: FastifyRequest, reply: FastifyReply, title: string, section: 'campaigns' | 'new') => {
    const csrf = csrfToken(req, reply);
    return { csrf, frame: { title, section, csrf, who: req.adminSession?.who ?? '', audit: req.adminSession?.role === 'admin', outbox: opts.outbox } };
  };
  const compose = (text: string) => composeEditionInput(text, { newsletterDirs: opts.newsletterDirs, templates: opts.templates });

  /** The preview page for an edition that composed; `extra` adds problems or a notice. */
  async function renderPreview(
    req: FastifyRequest,
    reply: FastifyReply,
    text: string,
    composed: ComposedInput,
    extra: { problems?: InputProblem[]; flash?: SafeHtml; selected?: string[]; testTo?: string; status?: number } = {},
  ) {
    const { csrf, frame: f } = frame(req, reply, `Preview: ${composed.edition.subject}`, 'new');
    const lists = await app.stores.lists.all();
    // Preselected only when one list obviously fits: sending to more lists than meant cannot be undone.
    const fitting = lists.filter((l) => l.newsletter === composed.newsletter.id);
    const selected = new Set(extra.selected ?? (fitting.length === 1 ? fitting.map((l) => l.id) : []));
    const copy = sampleCopy(composed.compiled, app.config.publicUrl);
    const body = previewView({
      csrf,
      text,
      subject: copy.subject,
      html: copy.html,
      report: composed.report,
      lists,
      selected,
      problems: extra.problems,
      flash: extra.flash,
      testTo: extra.testTo,
    });
    return sendAdminPage(reply, f, body, extra.status ?? 200);
  }

  /** The editor again, with the text and what is wrong with it. */
  function renderEditor(req: FastifyRequest, reply: FastifyReply, text: string, problems: InputProblem[] = [], status = 200) {
    const { csrf, frame: f } = frame(req, reply, 'New campaign', 'new');
    return sendAdminPage(reply, f, editorView({ csrf, text, problems }), status);
  }

  /** Composes the text, or answers with the editor naming every problem (and returns null). */
  async function composeOrEditor(req: FastifyRequest, reply: FastifyReply, text: string): Promise<ComposedInput | null> {
    if (!text.trim()) {
      await renderEditor(req, reply, text, [{ path: 'edition', message: 'paste an edition or choose a file' }], 400);
      return null;
    }
    try {
      return await compose(text);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await renderEditor(req, reply, text, err.problems, 400);
      return null;
    }
  }

  server.get('/campaigns', async (req, reply) => {
    const { frame: f } = frame(req, reply, 'Campaigns', 'campaigns');
    return sendAdminPage(reply, f, campaignListView(await app.campaigns.list(50)));
  });

  server.get('/campaigns/progress.json', { schema: { querystring: ProgressQuery } }, async (req) => {
    const ids = [...new Set(req.query.ids.split(','))].filter((id) => CampaignId.safeParse(id).success).slice(0, 100);
    const found = await Promise.all(ids.map((id) => app.service.progress(id).catch(() => null)));
    return found.flatMap((p) => {
      if (!p) return [];
      const c = p.campaign;
      return [{ id: c.id, status: c.status, counts: c.counts, done: p.done, progress: p.progress, rate: p.rate, etaSeconds: p.etaSeconds ?? null }];
    });
  });

  server.get('/campaigns/new', async (req, reply) => renderEditor(req, reply, ''));

  server.post('/campaigns/edit', { schema: { body: EditionForm } }, async (req, reply) => renderEditor(req, reply, req.body.edition));

  server.post('/campaigns/preview', { schema: { body: EditionForm } }, async (req, reply) => {
    const file = req.body.editionFile;
    const text = file && file.length > 0 ? file.toString('utf8') : req.body.edition;
    const composed = await composeOrEditor(req, reply, text);
    if (!composed) return reply;
    return renderPreview(req, reply, text, composed);
  });

  server.post('/campaigns/test', { schema: { body: TestForm } }, async (req, reply) => {
    const composed = await composeOrEditor(req, reply, req.body.edition);
    if (!composed) return reply;
    const outcome = await app.service.testSendContent(composed, req.body.to);
    req.log.info({ to: req.body.to, status: outcome.status, who: req.adminSession?.who }, 'dashboard test send');
    await audit(app, req, { action: 'campaign.test', detail: { to: req.body.to, status: outcome.status, subject: composed.edition.subject } });
    const notice =
      outcome.status === 'sent'
        ? flash('ok', `Test copy sent to ${req.body.to}: ${outcome.response}`)
        : flash('error', `Test copy to ${req.body.to} was not sent: ${outcome.response}`);
    return renderPreview(req, reply, req.body.edition, composed, { flash: notice, testTo: req.body.to, status: outcome.status === 'sent' ? 200 : 502 });
  });

  server.post('/campaigns', { schema: { body: ScheduleForm } }, async (req, reply) => {
    const { edition: text, when } = req.body;
    const lists = req.body.lists ?? [];
    const composed = await composeOrEditor(req, reply, text);
    if (!composed) return reply;
    const problems: InputProblem[] = [];
    if (!lists.length) problems.push({ path: 'lists', message: 'pick at least one list' });
    let at: Date | undefined;
    if (when === 'at') {
      const parsed = SendTime.safeParse(req.body.at ?? '');
      if (parsed.success) at = parsed.data;
      else problems.push({ path: 'at', message: req.body.at ? (parsed.error.issues[0]?.message ?? 'not a time') : 'pick a send time' });
    }
    if (!composed.report.ok) problems.push(...lintProblems(composed.report));
    if (problems.length) return renderPreview(req, reply, text, composed, { problems, selected: lists, status: 400 });
    const campaign = await app.service.create({ compiled: composed.compiled, newsletter: composed.newsletter, subject: composed.edition.subject, lists, at });
    req.log.info({ campaign: campaign.id, lists, at: campaign.scheduledAt, who: req.adminSession?.who }, 'campaign created from the dashboard');
    await audit(app, req, { action: 'campaign.create', target: campaign.id, detail: { lists: campaign.lists.join(','), scheduledAt: campaign.scheduledAt } });
    return reply.redirect(`/admin/campaigns/${campaign.id}`, 303);
  });

  server.get('/campaigns/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const [p, skipped] = await Promise.all([
      app.service.status(req.params.id, { failures: 50 }),
      app.campaigns.deliveries(req.params.id, { state: 'skipped', limit: 20 }),
    ]);
    const failed = p.failures;
    const people = await app.stores.subscribers.getMany([...failed, ...skipped].map((d) => d.subscriberId));
    const withEmail = <T extends { subscriberId: number }>(rows: T[], offset: number) => rows.map((d, i) => ({ ...d, email: people[offset + i]?.emailDisplay ?? null }));
    const { csrf, frame: f } = frame(req, reply, p.campaign.subject, 'campaigns');
    return sendAdminPage(reply, f, campaignDetailView({ p, failures: withEmail(failed, 0), skipped: withEmail(skipped, failed.length), csrf, readOnly: req.adminSession?.role === 'read' }));
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    server.post(`/campaigns/:id/${action}`, { schema: { params: IdParams } }, async (req, reply) => {
      await app.service[action](req.params.id);
      await audit(app, req, { action: `campaign.${action}`, target: req.params.id });
      req.log.info({ campaign: req.params.id, action, who: req.adminSession?.who }, `campaign ${action} from the dashboard`);
      return reply.redirect(`/admin/campaigns/${req.params.id}`, 303);
    });
  }

  server.post(
    '/campaigns/:id/reschedule',
    { schema: { params: IdParams, body: z.object({ at: SendTime }) } },
    async (req, reply) => {
      const campaign = await app.service.reschedule(req.params.id, req.body.at);
      await audit(app, req, { action: 'campaign.reschedule', target: campaign.id, detail: { scheduledAt: campaign.scheduledAt } });
      return reply.redirect(`/admin/campaigns/${req.params.id}`, 303);
    },
  );
};
