/**
 * The dashboard's schedules page: each daily schedule with its next five slots (in its zone and
 * in UTC) and its last missed slot; a form that sets one (the same `app.schedules.set` as
 * `newsdesk schedule set` and `PUT /api/schedules/<newsletter>`, each refusal beside its field);
 * pause, resume and remove. CSRF forms, audited as `dashboard:<who>` (README.md, "The daily
 * schedule"). A `read` session only looks: admin.plugin.ts stops its posts.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { loadNewsletter, NewsletterNotFoundError, newsletterIds } from '../../composer/newsletter.loader.ts';
import { ScheduleInputError } from '../../queue/schedule-pattern.ts';
import { parseLateWindow, type ScheduleView, scheduleSetAudit } from '../../queue/schedule.service.ts';
import { actorOf, audit } from '../audit.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfToken } from './csrf.ts';
import { flash, sendAdminPage } from './layout.ts';

const NewsletterId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
const Params = z.strictObject({ newsletter: NewsletterId, verb: z.enum(['pause', 'resume', 'remove']) });
const many = z.union([z.string().max(200), z.array(z.string().max(200))]).transform((v) => (Array.isArray(v) ? v : [v]));
/** The form as posted; every value is checked by the schedule service, not here. */
const SetBody = z.object({
  newsletter: z.string().max(200).default(''),
  cron: z.string().max(200).default(''),
  tz: z.string().max(100).default(''),
  lists: many.optional(),
  localTime: z.string().max(20).default(''),
  lateWindow: z.string().max(20).default(''),
});
const PageQuery = z.object({ newsletter: NewsletterId.optional() });

/** What the form shows: the values typed (or the defaults) and a refusal beside its field. */
interface FormState {
  newsletter: string;
  cron: string;
  tz: string;
  lists: string[];
  localTime: string;
  lateWindow: string;
  errors: Partial<Record<FormField, string>>;
}
type FormField = 'newsletter' | 'cron' | 'tz' | 'lists' | 'localTime' | 'lateWindow';
const FIELDS: readonly FormField[] = ['newsletter', 'cron', 'tz', 'lists', 'localTime', 'lateWindow'];

function scheduleRow(s: ScheduleView, csrf: string, readOnly: boolean) {
  const slots = s.paused
    ? html`<span class="muted">paused: no slot fires</span>`
    : html`<ol class="slots">${s.nextSlots.map((n) => html`<li><time datetime="${n.utc}">${n.local.slice(0, 16).replace('T', ' ')}</time> <span class="muted">${n.utc.slice(0, 16).replace('T', ' ')} UTC</span></li>`)}</ol>`;
  const verb = s.paused ? 'resume' : 'pause';
  const buttons = readOnly
    ? ''
    : html`<form class="inline" method="post" action="/admin/schedules/${s.newsletter}/${verb}"><input type="hidden" name="_csrf" value="${csrf}"><button class="${s.paused ? '' : 'secondary'}" type="submit">${s.paused ? 'Resume' : 'Pause'}</button></form>
<a href="/admin/schedules?newsletter=${s.newsletter}#set-schedule">Change</a>
<form class="inline" method="post" action="/admin/schedules/${s.newsletter}/remove"><input type="hidden" name="_csrf" value="${csrf}"><button class="secondary" type="submit">Remove</button></form>`;
  return html`<tr data-newsletter="${s.newsletter}"><td><strong>${s.newsletter}</strong>${s.paused ? html` <span class="status status-paused">paused</span>` : ''}</td>
<td><code>${s.cron}</code><span class="sub">${s.tz}</span></td><td>${s.lists.join(', ')}</td>
<td>${s.localTime ?? html`<span class="muted">–</span>`}</td><td>${s.lateWindow}</td><td>${slots}</td><td>${buttons}</td></tr>`;
}

function messageAt(state: FormState, field: FormField): SafeHtml {
  const e = state.errors[field];
  return html`<ul class="field-msgs" id="schedule-${field}-msgs" data-msgs-for="${field}" aria-live="polite">${e ? html`<li class="error">${e}</li>` : ''}</ul>`;
}

