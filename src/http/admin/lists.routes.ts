/** The dashboard's lists page: every list with its member count. */
import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.ts';
import { html } from '../html.ts';
import { csrfToken } from './csrf.ts';
import { count, localTime, sendAdminPage } from './layout.ts';

export const adminListRoutes: FastifyPluginAsync<{ app: App; outbox: boolean }> = async (server, { app, outbox }) => {
  server.get('/lists', async (req, reply) => {
    const lists = await app.stores.lists.all();
    const total = lists.reduce((n, l) => n + l.members, 0);
    const body = lists.length
      ? html`<h1>Lists</h1>
<table><thead><tr><th>List</th><th>Newsletter</th><th>Opt-in</th><th>Sign-up form</th><th class="num">Members</th><th>Created</th></tr></thead>
<tbody>${lists.map(
          (l) => html`<tr><td><strong>${l.name}</strong><span class="sub">${l.id}</span></td><td>${l.newsletter ?? html`<span class="muted">–</span>`}</td>
<td>${l.doubleOptIn ? 'double' : 'single'}</td><td>${l.public ? 'public' : html`<span class="muted">private</span>`}</td><td class="num">${count(l.members)}</td><td>${localTime(l.createdAt)}</td></tr>`,
        )}</tbody></table>
<p class="muted">${count(lists.length)} lists, ${count(total)} memberships. Members are counted whatever their status.</p>`
      : html`<h1>Lists</h1><div class="card"><p>No lists yet. Create one with <code>newsdesk lists create daily --newsletter daily</code>
or <code>POST /api/lists</code>.</p></div>`;
    const csrf = csrfToken(req, reply);
    return sendAdminPage(reply, { title: 'Lists', section: 'lists', csrf, who: req.adminSession?.who ?? '', audit: req.adminSession?.role === 'admin', outbox }, body);
  });
};
