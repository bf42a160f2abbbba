/** The dashboard's campaign pages: list, detail, new (editor) and preview. */
import type { LintReport } from '../../composer/lint.ts';
import { type Campaign, type Delivery, describeNoWorker, isFinal } from '../../domain/campaign.schema.ts';
import type { InputProblem } from '../../domain/errors.ts';
import { NO_NAME } from '../../domain/preview-reader.ts';
import type { ListWithCount } from '../../store/list.store.ts';
import type { CampaignStatusReport } from '../../queue/campaign.service.ts';
import type { ZoneProgress } from '../../queue/zone-progress.ts';
import { zonedIso } from '../../domain/time-zone.ts';
import { html, type SafeHtml } from '../html.ts';
import { count, localTime, problemList, progressBar, statusBadge } from './layout.ts';


export function campaignListView(campaigns: Campaign[]): SafeHtml {
  if (!campaigns.length) {
    return html`<div class="row"><h1>Campaigns</h1><span class="spacer"></span><a class="button" href="/admin/campaigns/new">New campaign</a></div>
<div class="card"><p>No campaigns yet.</p><p><a class="button" href="/admin/campaigns/new">Compose the first one</a></p></div>`;
  }
  const rows = campaigns.map(
    (c) => html`<tr data-campaign="${c.id}" data-status="${c.status}">
  <td><a href="/admin/campaigns/${c.id}"><strong>${c.subject}</strong></a><span class="sub">${c.id}</span></td>
  <td>${statusBadge(c.status)}</td>
  <td>${progressBar(c)}</td>
  <td class="num"><span data-count="sent">${count(c.counts.sent)}</span> / <span data-count="total">${count(c.counts.total)}</span></td>
  <td class="num" data-count="failed">${count(c.counts.failed)}</td>
  <td>${c.lists.join(', ')}</td>
  <td>${c.status === 'draft' ? html`<span class="muted">not started</span>` : localTime(c.scheduledAt)}</td>
</tr>`,
  );
  return html`<div class="row"><h1>Campaigns</h1><span class="spacer"></span><a class="button" href="/admin/campaigns/new">New campaign</a></div>
<table><thead><tr><th>Subject</th><th>Status</th><th>Progress</th><th class="num">Sent</th><th class="num">Failed</th><th>Lists</th><th>Starts</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export interface DetailData {
  /** Progress, and how long the delivery records are kept (DELIVERY_RETENTION_DAYS). */
  p: CampaignStatusReport;
  /** The report's failures and the first skipped deliveries, with the subscriber's address. */
  failures: (Delivery & { email: string | null })[];
  skipped: (Delivery & { email: string | null })[];
  csrf: string;
  flash?: SafeHtml | undefined;
  /** A `read` session: no pause, resume, cancel or reschedule controls (the server refuses them anyway). */
  readOnly?: boolean;
  /** Sent at readers' local time: each zone bucket and its progress. */
  zones?: ZoneProgress[] | undefined;
}

/** A rate as a percentage, two decimals below 1 % (complaint rates live there). */
function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)} %`;
}

