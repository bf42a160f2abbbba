/**
 * The dashboard's edition editor (README.md, "The editor's day"): a form generated from the
 * edition schema, a live preview composed by the real compile path, autosave to a stored draft
 * (`app.editions.save`), a YAML view that round-trips with the form, send test to the
 * newsletter's editors, approve, and a campaign from an approved edition.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { newsletterIds as listNewsletterIds } from '../../composer/newsletter.loader.ts';
import { parseYamlSource } from '../../composer/yaml-source.ts';
import { DuplicateSendError, EditionDateError, describeDuplicate } from '../../domain/duplicate-send.ts';
import { type InputProblem, NewsdeskError, ValidationError } from '../../domain/errors.ts';
import { ListId } from '../../domain/list.schema.ts';
import { assertNotPast, SendTime, SendTimeError } from '../../domain/send-time.ts';
import { type StoredEdition, StoredEditionId } from '../../domain/stored-edition.ts';
import { actorOf, audit } from '../audit.ts';
import { type ComposedInput, composeEditionInput, copyAs } from '../edition-input.ts';
import { describeError } from '../http-errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { previewView } from './campaign.views.ts';
import { csrfToken } from './csrf.ts';
import {
  editionFromFields,
  type EditionValue,
  editionYaml,
  type FieldMessage,
  fieldsFromEdition,
  type FormFields,
  formCannotShow,
} from './edition-form.ts';
import { darkCopy, editionListView, editorView, type PreviewPanel, yamlView } from './edition.views.ts';
import { flash, sendAdminPage } from './layout.ts';

export interface AdminEditionRoutesOptions {
  app: App;
  newsletterDirs: string[];
  templates: TemplateCache;
  outbox: boolean;
}

const MAX_EDITION_CHARS = 1024 * 1024;

/** The form as posted: every field by its path, plus `_csrf` and `_id`; or the YAML view's text. */
const FieldsBody = z.record(z.string().max(200), z.union([z.string().max(MAX_EDITION_CHARS), z.array(z.string().max(MAX_EDITION_CHARS))]));
const YamlBody = z.object({ yaml: z.string().max(MAX_EDITION_CHARS), _id: z.string().max(100).optional() });
const IdParams = z.strictObject({ id: StoredEditionId });
/** Editions on a page of the list. */
const EDITIONS_PER_PAGE = 50;

const many = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);
const ticked = z.literal('yes').optional().transform((v) => v === 'yes');
const CampaignForm = z.object({
  lists: many(ListId).optional(),
  when: z.enum(['draft', 'now', 'at']).default('draft'),
  at: z.string().optional(),
  again: ticked,
  confirmDate: ticked,
});

