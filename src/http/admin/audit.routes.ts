/** The dashboard's audit page (`/admin/audit`, admins only): the latest operator actions, newest first. */
import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.ts';
import { html } from '../html.ts';
import { csrfToken } from './csrf.ts';
import { localTime, sendAdminPage } from './layout.ts';

/** Entries the page shows. */
const SHOWN = 500;

export const adminAuditRoutes: FastifyPluginAsync<{ app: App; outbox: boolean }> = async (server, { app, outbox }) => {
  server.get('/audit', { config: { access: 'audit' } }, async (req, reply) => {
    const session = req.adminSession;
    const frame = { title: 'Audit log', section: 'audit' as const, csrf: csrfToken(req, reply), who: session?.who ?? '', outbox, audit: true };
    if (session?.role !== 'admin') {
      return sendAdminPage(reply, { ...frame, audit: false }, html`<h1>Not allowed</h1><p>The audit log is for admins.</p>`, 403);
    }
    const entries = (await app.stores.audit.list({ limit: SHOWN })).reverse();
    const body = html`<h1>Audit log</h1>
${
  entries.length
    ? html`<table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>On</th><th>Details</th></tr></thead>
<tbody>${entries.map(
        (e) => html`<tr><td>${localTime(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td><td>${e.target ?? ''}</td>
<td class="muted">${Object.entries(e.detail ?? {})
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ')}</td></tr>`,
      )}</tbody></table>
<p class="muted">The latest ${SHOWN} at most; <code>newsdesk audit --since 30d</code> or <code>GET /api/audit</code> for more.</p>`
    : html`<div class="card"><p>Nothing recorded yet.</p></div>`
}`;
    return sendAdminPage(reply, frame, body);
  });
};
