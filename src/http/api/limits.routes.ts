/**
 * `/api/limits`: the send limits every worker obeys, stored in Redis (what `newsdesk limits`
 * shows and sets). Workers follow a change within seconds.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { SendLimits } from '../../store/send-limits.store.ts';

export const limitRoutes: FastifyPluginAsync<{ app: App }> = async (instance, { app }) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const { sendLimits } = app.stores;

  // The send rate is the sending machinery's, like the queues: editors may read it, only admins set it.
  server.get('/limits', { config: { access: 'queues' }, schema: { tags: ['limits'], summary: 'The stored send limits (null fields: none stored yet; workers then use their SEND_RATE_* environment)' } }, async () => {
    const stored = await sendLimits.get();
    return { stored: stored !== null, perSecond: stored?.perSecond ?? null, perHour: stored?.perHour ?? null };
  });

  server.put(
    '/limits',
    {
      config: { access: 'queues' },
      schema: {
        tags: ['limits'],
        summary: 'Set the send limits for every worker: messages per second and per hour (0: no limit; perHour omitted: unchanged)',
        body: z.strictObject({ perSecond: SendLimits.shape.perSecond, perHour: SendLimits.shape.perHour.optional() }),
      },
    },
    async (req) => {
      const perHour = req.body.perHour ?? (await sendLimits.get())?.perHour ?? 0;
      const limits = await sendLimits.set({ perSecond: req.body.perSecond, perHour });
      req.log.info({ limits, token: req.apiToken?.name }, 'send limits set');
      return { stored: true, ...limits };
    },
  );
};
