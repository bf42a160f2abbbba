/** Dashboard campaign pages and actions (see campaign.views.ts for the markup). */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { CampaignId } from '../../domain/campaign.schema.ts';
import { type InputProblem, ValidationError } from '../../domain/errors.ts';
import { ListId } from '../../domain/list.schema.ts';
import { describeNoWorker } from '../../domain/campaign.schema.ts';
import { describeDuplicate, DuplicateSendError, EditionDateError } from '../../domain/duplicate-send.ts';
import { assertNotPast, SendTime, SendTimeError } from '../../domain/send-time.ts';
import { EmailAddress } from '../../domain/subscriber.schema.ts';
import { lintProblems } from '../../composer/lint.ts';
import { NewsdeskError } from '../../domain/errors.ts';
import { zoneProgress } from '../../queue/zone-progress.ts';
import { audit } from '../audit.ts';
import { type ComposedInput, composeEditionInput, copyAs } from '../edition-input.ts';
import type { SafeHtml } from '../html.ts';
import { campaignDetailView, campaignListView, editorView, type PreviewData, previewView } from './campaign.views.ts';
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
  /** Whose copy the preview shows: a subscriber's address or `no-name`; blank for the sample reader. */
  as: z.string().max(320).optional(),
});

/** A ticked checkbox. */
const ticked = z.literal('yes').optional().transform((v) => v === 'yes');

const ScheduleForm = z.object({
  edition: z.string().min(1, 'the edition is missing').max(MAX_EDITION_CHARS),
  lists: many(ListId).optional(),
  /** A draft unless the editor says otherwise: nothing goes out before a test and a start. */
  when: z.enum(['draft', 'now', 'at']).default('draft'),
  at: z.string().optional(),
  again: ticked,
  confirmDate: ticked,
});

const StartForm = z.object({
  when: z.enum(['now', 'at']).default('now'),
  at: z.string().optional(),
  again: ticked,
  confirmDate: ticked,
});