export function campaignDetailView(d: DetailData): SafeHtml {
  const c = d.p.campaign;
  const action = (name: string, label: string, cls = 'secondary', confirm?: string) =>
    html`<form class="inline" method="post" action="/admin/campaigns/${c.id}/${name}"${confirm ? html` data-confirm="${confirm}"` : ''}>
<input type="hidden" name="_csrf" value="${d.csrf}"><button class="${cls}" type="submit">${label}</button></form>`;
  const actions = d.readOnly ? [] : [
    c.status === 'sending' && action('pause', 'Pause'),
    c.status === 'paused' && action('resume', 'Resume', ''),
    !isFinal(c.status) && action('cancel', 'Cancel campaign', 'danger', 'Cancel this campaign? Nothing more will be sent.'),
  ];
  const noWorker = describeNoWorker(d.p);
  const stat = (key: string, label: string, value: number) => html`<div class="stat"><b data-count="${key}">${count(value)}</b><span>${label}</span></div>`;
  const deliveryRows = (rows: DetailData['failures']) =>
    rows.map(
      (f) => html`<tr><td>${f.email ?? html`<span class="muted">deleted</span>`}<span class="sub">subscriber ${f.subscriberId}</span></td>
<td class="reply">${f.detail ?? ''}</td><td>${f.at ? localTime(new Date(f.at).toISOString()) : ''}</td></tr>`,
    );
  return html`${d.flash}
<section data-campaign="${c.id}" data-status="${c.status}" data-reload-on-change>
<div class="row"><h1>${c.subject}</h1>${statusBadge(c.status)}<span class="spacer"></span>${actions}<a class="button secondary" href="/admin/campaigns/${c.id}/report">Report</a></div>
${c.status === 'paused' && c.pauseReason && html`<p class="card" data-field="pause-reason"><strong>Paused by newsdesk:</strong> ${c.pauseReason}. Resume once the setting is fixed.</p>`}
<div class="row">${progressBar(c, { wide: true })}<span class="muted">rate <span data-field="rate">${d.p.rate > 0 ? `${Math.round(d.p.rate)}/s` : '–'}</span>,
ETA <span data-field="eta">${noWorker ?? (d.p.etaSeconds === undefined ? '–' : `${Math.ceil(d.p.etaSeconds)} s`)}</span></span></div>
<div class="stats">
${stat('sent', 'sent (accepted by SMTP)', c.counts.sent)}${stat('failed', 'failed', c.counts.failed)}${stat('skipped', 'skipped', c.counts.skipped)}
${c.status === 'cancelled' ? stat('cancelled', 'cancelled', d.p.cancelled) : stat('pending', 'pending', c.counts.pending)}${stat('total', 'recipients', c.counts.total)}
</div>
${d.zones?.length ? html`<h2>At readers' local time</h2><table data-zones><thead><tr><th>Zone</th><th class="num">Readers</th><th class="num">Sent</th><th>Time there</th><th>UTC</th><th>State</th></tr></thead>
<tbody>${d.zones.map((z) => html`<tr data-zone="${z.zone}"><td>${z.zone}</td><td class="num">${count(z.readers)}</td><td class="num" data-field="zone-sent">${count(z.sent)}</td>
<td>${zonedIso(new Date(z.at), z.zone).slice(0, 16).replace('T', ' ')}</td><td>${z.at.slice(0, 16).replace('T', ' ')}</td><td data-field="zone-state">${z.state}</td></tr>`)}</tbody></table>` : ''}
</section>
<div class="card"><dl class="facts">
<dt>Campaign</dt><dd><code>${c.id}</code></dd>
<dt>Lists</dt><dd>${c.lists.join(', ')}</dd>
<dt>Edition</dt><dd>${c.newsletterId}, ${c.editionDate}</dd>
<dt>Created</dt><dd>${localTime(c.createdAt)}</dd>
<dt>Starts</dt><dd>${c.status === 'draft' ? 'when started' : localTime(c.scheduledAt)}</dd>
<dt>Started</dt><dd>${localTime(c.startedAt)}</dd>
<dt>Finished</dt><dd>${localTime(c.finishedAt)}</dd>
${c.error && html`<dt>Error</dt><dd>${c.error}</dd>`}
${d.p.returns.breaker && html`<dt>Paused by</dt><dd>the reputation breaker: ${d.p.returns.breaker}</dd>`}
${d.p.deliveryRecordsUntil && html`<dt>Delivery records</dt><dd>kept until ${localTime(d.p.deliveryRecordsUntil)}</dd>`}
${d.p.deliveryRecordsRemoved && html`<dt>Delivery records</dt><dd>removed after the retention period (<code>DELIVERY_RETENTION_DAYS</code>); the counts above remain</dd>`}
</dl></div>
${c.status === 'draft' && !d.readOnly && html`<h2>Start</h2>
<p class="muted">A draft sends nothing. Send yourself a test first (<code>newsdesk campaign test ${c.id} --to you@example.com</code>), then start it.</p>
<form class="card" method="post" action="/admin/campaigns/${c.id}/start" data-send-time>
<input type="hidden" name="_csrf" value="${d.csrf}">
<label class="check"><input type="radio" name="when" value="now" checked> Now</label>
<label class="check"><input type="radio" name="when" value="at"> At <span class="muted">(<span data-tz>your time zone</span>)</span></label>
<input type="datetime-local" name="local" aria-label="Send time"><input type="hidden" name="at" value="">
<label class="check"><input type="checkbox" name="confirmDate" value="yes"> The edition is dated ${c.editionDate}: send it even if that is not the send day</label>
<label class="check"><input type="checkbox" name="again" value="yes"> Send even if this edition already went to these lists</label>
<button type="submit">Start sending to ${c.lists.join(', ')}</button></form>`}
${c.status === 'scheduled' && !d.readOnly && html`<h2>Reschedule</h2>
<form class="card row" method="post" action="/admin/campaigns/${c.id}/reschedule" data-send-time>
<input type="hidden" name="_csrf" value="${d.csrf}"><input type="hidden" name="when" value="at"><input type="hidden" name="at" value="">
<label class="check">New start (<span data-tz>your time zone</span>)</label><input type="datetime-local" name="local" required>
<button type="submit">Reschedule</button></form>`}
<h2>Returns</h2>
${d.p.returns.warnings.map((w) => html`<p class="flash error" role="alert">${w}</p>`)}
<div class="stats">
${stat('hard', `hard bounces (${percent(d.p.returns.hardBounceRate)})`, d.p.returns.hardBounces)}${stat('soft', 'soft bounces', d.p.returns.softBounces)}
${stat('complaints', `complaints (${percent(d.p.returns.complaintRate)})`, d.p.returns.complaints)}${stat('unsubscribes', 'unsubscribes', d.p.returns.unsubscribes)}
${stat('sender-blocks', 'blocks about the sender', d.p.returns.senderBlocks)}
</div>
<h2>Failures</h2>
${d.failures.length
  ? html`<table><thead><tr><th>Recipient</th><th>SMTP reply</th><th>When</th></tr></thead><tbody>${deliveryRows(d.failures)}</tbody></table>`
  : html`<p class="muted">No failures.</p>`}
${d.skipped.length > 0 &&
  html`<h2>Skipped</h2><p class="muted">Not mailed because of their status when their turn came.</p>
<table><thead><tr><th>Recipient</th><th>Reason</th><th>When</th></tr></thead><tbody>${deliveryRows(d.skipped)}</tbody></table>`}`;
}

