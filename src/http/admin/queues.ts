/**
 * Bull Board, behind the dashboard's sign-in: the full board at `/admin/queues` for admins, a
 * read-only one at `/admin/queues-view` for `editor` and `read` sessions (sent there when they
 * open the full one). Its API takes no CSRF token of ours, so every change to a queue must come
 * from a page of this site (the browser's `Origin` header) and an admin session; each is audited.
 * Its pages get the dashboard's CSP and frame-ancestors.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app.ts';
import { isReadMethod, scopeAllows } from '../../domain/access.ts';
import { audit } from '../audit.ts';
import { ADMIN_PAGE_HEADERS } from './layout.ts';

export const QUEUES_PATH = '/admin/queues';
export const QUEUES_VIEW_PATH = '/admin/queues-view';

/** True when a request that changes something comes from a page of this site. */
export function sameOrigin(req: FastifyRequest, publicUrl: string): boolean {
  const origin = req.headers.origin;
  return typeof origin === 'string' && origin === new URL(publicUrl).origin;
}

/** `retry`, `clean`, `job-schedulers-remove`: what a Bull Board API call does, from its route. */
export function queueActionOf(routeUrl: string, method: string): string {
  const words = routeUrl
    .replace(/^.*?\/api\//, '')
    .split('/')
    .filter((w) => w && !w.startsWith(':') && w !== 'queues');
  return words.length ? words.join('-').toLowerCase().replace(/[^a-z-]/g, '') : method.toLowerCase();
}

function forbidden(reply: FastifyReply, error: string): FastifyReply {
  return reply.code(403).headers(ADMIN_PAGE_HEADERS).type('application/json; charset=utf-8').send({ error, code: 'forbidden' });
}

function board(app: App, basePath: string, readOnly: boolean): FastifyAdapter {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(basePath);
  createBullBoard({
    queues: Object.values(app.queues).map((q) => new BullMQAdapter(q, { readOnlyMode: readOnly })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: readOnly ? 'newsdesk queues (read-only)' : 'newsdesk queues' } },
  });
  return adapter;
}

export const bullBoardPlugin: FastifyPluginAsync<{ app: App }> = async (server, { app }) => {
  // The full board: admins change queues from its pages; everyone else is sent to the view.
  await server.register(
    async (full) => {
      full.addHook('onRequest', async (req, reply) => {
        const session = req.adminSession;
        if (!session) return; // the dashboard's guard answers first
        const write = !isReadMethod(req.method);
        if (!scopeAllows(session.role, { area: 'queues', write: true })) {
          if (write) return forbidden(reply, `your sign-in (${session.role}) may look at the queues but not change them`);
          return reply.redirect(req.url.replace(QUEUES_PATH, QUEUES_VIEW_PATH), 303);
        }
        if (write && !sameOrigin(req, app.config.publicUrl)) {
          return forbidden(reply, 'queue changes must come from the dashboard (Origin header missing or from another site)');
        }
      });
      full.addHook('onSend', async (_req, reply) => {
        reply.headers(ADMIN_PAGE_HEADERS);
      });
      full.addHook('onResponse', async (req, reply) => {
        if (isReadMethod(req.method) || reply.statusCode >= 400) return;
        const params = req.params as { queueName?: string; jobId?: string };
        await audit(app, req, {
          action: `queues.${queueActionOf(req.routeOptions.url ?? req.url, req.method)}`,
          ...(params.queueName ? { target: params.queueName } : {}),
          detail: { method: req.method, ...(params.jobId ? { job: params.jobId } : {}) },
        }).catch((err: unknown) => req.log.error({ err: String(err) }, 'audit entry for a queue action not recorded'));
      });
      await full.register(board(app, QUEUES_PATH, false).registerPlugin());
    },
    { prefix: '/queues' },
  );

  // The read-only board: its queues refuse changes themselves; nothing but reads gets through here.
  await server.register(
    async (view) => {
      view.addHook('onRequest', async (req, reply) => {
        if (!isReadMethod(req.method)) return forbidden(reply, 'this is the read-only view of the queues');
      });
      view.addHook('onSend', async (_req, reply) => {
        reply.headers(ADMIN_PAGE_HEADERS);
      });
      await view.register(board(app, QUEUES_VIEW_PATH, true).registerPlugin());
    },
    { prefix: '/queues-view' },
  );
};
