/**
 * The missed-slot banner (README.md, "The daily schedule"): on every dashboard page, while a
 * newsletter's last slot sent nothing (no approved edition, missed while no worker ran, a failed
 * create), until a later slot of it sends.
 */
import type { FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import type { MissedSlot } from '../../domain/schedule.schema.ts';
import { html, type SafeHtml } from '../html.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for dashboard pages by {@link loadScheduleBanner}; shown by the layout. */
    scheduleBanner?: SafeHtml | undefined;
  }
}

export function missedSlotBanner(missed: readonly MissedSlot[]): SafeHtml | undefined {
  if (!missed.length) return undefined;
  return html`<div class="flash flash-error schedule-banner" role="alert" data-banner="schedule-missed">
<strong>Schedule: ${missed.length === 1 ? 'a slot was missed' : `${missed.length} slots were missed`}.</strong>
<ul>${missed.map((m) => html`<li data-newsletter="${m.newsletter}" data-reason="${m.reason}">${m.message}</li>`)}</ul>
<a href="/admin/schedules">Schedules</a></div>`;
}

/** A hook for dashboard page requests: reads the missed slots once per page. */
export function loadScheduleBanner(app: App) {
  return async (req: FastifyRequest): Promise<void> => {
    // A page's background polls need no banner.
    if (req.routeOptions.config?.background) return;
    req.scheduleBanner = missedSlotBanner(await app.scheduleStore.missed());
  };
}
