/**
 * The dashboard's stylesheet and scripts, read once at start: plain files, no build step. The
 * report pages' charts use Chart.js from the app's own dependencies, served from here (no CDN).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { PACKAGE_DIR } from '../../package-dir.ts';

const DIR = join(PACKAGE_DIR, 'src/http/admin/assets');
/** Chart.js's self-contained browser build (it defines `window.Chart`). */
const CHART_JS = createRequire(import.meta.url).resolve('chart.js').replace(/chart\.(c?js|mjs)$/, 'chart.umd.min.js');

export const adminAssets: FastifyPluginAsync = async (server) => {
  const files = {
    'admin.css': { type: 'text/css; charset=utf-8', body: await readFile(join(DIR, 'admin.css'), 'utf8') },
    'admin.js': { type: 'text/javascript; charset=utf-8', body: await readFile(join(DIR, 'admin.js'), 'utf8') },
    'editor.js': { type: 'text/javascript; charset=utf-8', body: await readFile(join(DIR, 'editor.js'), 'utf8') },
    'report.js': { type: 'text/javascript; charset=utf-8', body: await readFile(join(DIR, 'report.js'), 'utf8') },
    'chart.js': { type: 'text/javascript; charset=utf-8', body: await readFile(CHART_JS, 'utf8') },
  };
  for (const [name, file] of Object.entries(files)) {
    server.get(`/assets/${name}`, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(file.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(file.body),
    );
  }
};
