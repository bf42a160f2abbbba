/**
 * The dashboard's report pages (markup only; report.routes.ts gathers the figures): a campaign's
 * headline numbers, clicks per story in the order of the email, the send and click timeline, the
 * top links, the newsletter's last 30 editions, and a printable sponsor report. The charts are
 * drawn by assets/report.js with Chart.js from the data embedded as JSON.
 */
import type { Campaign } from '../../domain/campaign.schema.ts';
import type { CampaignReport } from '../../queue/campaign-report.ts';
import { html, raw, type SafeHtml } from '../html.ts';
import { count, localTime } from './layout.ts';

/** Everything the report page draws. */
export interface ReportPageData {
  campaign: Campaign;
  report: CampaignReport;
  /** Messages sent per minute during the send: [epoch minute, n]. */
  sentPerMinute: [number, number][];
  /** Human clicks per hour for 48 hours from the start: [epoch hour, n]. */
  clicksPerHour: [number, number][];
  /** The newsletter's last editions, oldest first. */
  trend: { id: string; date: string; sent: number; clickRate: number; unsubscribeRate: number; complaintRate: number }[];
}

const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–');

/** JSON inside a `<script type="application/json">`: `<` escaped so no text can close the element. */
function jsonData(id: string, value: unknown): SafeHtml {
  return raw(`<script type="application/json" id="${id}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`);
}

export function reportView(d: ReportPageData): SafeHtml {
  const { report: r, campaign: c } = d;
  const unsubscribes = r.unsubscribes.oneClick + r.unsubscribes.mailto + r.unsubscribes.page;
  const stat = (label: string, value: string, note?: string) =>
    html`<div class="stat"><b>${value}</b><span>${label}${note ? html`<br><small>${note}</small>` : ''}</span></div>`;
  const top = [...r.clicks.byLink].map((l, i) => ({ ...l, n: i })).sort((a, b) => b.human - a.human || a.n - b.n);
  return html`<div class="row"><h1>Report: ${c.subject}</h1><span class="spacer"></span>
<a class="button secondary" href="/admin/campaigns/${c.id}">Campaign</a>
<a class="button secondary" href="/admin/campaigns/${c.id}/sponsor">Sponsor report</a>
<a class="button secondary" href="/admin/newsletters/${c.newsletterId}/trend">Last 30 editions</a></div>
<p class="muted">${c.newsletterId}, ${c.editionDate} · started ${localTime(c.startedAt)} · machine clicks (link scanners, previews) are counted apart and never added to the human figures.</p>
<div class="stats" data-report="${c.id}">
${stat('sent', count(r.sent))}
${stat('human clicks', count(r.clicks.human), `${pct(r.clicks.human, r.sent)} of sent`)}
${stat('machine clicks', count(r.clicks.machine))}
${r.clicks.uniqueReaders === null ? '' : stat('readers who clicked', count(r.clicks.uniqueReaders), pct(r.clicks.uniqueReaders, r.sent))}
${r.opens ? stat('human opens', count(r.opens.human), `${count(r.opens.machine)} machine`) : ''}
${stat('unsubscribes', count(unsubscribes), `${r.unsubscribes.oneClick} one-click, ${r.unsubscribes.page} page, ${r.unsubscribes.mailto} mail`)}
${stat('complaints', count(r.complaints), pct(r.complaints, r.sent))}
${stat('bounces', count(r.bounces.hard + r.bounces.soft), `${r.bounces.hard} hard, ${r.bounces.soft} soft`)}
</div>
<h2>Clicks per link, in the order of the email</h2>
<div class="card chart"><canvas id="chart-links" height="320" aria-label="Human and machine clicks per link"></canvas></div>
<h2>Timeline</h2>
<div class="card chart"><canvas id="chart-sent" height="220" aria-label="Messages sent per minute"></canvas></div>
<div class="card chart"><canvas id="chart-clicks" height="220" aria-label="Human clicks per hour over 48 hours"></canvas></div>
<div class="row"><h2>Top links</h2><span class="spacer"></span><a class="button secondary" href="/admin/campaigns/${c.id}/report.csv" download>Download CSV</a></div>
<table class="top-links"><thead><tr><th>Link</th><th>Section</th><th class="num">Human</th><th class="num">Machine</th></tr></thead><tbody>
${top.map((l) => html`<tr><td>${l.label}<span class="sub"><a href="${l.url}" rel="noopener noreferrer">${l.url}</a></span></td><td>${l.section}</td><td class="num">${count(l.human)}</td><td class="num">${count(l.machine)}</td></tr>`)}
</tbody></table>
${jsonData('report-data', { kind: 'campaign', byLink: r.clicks.byLink.map((l) => ({ label: l.label, section: l.section, human: l.human, machine: l.machine })), sentPerMinute: d.sentPerMinute, clicksPerHour: d.clicksPerHour })}
<script src="/admin/assets/chart.js" defer></script><script src="/admin/assets/report.js" defer></script>`;
}