export function editorView(opts: { csrf: string; text: string; problems?: InputProblem[] }): SafeHtml {
  return html`<h1>New campaign</h1>
${problemList(opts.problems ?? [])}
<form method="post" action="/admin/campaigns/preview" enctype="multipart/form-data" class="editor">
<input type="hidden" name="_csrf" value="${opts.csrf}">
<div><label for="edition">Edition (YAML)</label>
<textarea id="edition" name="edition" spellcheck="false" placeholder="newsletter: daily&#10;date: 2025-02-13&#10;subject: …">${opts.text}</textarea></div>
<div class="side"><div class="card">
<label for="editionFile">…or upload a file</label>
<input id="editionFile" name="editionFile" type="file" accept=".yaml,.yml,.json,text/yaml,application/json" data-load-into="edition">
<p class="muted">The edition is checked, rendered once and linted; nothing is saved until you schedule it.</p>
<p class="muted">Writing a new one? The <a href="/admin/editions/new">edition editor</a> has a form, a live preview and autosave.</p>
<button type="submit">Preview</button></div></div>
</form>`;
}

export interface PreviewData {
  csrf: string;
  text: string;
  subject: string;
  html: string;
  /** Whose copy is shown ("the sample reader Alex Reader", "a reader with no name", …). */
  reader: string;
  /** What the "Preview as" box holds. */
  as: string;
  report: LintReport;
  lists: ListWithCount[];
  selected: Set<string>;
  problems?: InputProblem[] | undefined;
  flash?: SafeHtml | undefined;
  testTo?: string | undefined;
  /** Confirmations the last attempt needed, each with what it confirms: shown as checkboxes. */
  confirm?: { again?: string | undefined; date?: string | undefined } | undefined;
  /** The start choice to keep selected: a draft unless the editor chose otherwise. */
  when?: 'draft' | 'now' | 'at' | undefined;
  /** A stored edition's campaign form: it creates the campaign from the edition, and Edit opens the edition's editor. */
  edition?: { id: string; revision: number; state: string } | undefined;
}

/** The "send anyway" boxes a refused start offers (an edition sent before, an edition of another day). */
function confirmBoxes(confirm: PreviewData['confirm']): SafeHtml | '' {
  if (!confirm?.again && !confirm?.date) return '';
  return html`<fieldset class="confirm"><legend>Confirm</legend>
${confirm.again ? html`<label class="check"><input type="checkbox" name="again" value="yes"> Send again: ${confirm.again}</label>` : ''}
${confirm.date ? html`<label class="check"><input type="checkbox" name="confirmDate" value="yes"> Send anyway: ${confirm.date}</label>` : ''}
</fieldset>`;
}

function lintView(report: LintReport): SafeHtml {
  const items = [
    ...report.errors.map((e) => ({ ...e, level: 'error' })),
    ...report.warnings.map((w) => ({ ...w, level: 'warning' })),
  ];
  const size = `${(report.htmlBytes / 1024).toFixed(1)} KB of HTML`;
  if (!items.length) return html`<p class="lint-ok">Lint: no problems, ${size}.</p>`;
  return html`<ul class="lint">${items.map(
    (i) => html`<li class="${i.level}"><strong>${i.level}</strong> ${i.path ? html`<code>${i.path}</code> ` : ''}${i.message}</li>`,
  )}</ul><p class="muted">${size}</p>`;
}

