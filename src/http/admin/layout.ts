/** The dashboard's page frame and the small pieces pages share (status badges, progress, numbers). */
import type { FastifyReply } from 'fastify';
import { type Campaign, type CampaignStatus, progressOf } from '../../domain/campaign.schema.ts';
import { formatProblem, type InputProblem } from '../../domain/errors.ts';
import { html, type SafeHtml } from '../html.ts';
import './schedule-banner.ts';

export type Section = 'campaigns' | 'new' | 'editions' | 'lists' | 'schedules' | 'queues' | 'outbox' | 'audit' | 'none';

export interface Frame {
  title: string;
  section: Section;
  /** The CSRF token for the sign-out form (absent on the sign-in page). */
  csrf?: string;
  /** Who is signed in, for the header. */
  who?: string;
  /** Shows the Outbox link (dev mode only). */
  outbox?: boolean;
  /** Shows the Audit link (admins only). */
  audit?: boolean;
  /** The page's own scripts from /admin/assets/, after admin.js. */
  scripts?: string[];
}

/**
 * Dashboard pages run only our own script and style; the email previews inside them are
 * sandboxed `srcdoc` frames, which inherit this policy, hence inline styles and any image host.
 */
export const ADMIN_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: http: data:; " +
  "font-src 'self' https:; connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'";

export function layout(frame: Frame, body: SafeHtml, banner?: SafeHtml): string {
  const link = (section: Section, href: string, label: string) =>
    html`<a href="${href}"${frame.section === section ? html` aria-current="page"` : ''}>${label}</a>`;
  const nav = frame.csrf
    ? html`<nav>
  ${link('campaigns', '/admin/campaigns', 'Campaigns')}
  ${link('new', '/admin/campaigns/new', 'New campaign')}
  ${link('editions', '/admin/editions', 'Editions')}
  ${link('lists', '/admin/lists', 'Lists')}
  ${link('schedules', '/admin/schedules', 'Schedules')}
  ${link('queues', '/admin/queues', 'Queues')}
  ${frame.outbox && link('outbox', '/admin/outbox', 'Outbox')}
  ${frame.audit && link('audit', '/admin/audit', 'Audit')}
</nav>
<form class="signout" method="post" action="/admin/logout"><input type="hidden" name="_csrf" value="${frame.csrf}">
  <span class="who">${frame.who}</span> <button class="link" type="submit">Sign out</button></form>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${frame.title} · newsdesk</title>
<link rel="stylesheet" href="/admin/assets/admin.css"><script src="/admin/assets/admin.js" defer></script>${(frame.scripts ?? []).map((s) => html`<script src="/admin/assets/${s}" defer></script>`)}</head>
<body><header class="top"><a class="brand" href="/admin/campaigns">newsdesk</a>${nav}</header>
<main>${frame.csrf ? (banner ?? '') : ''}${body}</main></body></html>`.value;
}

/** The headers of every dashboard page, ours and Bull Board's. */
export const ADMIN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': ADMIN_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** Sends a dashboard page with its security headers. */
export function sendAdminPage(reply: FastifyReply, frame: Frame, body: SafeHtml, status = 200): FastifyReply {
  return reply
    .code(status)
    .headers(ADMIN_PAGE_HEADERS)
    .type('text/html; charset=utf-8')
    .send(layout(frame, body, reply.request.scheduleBanner));
}

export const count = (n: number) => n.toLocaleString('en-US');

export function statusBadge(status: CampaignStatus): SafeHtml {
  return html`<span class="status status-${status}" data-field="status">${status}</span>`;
}

/** A native progress bar (no inline style, so the CSP needs none) the page script keeps current. */
export function progressBar(c: Campaign, opts: { wide?: boolean } = {}): SafeHtml {
  const { done, progress } = progressOf(c);
  const max = Math.max(1, c.counts.total);
  const pct = Math.floor(100 * progress);
  return html`<span class="progress${opts.wide ? ' wide' : ''}"><progress max="${max}" value="${c.status === 'sent' && c.counts.total === 0 ? max : done}" data-field="bar"></progress>
<span class="pct" data-field="pct">${pct}%</span></span>`;
}

/** An ISO time the page script shows in the editor's own time zone (UTC until it runs). */
export function localTime(iso: string | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">–</span>`;
  return html`<time datetime="${iso}" data-local>${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

export function problemList(problems: InputProblem[]): SafeHtml {
  if (!problems.length) return html``;
  return html`<div class="problems" role="alert"><strong>${problems.length === 1 ? '1 problem' : `${problems.length} problems`}</strong>
<ul>${problems.map((p) => html`<li>${formatProblem(p)}</li>`)}</ul></div>`;
}

export function flash(kind: 'ok' | 'error', text: string): SafeHtml {
  return html`<p class="flash flash-${kind}" role="status">${text}</p>`;
}
