/**
 * Dev mode only (no SMTP_URL): the messages the dev outbox captured, each viewable as its reader
 * would see it, in a sandboxed frame, with the headers that matter for deliverability.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.ts';
import { html } from '../html.ts';
import { emailFrame } from './campaign.views.ts';
import { csrfToken } from './csrf.ts';
import { count, localTime, sendAdminPage } from './layout.ts';
import { OUTBOX_NAME, listOutbox, readOutboxMessage } from './outbox.ts';

export const adminOutboxRoutes: FastifyPluginAsync<{ dir: string }> = async (instance, { dir }) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();

  server.get('/outbox', async (req, reply) => {
    const { entries, total } = await listOutbox(dir);
    const body = html`<h1>Outbox</h1>
<p class="muted">Dev mode: no SMTP_URL is set, so messages are captured in <code>${dir}</code> instead of being delivered.
${total > entries.length ? `Showing the newest ${count(entries.length)} of ${count(total)}.` : `${count(total)} messages.`}</p>
${entries.length
  ? html`<table><thead><tr><th>To</th><th>Subject</th><th>Saved</th><th class="num">Size</th></tr></thead><tbody>${entries.map(
      (e) => html`<tr><td><a href="/admin/outbox/${e.name}">${e.to || '(no To)'}</a></td><td>${e.subject}</td>
<td>${localTime(e.savedAt.toISOString())}</td><td class="num">${(e.size / 1024).toFixed(1)} KB</td></tr>`,
    )}</tbody></table>`
  : html`<div class="card"><p>Nothing captured yet. Send a campaign or a test copy.</p></div>`}`;
    return sendAdminPage(reply, { title: 'Outbox', section: 'outbox', csrf: csrfToken(req, reply), who: req.adminSession?.who ?? '', audit: req.adminSession?.role === 'admin', outbox: true }, body);
  });

  server.get(
    '/outbox/:name',
    { schema: { params: z.strictObject({ name: z.string().regex(OUTBOX_NAME, 'not an outbox message name') }) } },
    async (req, reply) => {
      const found = await readOutboxMessage(dir, req.params.name);
      if (!found) throw new NotFoundError('message', req.params.name);
      const m = found.parsed;
      // The raw header lines, as a mail client's "show original" would: what was sent, not an interpretation.
      const headerValue = (name: string) => {
        const line = m.headerLines.find((l) => l.key === name)?.line;
        return line === undefined ? '' : line.slice(line.indexOf(':') + 1).replace(/\r\n[ \t]+/g, ' ').trim();
      };
      // List-Unsubscribe: <https://…>, <mailto:…>: the https one is what one-click clients POST to.
      const unsubscribe = /<(https?:[^>]+)>/.exec(headerValue('list-unsubscribe'))?.[1];
      const body = html`<p><a href="/admin/outbox">← Outbox</a></p>
<h1>${m.subject ?? '(no subject)'}</h1>
<div class="card"><dl class="facts">
<dt>From</dt><dd>${m.from?.text ?? ''}</dd>
<dt>To</dt><dd>${Array.isArray(m.to) ? m.to.map((a) => a.text).join(', ') : (m.to?.text ?? '')}</dd>
<dt>Date</dt><dd>${m.date ? localTime(m.date.toISOString()) : ''}</dd>
<dt>Message-ID</dt><dd><code>${m.messageId ?? ''}</code></dd>
<dt>List-Unsubscribe</dt><dd>${unsubscribe ? html`<a href="${unsubscribe}" target="_blank" rel="noreferrer" data-unsubscribe>${unsubscribe}</a>` : html`<span class="muted">none</span>`}</dd>
<dt>List-Unsubscribe-Post</dt><dd>${headerValue('list-unsubscribe-post') || html`<span class="muted">none</span>`}</dd>
<dt>DKIM</dt><dd>${headerValue('dkim-signature') ? 'signed' : html`<span class="muted">not signed</span>`}</dd>
<dt>Size</dt><dd>${(found.raw.length / 1024).toFixed(1)} KB</dd>
</dl></div>
<h2>HTML part</h2>
${typeof m.html === 'string' ? emailFrame(m.html, 'message-frame', 'The HTML part') : html`<p class="muted">No HTML part.</p>`}
<h2>Text part</h2>
<pre class="text">${m.text ?? ''}</pre>`;
      return sendAdminPage(reply, { title: m.subject ?? 'Message', section: 'outbox', csrf: csrfToken(req, reply), who: req.adminSession?.who ?? '', audit: req.adminSession?.role === 'admin', outbox: true }, body);
    },
  );
};