/** The dashboard's start time: the browser sends the local time it picked with its offset. */
function formStartTime(when: string, at: string | undefined, problems: InputProblem[]): Date | undefined {
  if (when !== 'at') return undefined;
  const parsed = SendTime.safeParse(at ?? '');
  if (!parsed.success) {
    problems.push({ path: 'at', message: at ? (parsed.error.issues[0]?.message ?? 'not a time') : 'pick a send time' });
    return undefined;
  }
  try {
    assertNotPast(parsed.data, new Date());
  } catch (err) {
    if (!(err instanceof SendTimeError)) throw err;
    problems.push({ path: 'at', message: err.message });
  }
  return parsed.data;
}

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
    extra: {
      problems?: InputProblem[];
      flash?: SafeHtml;
      selected?: string[];
      testTo?: string;
      status?: number;
      confirm?: PreviewData['confirm'];
      when?: PreviewData['when'];
      as?: string | undefined;
    } = {},
  ) {
    const { csrf, frame: f } = frame(req, reply, `Preview: ${composed.edition.subject}`, 'new');
    const lists = await app.stores.lists.all();
    // Preselected only when one list obviously fits: sending to more lists than meant cannot be undone.
    const fitting = lists.filter((l) => l.newsletter === composed.newsletter.id);
    const selected = new Set(extra.selected ?? (fitting.length === 1 ? fitting.map((l) => l.id) : []));
    const problems = [...(extra.problems ?? [])];
    const find = (email: string) => app.stores.subscribers.findByEmail(email);
    const shown = await copyAs(composed.compiled, app.config.publicUrl, extra.as, find).catch(async (err: unknown) => {
      // An address nobody has is a typo in the preview box: say so and show the sample reader.
      if (!(err instanceof NewsdeskError) || err.code !== 'preview_reader_unknown') throw err;
      problems.push({ path: 'as', message: err.message });
      return copyAs(composed.compiled, app.config.publicUrl, undefined, find);
    });
    const body = previewView({
      csrf,
      text,
      subject: shown.copy.subject,
      html: shown.copy.html,
      reader: shown.reader.label,
      as: extra.as ?? '',
      report: composed.report,
      lists,
      selected,
      problems,
      flash: extra.flash,
      testTo: extra.testTo,
      confirm: extra.confirm,
      when: extra.when,
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

  // Polled every second by an open campaign page: no sign that the editor is still there.
  server.get('/campaigns/progress.json', { schema: { querystring: ProgressQuery }, config: { background: true } }, async (req) => {
    const ids = [...new Set(req.query.ids.split(','))].filter((id) => CampaignId.safeParse(id).success).slice(0, 100);
    const found = await Promise.all(ids.map((id) => app.service.progress(id).catch(() => null)));
    return found.flatMap((p) => {
      if (!p) return [];
      const c = p.campaign;
      return [
        {
          id: c.id,
          status: c.status,
          counts: { ...c.counts, cancelled: p.cancelled },
          done: p.done,
          progress: p.progress,
          rate: p.rate,
          etaSeconds: p.etaSeconds ?? null,
          noWorker: describeNoWorker(p) ?? null,
        },
      ];
    });
  });

  server.get('/campaigns/new', async (req, reply) => renderEditor(req, reply, ''));

  server.post('/campaigns/edit', { schema: { body: EditionForm } }, async (req, reply) => renderEditor(req, reply, req.body.edition));

  server.post('/campaigns/preview', { schema: { body: EditionForm } }, async (req, reply) => {
    const file = req.body.editionFile;
    const text = file && file.length > 0 ? file.toString('utf8') : req.body.edition;
    const composed = await composeOrEditor(req, reply, text);
    if (!composed) return reply;
    return renderPreview(req, reply, text, composed, { as: req.body.as?.trim() || undefined });
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
    const at = formStartTime(when, req.body.at, problems);
    if (!composed.report.ok) problems.push(...lintProblems(composed.report));
    if (problems.length) return renderPreview(req, reply, text, composed, { problems, selected: lists, status: 400, when });
    let campaign;
    try {
      campaign = await app.service.create({
        compiled: composed.compiled,
        newsletter: composed.newsletter,
        subject: composed.edition.subject,
        lists,
        at,
        draft: when === 'draft',
        again: req.body.again,
        confirmDate: req.body.confirmDate,
      });
    } catch (err) {
      // A refused start comes back with the reason and the box that confirms it.
      if (err instanceof DuplicateSendError || err instanceof EditionDateError) {
        const confirm = err instanceof DuplicateSendError ? { again: err.duplicates.map(describeDuplicate).join('; ') } : { date: err.message.replace(/; pass --yes.*$/, '') };
        return renderPreview(req, reply, text, composed, { problems: [{ path: 'when', message: err.message.replace(/[;.] (To send it again anyway, )?pass --.*$/, '') }], selected: lists, status: 409, confirm, when });
      }
      throw err;
    }
    req.log.info({ campaign: campaign.id, lists, at: campaign.scheduledAt, who: req.adminSession?.who }, 'campaign created from the dashboard');
    await audit(app, req, { action: 'campaign.create', target: campaign.id, detail: { lists: campaign.lists.join(','), scheduledAt: campaign.scheduledAt } });
    return reply.redirect(`/admin/campaigns/${campaign.id}`, 303);
  });

  server.get('/campaigns/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const [p, skipped, buckets] = await Promise.all([
      app.service.status(req.params.id, { failures: 50 }),
      app.campaigns.deliveries(req.params.id, { state: 'skipped', limit: 20 }),
      app.campaignZones.buckets(req.params.id),
    ]);
    const zones = p.campaign.localSend ? zoneProgress(buckets, p.campaign.status, new Date()) : undefined;
    const failed = p.failures;
    const people = await app.stores.subscribers.getMany([...failed, ...skipped].map((d) => d.subscriberId));
    const withEmail = <T extends { subscriberId: number }>(rows: T[], offset: number) => rows.map((d, i) => ({ ...d, email: people[offset + i]?.emailDisplay ?? null }));
    const { csrf, frame: f } = frame(req, reply, p.campaign.subject, 'campaigns');
    return sendAdminPage(reply, f, campaignDetailView({ p, failures: withEmail(failed, 0), skipped: withEmail(skipped, failed.length), csrf, readOnly: req.adminSession?.role === 'read', zones }));
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    server.post(`/campaigns/:id/${action}`, { schema: { params: IdParams } }, async (req, reply) => {
      await app.service[action](req.params.id);
      await audit(app, req, { action: `campaign.${action}`, target: req.params.id });
      req.log.info({ campaign: req.params.id, action, who: req.adminSession?.who }, `campaign ${action} from the dashboard`);
      return reply.redirect(`/admin/campaigns/${req.params.id}`, 303);
    });
  }

  server.post('/campaigns/:id/start', { schema: { params: IdParams, body: StartForm } }, async (req, reply) => {
    const problems: InputProblem[] = [];
    const at = formStartTime(req.body.when, req.body.at, problems);
    if (problems.length) throw new ValidationError('request_invalid', 'form', problems);
    const campaign = await app.service.start(req.params.id, { at, again: req.body.again, confirmDate: req.body.confirmDate });
    await audit(app, req, { action: 'campaign.start', target: campaign.id, detail: { scheduledAt: campaign.scheduledAt } });
    req.log.info({ campaign: req.params.id, who: req.adminSession?.who }, 'campaign started from the dashboard');
    return reply.redirect(`/admin/campaigns/${req.params.id}`, 303);
  });

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
