/** Bull Board at `/admin/queues`: the BullMQ queues, behind the dashboard's sign-in. */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.ts';

export const bullBoardPlugin: FastifyPluginAsync<{ app: App; prefix: string }> = async (server, { app }) => {
  const adapter = new FastifyAdapter();
  adapter.setBasePath('/admin/queues');
  createBullBoard({
    queues: Object.values(app.queues).map((q) => new BullMQAdapter(q)),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'newsdesk queues' } },
  });
  await server.register(adapter.registerPlugin());
};