function invalid(state: FormState, field: FormField): SafeHtml | string {
  return state.errors[field] ? html` aria-invalid="true"` : '';
}

function setForm(state: FormState, csrf: string, newsletters: Array<{ id: string; tz: string }>, lists: Array<{ id: string; name: string; newsletter?: string | undefined }>): SafeHtml {
  const text = (field: Exclude<FormField, 'lists' | 'newsletter'>, label: string, hint: string, extra: SafeHtml | string = '') =>
    html`<div class="field" data-field="${field}"><label for="schedule-${field}">${label}</label>
<input type="text" id="schedule-${field}" name="${field}" value="${state[field]}" aria-describedby="schedule-${field}-hint schedule-${field}-msgs"${invalid(state, field)}${extra}>
<p class="hint muted" id="schedule-${field}-hint">${hint}</p>${messageAt(state, field)}</div>`;
  return html`<form method="post" action="/admin/schedules" class="card" id="set-schedule" novalidate><h2>Set a schedule</h2>
<input type="hidden" name="_csrf" value="${csrf}">
<div class="field" data-field="newsletter"><label for="schedule-newsletter">Newsletter</label>
<select id="schedule-newsletter" name="newsletter" aria-describedby="schedule-newsletter-msgs"${invalid(state, 'newsletter')}>${(newsletters.some((n) => n.id === state.newsletter) || !state.newsletter ? newsletters : [{ id: state.newsletter, tz: '' }, ...newsletters]).map(
    (n) => html`<option value="${n.id}" data-tz="${n.tz}"${n.id === state.newsletter ? html` selected` : ''}>${n.id}</option>`,
  )}</select>${messageAt(state, 'newsletter')}</div>
${text('cron', 'Cron pattern', 'Five fields read in the time zone: minute hour day-of-month month day-of-week, e.g. 0 6 * * 1-5 (06:00 on weekdays).', html` placeholder="0 6 * * 1-5" autocomplete="off"`)}
${text('tz', 'Time zone', "An IANA name such as America/New_York; empty: the newsletter's timeZone.")}
<fieldset data-field="lists" aria-describedby="schedule-lists-msgs"${invalid(state, 'lists')}><legend>Lists</legend>
${lists.length ? lists.map((l) => html`<label class="check"><input type="checkbox" name="lists" value="${l.id}"${state.lists.includes(l.id) ? html` checked` : ''}> ${l.name} <span class="muted">(${l.id}${l.newsletter ? `, ${l.newsletter}` : ''})</span></label>`) : html`<p class="muted">No lists yet: create one with <code>newsdesk lists create</code>.</p>`}
${messageAt(state, 'lists')}</fieldset>
${text('localTime', "Readers' local time (optional)", 'HH:MM: readers with a timezone get the edition at this time in their zone; empty: everyone at the slot.', html` placeholder="06:00"`)}
${text('lateWindow', 'Late window', 'A slot missed while no worker ran is still sent up to this late: 30m, 2h, 1d.')}
<button type="submit">Set schedule</button></form>`;
}

