/** `GET /api/audit`: the audit log, oldest first (admin tokens only). */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { parseTimeOption, TIME_OPTION_HINT } from '../../domain/time-option.ts';

const AuditQuery = z.strictObject({
  since: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const at = parseTimeOption(v, { now: Date.now(), direction: 'back' });
      if (!at) {
        ctx.addIssue({ code: 'custom', message: `must be ${TIME_OPTION_HINT}` });
        return z.NEVER;
      }
      return at;
    })
    .describe('Only entries from this time on: 24h, 7d, or an ISO 8601 time. Default: everything kept.'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('At most this many (the newest). Default 1,000.'),
});

export const auditRoutes: FastifyPluginAsync<{ app: App }> = async (instance, { app }) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();
  server.get(
    '/audit',
    {
      config: { access: 'audit' },
      schema: { tags: ['audit'], summary: 'Who did what, when: operator actions, oldest first (admin tokens)', querystring: AuditQuery },
    },
    async (req) => app.stores.audit.list({ since: req.query.since, limit: req.query.limit }),
  );
};