export function trendView(newsletterId: string, trend: ReportPageData['trend']): SafeHtml {
  return html`<h1>${newsletterId}: the last ${trend.length} editions</h1>
<p class="muted">Click rate: human clicks per message sent. Unsubscribe and complaint rates: per message sent.</p>
<div class="card chart"><canvas id="chart-trend-sent" height="220" aria-label="Messages sent per edition"></canvas></div>
<div class="card chart"><canvas id="chart-trend-rates" height="260" aria-label="Click, unsubscribe and complaint rates per edition"></canvas></div>
<table><thead><tr><th>Edition</th><th class="num">Sent</th><th class="num">Click rate</th><th class="num">Unsubscribe rate</th><th class="num">Complaint rate</th></tr></thead><tbody>
${[...trend].reverse().map((e) => html`<tr><td><a href="/admin/campaigns/${e.id}/report">${e.date}</a> <span class="sub">${e.id}</span></td><td class="num">${count(e.sent)}</td><td class="num">${(100 * e.clickRate).toFixed(2)} %</td><td class="num">${(100 * e.unsubscribeRate).toFixed(2)} %</td><td class="num">${(100 * e.complaintRate).toFixed(3)} %</td></tr>`)}
</tbody></table>
${jsonData('report-data', { kind: 'trend', trend })}
<script src="/admin/assets/chart.js" defer></script><script src="/admin/assets/report.js" defer></script>`;
}

/** The sponsor's page: meant to be printed or saved as PDF and forwarded. */
export function sponsorView(d: { campaign: Campaign; report: CampaignReport; newsletterName: string; creative: SafeHtml | null }): SafeHtml {
  const links = d.report.clicks.byLink.filter((l) => l.section === 'sponsor');
  const human = links.reduce((s, l) => s + l.human, 0);
  return html`<article class="sponsor-report">
<h1>Sponsor report</h1>
<p>${d.newsletterName}, edition of ${d.campaign.editionDate}: ${links[0]?.label ?? 'sponsor block'}</p>
<div class="stats">
<div class="stat"><b>${count(d.report.sent)}</b><span>impressions (messages delivered to the recipients' mail servers)</span></div>
<div class="stat"><b>${count(human)}</b><span>clicks by people</span></div>
<div class="stat"><b>${pct(human, d.report.sent)}</b><span>click rate</span></div>
</div>
<p class="muted">Clicks by link scanners and previews (${count(links.reduce((s, l) => s + l.machine, 0))}) are not included.</p>
<h2>Links</h2>
<ul>${links.map((l) => html`<li>${l.url}: ${count(l.human)} clicks</li>`)}</ul>
<h2>The creative as sent</h2>
${d.creative ? html`<div class="creative card">${d.creative}</div>` : html`<p class="muted">This edition had no sponsor block.</p>`}
<p class="no-print"><button type="button" data-print>Print or save as PDF</button></p>
</article>
<script src="/admin/assets/report.js" defer></script>`;
}