export const adminScheduleRoutes: FastifyPluginAsync<{ app: App; newsletterDirs: string[]; outbox: boolean }> = async (instance, { app, newsletterDirs, outbox }) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();

  /** Each newsletter with its `timeZone` (empty when it has none or its file does not load). */
  async function newsletters(): Promise<Array<{ id: string; tz: string }>> {
    const ids = await newsletterIds(newsletterDirs);
    return Promise.all(ids.map(async (id) => ({ id, tz: (await loadNewsletter(id, { dirs: newsletterDirs }).catch(() => null))?.timeZone ?? '' })));
  }

  /** The form's starting values: the newsletter's schedule if it has one, else its zone and 2h. */
  function blankForm(newsletter: string | undefined, choices: Array<{ id: string; tz: string }>, schedules: ScheduleView[]): FormState {
    const id = newsletter ?? choices[0]?.id ?? '';
    const existing = schedules.find((s) => s.newsletter === id);
    if (existing) {
      return { newsletter: id, cron: existing.cron, tz: existing.tz, lists: existing.lists, localTime: existing.localTime ?? '', lateWindow: existing.lateWindow, errors: {} };
    }
    const tz = choices.find((n) => n.id === id)?.tz ?? '';
    return { newsletter: id, cron: '', tz, lists: [], localTime: '', lateWindow: '2h', errors: {} };
  }

  const page = async (req: FastifyRequest, reply: FastifyReply, opts: { notice?: SafeHtml; form?: FormState; status?: number } = {}) => {
    const [schedules, choices, lists] = await Promise.all([app.schedules.list(), newsletters(), app.stores.lists.all()]);
    const csrf = csrfToken(req, reply);
    const readOnly = req.adminSession?.role === 'read';
    const query = PageQuery.safeParse(req.query);
    const form = readOnly ? '' : setForm(opts.form ?? blankForm(query.success ? query.data.newsletter : undefined, choices, schedules), csrf, choices, lists);
    const body = html`<h1>Schedules</h1>${opts.notice ?? ''}${
      schedules.length
        ? html`<table><thead><tr><th>Newsletter</th><th>Pattern</th><th>Lists</th><th>Readers' time</th><th>Late window</th><th>Next slots (local, UTC)</th><th></th></tr></thead>
<tbody>${schedules.map((s) => scheduleRow(s, csrf, readOnly))}</tbody></table>`
        : html`<div class="card"><p>No schedules yet. Set one below, with <code>newsdesk schedule set daily --cron "0 6 * * 1-5" --tz America/New_York --list daily</code> or with <code>PUT /api/schedules/daily</code>.</p></div>`
    }${form}`;
    return sendAdminPage(reply, { title: 'Schedules', section: 'schedules', csrf, who: req.adminSession?.who ?? '', audit: req.adminSession?.role === 'admin', outbox }, body, opts.status);
  };

  server.get('/schedules', async (req, reply) => page(req, reply));

  server.post('/schedules', { schema: { body: SetBody } }, async (req, reply) => {
    const b = req.body;
    const state: FormState = { newsletter: b.newsletter, cron: b.cron, tz: b.tz, lists: b.lists ?? [], localTime: b.localTime, lateWindow: b.lateWindow, errors: {} };
    try {
      if (!NewsletterId.safeParse(b.newsletter).success) throw new ScheduleInputError('newsletter', `choose a newsletter`);
      const view = await app.schedules.set({
        newsletter: b.newsletter,
        cron: b.cron,
        tz: b.tz,
        lists: state.lists,
        localTime: b.localTime.trim() || undefined,
        lateWindowMs: b.lateWindow.trim() ? parseLateWindow(b.lateWindow) : undefined,
        by: actorOf(req) ?? 'dashboard:unknown',
      });
      await audit(app, req, scheduleSetAudit(view));
      const next = view.nextSlots[0];
      return page(req, reply, { notice: flash('ok', `Schedule of ${view.newsletter} set${view.paused ? ' (still paused)' : ''}.${next ? ` Next slot: ${next.local.slice(0, 16).replace('T', ' ')} ${view.tz} (${next.utc.slice(0, 16).replace('T', ' ')} UTC).` : ''}`) });
    } catch (err) {
      if (err instanceof ScheduleInputError && (FIELDS as readonly string[]).includes(err.field)) {
        state.errors[err.field as FormField] = err.message.slice(err.field.length + 2);
      } else if (err instanceof NewsletterNotFoundError) {
        state.errors.newsletter = err.message;
      } else {
        throw err;
      }
      return page(req, reply, { form: state, status: 400, notice: flash('error', 'The schedule was not set: see the field marked below.') });
    }
  });

  server.post('/schedules/:newsletter/:verb', { schema: { params: Params } }, async (req, reply) => {
    const { newsletter, verb } = req.params;
    const by = actorOf(req) ?? 'dashboard:unknown';
    if (verb === 'pause') await app.schedules.pause(newsletter, by);
    else if (verb === 'resume') await app.schedules.resume(newsletter, by);
    else await app.schedules.remove(newsletter);
    await audit(app, req, { action: `schedule.${verb}`, target: newsletter });
    const done = { pause: 'paused', resume: 'resumed', remove: 'removed' }[verb];
    return page(req, reply, { notice: flash('ok', `Schedule of ${newsletter} ${done}.`) });
  });
};
