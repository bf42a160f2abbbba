/**
 * `/api/schedules`: the daily schedule (README.md, "The daily schedule"), the same service as
 * `newsdesk schedule`. Reading needs any content scope; changing needs admin or editor.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { parseLateWindow, scheduleSetAudit } from '../../queue/schedule.service.ts';
import { actorOf, audit } from '../audit.ts';

const Params = z.strictObject({ newsletter: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a newsletter id: lower-case letters, digits and dashes') });

const ScheduleBody = z.strictObject({
  /** Five-field cron pattern, read in `tz`. */
  cron: z.string().min(1).max(200).describe('five-field cron pattern read in tz, e.g. "0 6 * * 1-5"'),
  tz: z.string().min(1).max(100).describe('IANA time zone, e.g. America/New_York'),
  lists: z.array(z.string().min(1)).min(1).describe('lists the slot\'s campaign goes to'),
  localTime: z.string().optional().describe('HH:MM: readers with a timezone get the edition at this time in their zone'),
  lateWindow: z.string().optional().describe('a slot missed while no worker ran is still sent up to this late: 30m, 2h (default 2h)'),
});

export const scheduleRoutes: FastifyPluginAsync<{ app: App }> = async (instance, { app }) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const tags = ['schedules'];

  server.get('/schedules', { schema: { tags, summary: 'Every daily schedule, each with its next five slots (local and UTC) and its last missed slot' } }, async () => ({
    schedules: await app.schedules.list(),
  }));

  server.get('/schedules/:newsletter', { schema: { tags, summary: "One newsletter's schedule", params: Params } }, async (req) => app.schedules.get(req.params.newsletter));

  server.put(
    '/schedules/:newsletter',
    { schema: { tags, summary: "Create or replace a newsletter's daily schedule (a paused one stays paused)", params: Params, body: ScheduleBody } },
    async (req) => {
      const lateWindowMs = req.body.lateWindow !== undefined ? parseLateWindow(req.body.lateWindow) : undefined;
      const view = await app.schedules.set({
        newsletter: req.params.newsletter,
        cron: req.body.cron,
        tz: req.body.tz,
        lists: req.body.lists,
        localTime: req.body.localTime,
        lateWindowMs,
        by: actorOf(req) ?? 'api:unknown',
      });
      await audit(app, req, scheduleSetAudit(view));
      return view;
    },
  );

  for (const verb of ['pause', 'resume'] as const) {
    server.post(`/schedules/:newsletter/${verb}`, { schema: { tags, summary: verb === 'pause' ? 'Stop firing slots; the settings stay' : 'Fire slots again from the next one', params: Params } }, async (req) => {
      const by = actorOf(req) ?? 'api:unknown';
      const view = verb === 'pause' ? await app.schedules.pause(req.params.newsletter, by) : await app.schedules.resume(req.params.newsletter, by);
      await audit(app, req, { action: `schedule.${verb}`, target: view.newsletter });
      return view;
    });
  }

  server.delete('/schedules/:newsletter', { schema: { tags, summary: "Remove a newsletter's schedule", params: Params } }, async (req) => {
    await app.schedules.remove(req.params.newsletter);
    await audit(app, req, { action: 'schedule.remove', target: req.params.newsletter });
    return { newsletter: req.params.newsletter, removed: true };
  });
};
