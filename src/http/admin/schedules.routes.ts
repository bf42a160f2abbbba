/**
 * The dashboard's schedules page: each daily schedule with its next five slots (in its zone and
 * in UTC) and its last missed slot; pause and resume (CSRF forms, audited as `dashboard:<who>`).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { ScheduleView } from '../../queue/schedule.service.ts';
import { actorOf, audit } from '../audit.ts';
import { html } from '../html.ts';
import { csrfToken } from './csrf.ts';
import { flash, sendAdminPage } from './layout.ts';

const Params = z.strictObject({ newsletter: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/), verb: z.enum(['pause', 'resume']) });

function scheduleRow(s: ScheduleView, csrf: string, readOnly: boolean) {
  const slots = s.paused
    ? html`<span class="muted">paused: no slot fires</span>`
    : html`<ol class="slots">${s.nextSlots.map((n) => html`<li><time datetime="${n.utc}">${n.local.slice(0, 16).replace('T', ' ')}</time> <span class="muted">${n.utc.slice(0, 16).replace('T', ' ')} UTC</span></li>`)}</ol>`;
  const verb = s.paused ? 'resume' : 'pause';
  const button = readOnly
    ? ''
    : html`<form class="inline" method="post" action="/admin/schedules/${s.newsletter}/${verb}"><input type="hidden" name="_csrf" value="${csrf}"><button class="${s.paused ? '' : 'secondary'}" type="submit">${s.paused ? 'Resume' : 'Pause'}</button></form>`;
  return html`<tr data-newsletter="${s.newsletter}"><td><strong>${s.newsletter}</strong>${s.paused ? html` <span class="status status-paused">paused</span>` : ''}</td>
<td><code>${s.cron}</code><span class="sub">${s.tz}</span></td><td>${s.lists.join(', ')}</td>
<td>${s.localTime ?? html`<span class="muted">–</span>`}</td><td>${s.lateWindow}</td><td>${slots}</td><td>${button}</td></tr>`;
}

export const adminScheduleRoutes: FastifyPluginAsync<{ app: App; outbox: boolean }> = async (instance, { app, outbox }) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const page = async (req: Parameters<typeof csrfToken>[0], reply: Parameters<typeof csrfToken>[1], notice?: ReturnType<typeof flash>) => {
    const schedules = await app.schedules.list();
    const csrf = csrfToken(req, reply);
    const readOnly = req.adminSession?.role === 'read';
    const body = html`<h1>Schedules</h1>${notice ?? ''}${
      schedules.length
        ? html`<table><thead><tr><th>Newsletter</th><th>Pattern</th><th>Lists</th><th>Readers' time</th><th>Late window</th><th>Next slots (local, UTC)</th><th></th></tr></thead>
<tbody>${schedules.map((s) => scheduleRow(s, csrf, readOnly))}</tbody></table>`
        : html`<div class="card"><p>No schedules yet. Make one with <code>newsdesk schedule set daily --cron "0 6 * * 1-5" --tz America/New_York --list daily</code> or <code>PUT /api/schedules/daily</code>.</p></div>`
    }`;
    return sendAdminPage(reply, { title: 'Schedules', section: 'schedules', csrf, who: req.adminSession?.who ?? '', audit: req.adminSession?.role === 'admin', outbox }, body);
  };

  server.get('/schedules', async (req, reply) => page(req, reply));

  server.post('/schedules/:newsletter/:verb', { schema: { params: Params } }, async (req, reply) => {
    const { newsletter, verb } = req.params;
    const by = actorOf(req) ?? 'dashboard:unknown';
    if (verb === 'pause') await app.schedules.pause(newsletter, by);
    else await app.schedules.resume(newsletter, by);
    await audit(app, req, { action: `schedule.${verb}`, target: newsletter });
    return page(req, reply, flash('ok', `Schedule of ${newsletter} ${verb === 'pause' ? 'paused' : 'resumed'}.`));
  });
};