/** The email in a frame that can run nothing; its links open in a new tab. */
export function emailFrame(document: string, cls: string, title: string): SafeHtml {
  const withBase = /<head[^>]*>/i.test(document)
    ? document.replace(/<head[^>]*>/i, (h) => `${h}<base target="_blank">`)
    : `<base target="_blank">${document}`;
  return html`<iframe class="${cls}" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="${title}" srcdoc="${withBase}"></iframe>`;
}

export function previewView(d: PreviewData): SafeHtml {
  const sendable = d.report.ok;
  const hiddenEdition = html`<textarea name="edition" hidden>${d.text}</textarea><input type="hidden" name="_csrf" value="${d.csrf}">`;
  const listChoices = d.lists.length
    ? d.lists.map(
        (l) => html`<label class="check"><input type="checkbox" name="lists" value="${l.id}"${d.selected.has(l.id) ? html` checked` : ''}>
${l.name} <span class="muted">(${count(l.members)})</span></label>`,
      )
    : html`<p class="muted">No lists yet: create one with <code>newsdesk lists create</code>.</p>`;
  return html`${d.flash}
<div class="row"><h1>${d.subject}</h1><span class="spacer"></span>
${d.edition
  ? html`<span class="muted">Edition <code>${d.edition.id}</code>, revision ${d.edition.revision} (${d.edition.state})</span><a class="button secondary" href="/admin/editions/${d.edition.id}">Edit</a>`
  : html`<form method="post" action="/admin/campaigns/edit">${hiddenEdition}<button class="secondary" type="submit">Edit</button></form>`}</div>
${problemList(d.problems ?? [])}
<div class="preview-layout">
<div>
<div class="card">${lintView(d.report)}</div>
<div class="previews">
<div class="preview"><h3>Desktop, 600 px</h3>${emailFrame(d.html, 'w600', 'Preview at 600 px')}</div>
<div class="preview"><h3>Phone, 375 px</h3>${emailFrame(d.html, 'w375', 'Preview at 375 px')}</div>
</div>
</div>
<div class="side">
<form class="card" method="post" action="${d.edition ? `/admin/editions/${d.edition.id}/campaign` : '/admin/campaigns'}" data-send-time>
${d.edition ? html`<input type="hidden" name="_csrf" value="${d.csrf}">` : hiddenEdition}
<fieldset><legend>Send to</legend>${listChoices}</fieldset>
<fieldset><legend>When</legend>
<label class="check"><input type="radio" name="when" value="draft"${(d.when ?? 'draft') === 'draft' ? html` checked` : ''}> Save as a draft <span class="muted">(send a test, then start it)</span></label>
<label class="check"><input type="radio" name="when" value="now"${d.when === 'now' ? html` checked` : ''}> Now</label>
<label class="check"><input type="radio" name="when" value="at"${d.when === 'at' ? html` checked` : ''}> At <span class="muted">(<span data-tz>your time zone</span>)</span></label>
<input type="datetime-local" name="local" aria-label="Send time"><input type="hidden" name="at" value="">
</fieldset>
${confirmBoxes(d.confirm)}
<button type="submit" ${sendable ? '' : html`disabled`}>Create campaign</button>
${!sendable && html`<p class="muted">Fix the lint errors to schedule.</p>`}
</form>
${!d.edition && html`<form class="card" method="post" action="/admin/campaigns/preview" data-preview-as>
${hiddenEdition}
<label for="as">Preview as</label>
<div class="row"><input id="as" name="as" value="${d.as}" placeholder="subscriber@example.com or ${NO_NAME}" list="preview-readers"><button class="secondary" type="submit">Show</button></div>
<datalist id="preview-readers"><option value="${NO_NAME}">a reader with no name</option></datalist>
<p class="muted">Showing the copy of <span data-field="reader">${d.reader}</span>. Leave blank for the sample reader; <code>${NO_NAME}</code> shows what readers without a name see.</p>
</form>
<form class="card" method="post" action="/admin/campaigns/test">
${hiddenEdition}
<label for="testTo">Send a test to</label>
<div class="row"><input id="testTo" type="email" name="to" required value="${d.testTo ?? ''}" placeholder="you@example.com"><button class="secondary" type="submit">Send test</button></div>
</form>`}
</div>
</div>`;
}