/** Validation problems are errors; the lint report's errors and warnings keep their level. */
function messagesOf(problems: InputProblem[], composed?: ComposedInput): FieldMessage[] {
  return [
    ...problems.map((p) => ({ path: p.path, level: 'error' as const, message: p.message })),
    ...(composed?.report.errors ?? []).map((e) => ({ path: e.path ?? '', level: 'error' as const, message: e.message })),
    ...(composed?.report.warnings ?? []).map((w) => ({ path: w.path ?? '', level: 'warning' as const, message: w.message })),
  ];
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export const adminEditionRoutes: FastifyPluginAsync<AdminEditionRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const frame = (req: FastifyRequest, reply: FastifyReply, title: string) => {
    const csrf = csrfToken(req, reply);
    return {
      csrf,
      frame: {
        title,
        section: 'editions' as const,
        csrf,
        who: req.adminSession?.who ?? '',
        audit: req.adminSession?.role === 'admin',
        outbox: opts.outbox,
        scripts: ['editor.js'],
      },
    };
  };
  const readOnly = (req: FastifyRequest) => req.adminSession?.role === 'read';
  const by = (req: FastifyRequest) => actorOf(req) as string;
  const compose = (input: unknown) => composeEditionInput(input, { newsletterDirs: opts.newsletterDirs, templates: opts.templates });

  /** Newsletter ids found in the newsletter folders, for the form's suggestions. */
  const newsletterIds = () => listNewsletterIds(opts.newsletterDirs);

  /** Composes a value for the preview: the panel, or the problems that stop it. */
  async function tryCompose(value: EditionValue): Promise<{ composed?: ComposedInput; problems: InputProblem[] }> {
    try {
      return { composed: await compose(value), problems: [] };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return { problems: err.problems };
    }
  }

  async function panelOf(composed: ComposedInput): Promise<PreviewPanel> {
    const { copy } = await copyAs(composed.compiled, app.config.publicUrl, undefined, (email) => app.stores.subscribers.findByEmail(email));
    return { html: copy.html, dark: darkCopy(copy.html), text: copy.text, htmlBytes: composed.report.htmlBytes };
  }

  /** The editor for `value`, with its preview when it composes and every message beside its field. */
  async function renderEditor(
    req: FastifyRequest,
    reply: FastifyReply,
    value: EditionValue,
    extra: { stored?: StoredEdition | null; problems?: InputProblem[]; flash?: SafeHtml; status?: number } = {},
  ) {
    const { composed, problems } = await tryCompose(value);
    const title = extra.stored ? `Edition ${extra.stored.id}` : 'New edition';
    const { csrf, frame: f } = frame(req, reply, title);
    const body = editorView({
      csrf,
      value,
      fields: fieldsFromEdition(value),
      messages: messagesOf([...(extra.problems ?? []), ...problems], composed),
      newsletters: await newsletterIds(),
      stored: extra.stored,
      // The page a form was posted from keeps editing what it edited, even once that is deleted.
      editing: one((req.body as FormFields | undefined)?._id) || undefined,
      flash: extra.flash,
      preview: composed ? await panelOf(composed) : undefined,
      readOnly: readOnly(req),
    });
    return sendAdminPage(reply, f, body, extra.status ?? 200);
  }

  function renderYaml(req: FastifyRequest, reply: FastifyReply, yaml: string, id: string, problems: InputProblem[], status = 200, notice?: SafeHtml) {
    const { csrf, frame: f } = frame(req, reply, 'Edition as YAML');
    const messages = problems.map((p) => ({ path: p.line !== undefined ? `line ${p.line}${p.path ? `: ${p.path}` : ''}` : p.path, level: 'error' as const, message: p.message }));
    return sendAdminPage(reply, f, yamlView({ csrf, yaml, id, messages, flash: notice }), status);
  }

  /** The stored edition the form edits (the hidden `_id`), when there is one. */
  async function storedFor(id: string | undefined): Promise<StoredEdition | null> {
    if (!id || !StoredEditionId.safeParse(id).success) return null;
    return app.editions.get(id);
  }

  async function renderList(req: FastifyRequest, reply: FastifyReply, opts: { flash?: SafeHtml | undefined; status?: number; page?: number } = {}) {
    const { csrf, frame: f } = frame(req, reply, 'Editions');
    const page = opts.page ?? 1;
    const { editions, total } = await app.editions.list({ offset: (page - 1) * EDITIONS_PER_PAGE, limit: EDITIONS_PER_PAGE });
    const pages = Math.max(1, Math.ceil(total / EDITIONS_PER_PAGE));
    if (page > pages) {
      return sendAdminPage(reply, f, html`<h1>Not found</h1><p>There are ${pages} pages of editions.</p><p><a href="/admin/editions">Editions</a></p>`, 404);
    }
    const withSubject = editions.map((e) => ({ ...e, subject: subjectOf(e.source) ?? e.id }));
    return sendAdminPage(reply, f, editionListView(withSubject, { csrf, readOnly: readOnly(req), flash: opts.flash, page, pages, total }), opts.status ?? 200);
  }

  server.get(
    '/editions',
    { schema: { querystring: z.object({ deleted: StoredEditionId.optional(), page: z.string().regex(/^[1-9]\d{0,5}$/, 'a page number from 1').optional() }) } },
    async (req, reply) =>
      renderList(req, reply, { flash: req.query.deleted ? flash('ok', `Deleted edition ${req.query.deleted}.`) : undefined, page: Number(req.query.page ?? 1) }),
  );

  // Delete an edition never sent; one a draft campaign was made of stays until those drafts are cancelled.
  server.post('/editions/:id/delete', { schema: { params: IdParams } }, async (req, reply) => {
    try {
      await app.editions.delete(req.params.id, by(req));
    } catch (err) {
      const known = describeError(err);
      if (!known || known.status >= 500) throw err;
      return renderList(req, reply, { flash: flash('error', `Not deleted: ${known.body.error}`), status: known.status });
    }
    return reply.redirect(`/admin/editions?deleted=${encodeURIComponent(req.params.id)}`, 303);
  });

  server.get('/editions/new', async (req, reply) => {
    const ids = await newsletterIds();
    // An empty edition: one blank story to start from, the newsletter filled in when there is only one.
    const value: EditionValue = { ...(ids.length === 1 ? { newsletter: ids[0] } : {}), watching: [{}] };
    const { csrf, frame: f } = frame(req, reply, 'New edition');
    const body = editorView({ csrf, value, fields: fieldsFromEdition(value), messages: [], newsletters: ids, readOnly: readOnly(req) });
    return sendAdminPage(reply, f, body);
  });

  server.get('/editions/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const stored = await app.editions.get(req.params.id);
    if (!stored) {
      const { frame: f } = frame(req, reply, 'Not found');
      return sendAdminPage(reply, f, html`<h1>Not found</h1><p>No stored edition ${req.params.id}.</p><p><a href="/admin/editions">Editions</a></p>`, 404);
    }
    const saved = (req.query as { saved?: string }).saved;
    const notice = saved ? flash('ok', `Saved as revision ${stored.revision}.`) : undefined;
    let value: unknown;
    try {
      value = parseYamlSource(stored.source, stored.id, 'edition_invalid').value;
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return renderYaml(req, reply, stored.source, stored.id, err.problems);
    }
    const cannot = formCannotShow(value);
    // Text the form cannot hold (written by hand or by the API) opens in the YAML view.
    if (cannot.length) return renderYaml(req, reply, stored.source, stored.id, cannot);
    return renderEditor(req, reply, value as EditionValue, { stored, ...(notice ? { flash: notice } : {}) });
  });

  // The live preview: the form's edition through the same compile path as `campaign create`.
  server.post('/editions/preview', { schema: { body: FieldsBody } }, async (req) => {
    const value = editionFromFields(req.body as FormFields);
    const { composed, problems } = await tryCompose(value);
    const messages = messagesOf(problems, composed);
    if (!composed) return { ok: false, messages };
    const panel = await panelOf(composed);
    return { ok: true, messages, subject: composed.edition.subject, ...panel, sendable: composed.report.ok };
  });

  // Autosave: the form's edition as the next revision of its stored draft.
  server.post('/editions/autosave', { schema: { body: FieldsBody } }, async (req, reply) => {
    const value = editionFromFields(req.body as FormFields);
    try {
      // `_id`: the stored edition this page edits; once deleted, a save for it is refused, not re-created.
      const { edition, changed } = await app.editions.save(editionYaml(value), by(req), { editing: one((req.body as FormFields)._id) || undefined });
      return { saved: true, changed, id: edition.id, revision: edition.revision, state: edition.state, savedAt: edition.savedAt, savedBy: edition.savedBy };
    } catch (err) {
      if (err instanceof ValidationError) return reply.code(400).send({ saved: false, messages: messagesOf(err.problems) });
      const known = describeError(err);
      if (!known || known.status >= 500) throw err;
      return reply.code(known.status).send({ saved: false, messages: [{ path: '', level: 'error', message: known.body.error }] });
    }
  });

  // Save without the script (the button), from the form or the YAML view.
  server.post('/editions/save', { schema: { body: FieldsBody } }, async (req, reply) => {
    const body = req.body as FormFields;
    const yamlText = one(body.yaml);
    const source = yamlText ?? editionYaml(editionFromFields(body));
    const stored = await storedFor(one(body._id));
    try {
      const { edition } = await app.editions.save(source, by(req), { editing: one(body._id) || undefined });
      return reply.redirect(`/admin/editions/${edition.id}?saved=${edition.revision}`, 303);
    } catch (err) {
      if (!(err instanceof ValidationError) && !(err instanceof NewsdeskError && describeError(err)?.status === 409)) throw err;
      const problems = err instanceof ValidationError ? err.problems : [{ path: '', message: err.message }];
      if (yamlText !== undefined) return renderYaml(req, reply, yamlText, one(body._id) ?? '', problems, 400);
      return renderEditor(req, reply, editionFromFields(body), {
        stored,
        problems: err instanceof ValidationError ? [] : problems,
        flash: flash('error', 'Not saved: fix the problems shown beside the fields.'),
        status: 400,
      });
    }
  });

  // Form → YAML view.
  server.post('/editions/yaml', { schema: { body: FieldsBody } }, async (req, reply) => {
    const body = req.body as FormFields;
    return renderYaml(req, reply, editionYaml(editionFromFields(body)), one(body._id) ?? '', []);
  });

  // YAML view → form. Text the form cannot hold stays here, with what to fix.
  server.post('/editions/form', { schema: { body: YamlBody } }, async (req, reply) => {
    const { yaml, _id: id = '' } = req.body;
    let value: unknown;
    try {
      value = parseYamlSource(yaml, 'edition', 'edition_invalid').value;
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return renderYaml(req, reply, yaml, id, err.problems, 400);
    }
    const cannot = formCannotShow(value ?? {});
    if (cannot.length) return renderYaml(req, reply, yaml, id, cannot, 400);
    return renderEditor(req, reply, (value ?? {}) as EditionValue, { stored: await storedFor(id) });
  });

  // A [TEST] copy to each of the newsletter's editors (`editors:` in newsletters/<id>.yaml).
  server.post('/editions/test', { schema: { body: FieldsBody } }, async (req, reply) => {
    const body = req.body as FormFields;
    const value = editionFromFields(body);
    const stored = await storedFor(one(body._id));
    const { composed } = await tryCompose(value);
    if (!composed) return renderEditor(req, reply, value, { stored, flash: flash('error', 'No test sent: fix the problems shown beside the fields.'), status: 400 });
    const editors = composed.newsletter.editors;
    if (!editors.length) {
      const notice = flash('error', `No test sent: newsletter ${composed.newsletter.id} lists no editors (add editors: [you@example.com] to its file).`);
      return renderEditor(req, reply, value, { stored, flash: notice, status: 400 });
    }
    const outcomes = [];
    for (const to of editors) {
      const outcome = await app.service.testSendContent(composed, to);
      outcomes.push({ to, ...outcome });
      await audit(app, req, { action: 'campaign.test', detail: { to, status: outcome.status, subject: composed.edition.subject } });
    }
    const failed = outcomes.filter((o) => o.status !== 'sent');
    const notice = failed.length
      ? flash('error', `Test copy not sent to ${failed.map((o) => `${o.to} (${o.response})`).join(', ')}${failed.length < outcomes.length ? `; sent to the others` : ''}.`)
      : flash('ok', `Test copy sent to ${editors.join(', ')}.`);
    return renderEditor(req, reply, value, { stored, flash: notice, status: failed.length ? 502 : 200 });
  });

  server.post('/editions/:id/approve', { schema: { params: IdParams } }, async (req, reply) => {
    try {
      await app.editions.approve(req.params.id, by(req));
    } catch (err) {
      const known = describeError(err);
      if (!known || known.status >= 500 || known.status === 404) throw err;
      const stored = await app.editions.get(req.params.id);
      if (!stored) throw err;
      // The page lints the edition again and shows each error beside its field.
      const notice = flash('error', `Not approved: ${err instanceof ValidationError ? 'the lint found errors (shown beside their fields)' : known.body.error}`);
      const value = parseYamlSource(stored.source, stored.id, 'edition_invalid').value as EditionValue;
      return renderEditor(req, reply, value, { stored, flash: notice, status: known.status });
    }
    return reply.redirect(`/admin/editions/${req.params.id}`, 303);
  });

  /** The campaign form of the existing flow, for a stored edition. */
  async function renderCampaignForm(
    req: FastifyRequest,
    reply: FastifyReply,
    stored: StoredEdition,
    extra: { problems?: InputProblem[]; selected?: string[]; status?: number; confirm?: { again?: string; date?: string }; when?: 'draft' | 'now' | 'at' } = {},
  ) {
    const composed = await compose(stored.source);
    const lists = await app.stores.lists.all();
    const fitting = lists.filter((l) => l.newsletter === composed.newsletter.id);
    const { copy, reader } = await copyAs(composed.compiled, app.config.publicUrl, undefined, (email) => app.stores.subscribers.findByEmail(email));
    const { csrf, frame: f } = frame(req, reply, `Campaign: ${composed.edition.subject}`);
    const body = previewView({
      csrf,
      text: stored.source,
      subject: copy.subject,
      html: copy.html,
      reader: reader.label,
      as: '',
      report: composed.report,
      lists,
      selected: new Set(extra.selected ?? (fitting.length === 1 ? fitting.map((l) => l.id) : [])),
      problems: extra.problems,
      confirm: extra.confirm,
      when: extra.when,
      edition: { id: stored.id, revision: stored.revision, state: stored.state },
    });
    return sendAdminPage(reply, f, body, extra.status ?? 200);
  }

  server.get('/editions/:id/campaign', { schema: { params: IdParams } }, async (req, reply) => {
    const stored = await app.editions.get(req.params.id);
    if (!stored) return reply.redirect('/admin/editions', 303);
    return renderCampaignForm(req, reply, stored);
  });

  server.post('/editions/:id/campaign', { schema: { params: IdParams, body: CampaignForm } }, async (req, reply) => {
    const stored = await app.editions.get(req.params.id);
    if (!stored) return reply.redirect('/admin/editions', 303);
    const lists = req.body.lists ?? [];
    const problems: InputProblem[] = [];
    if (!lists.length) problems.push({ path: 'lists', message: 'pick at least one list' });
    let at: Date | 'now' | 'draft' = req.body.when === 'now' ? 'now' : 'draft';
    if (req.body.when === 'at') {
      const parsed = SendTime.safeParse(req.body.at ?? '');
      if (!parsed.success) problems.push({ path: 'at', message: req.body.at ? (parsed.error.issues[0]?.message ?? 'not a time') : 'pick a send time' });
      else {
        try {
          assertNotPast(parsed.data, new Date());
          at = parsed.data;
        } catch (err) {
          if (!(err instanceof SendTimeError)) throw err;
          problems.push({ path: 'at', message: err.message });
        }
      }
    }
    if (problems.length) return renderCampaignForm(req, reply, stored, { problems, selected: lists, status: 400, when: req.body.when });
    try {
      const { campaign } = await app.editions.createCampaign(stored.id, { lists, at, by: by(req), yes: req.body.confirmDate, again: req.body.again });
      return reply.redirect(`/admin/campaigns/${campaign.id}`, 303);
    } catch (err) {
      if (err instanceof DuplicateSendError || err instanceof EditionDateError) {
        const confirm = err instanceof DuplicateSendError ? { again: err.duplicates.map(describeDuplicate).join('; ') } : { date: err.message.replace(/; pass --yes.*$/, '') };
        const message = err.message.replace(/[;.] (To send it again anyway, )?pass --.*$/, '');
        return renderCampaignForm(req, reply, stored, { problems: [{ path: 'when', message }], selected: lists, status: 409, confirm, when: req.body.when });
      }
      if (err instanceof ValidationError) return renderCampaignForm(req, reply, stored, { problems: err.problems, selected: lists, status: 400, when: req.body.when });
      if (err instanceof NewsdeskError && describeError(err)?.status === 409) {
        return renderCampaignForm(req, reply, stored, { problems: [{ path: '', message: err.message }], selected: lists, status: 409, when: req.body.when });
      }
      throw err;
    }
  });
};

/** The subject line of a stored edition's text, for the list (null when it does not parse). */
function subjectOf(source: string): string | null {
  try {
    const value = parseYamlSource(source, 'edition', 'edition_invalid').value as { subject?: unknown };
    return typeof value?.subject === 'string' ? value.subject : null;
  } catch {
    return null;
  }
}
