/** The dashboard's stylesheet and script, read once at start: plain files, no build step. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

const DIR = join(import.meta.dirname, 'assets');

export const adminAssets: FastifyPluginAsync = async (server) => {
  const files = {
    'admin.css': { type: 'text/css; charset=utf-8', body: await readFile(join(DIR, 'admin.css'), 'utf8') },
    'admin.js': { type: 'text/javascript; charset=utf-8', body: await readFile(join(DIR, 'admin.js'), 'utf8') },
  };
  for (const [name, file] of Object.entries(files)) {
    server.get(`/assets/${name}`, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(file.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(file.body),
    );
  }
};
