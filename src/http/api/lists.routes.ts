/**
 * `/api/lists`: create, read, rename and delete lists; import a CSV into one (the same import and
 * summary as `newsdesk subscribers import`); export its members as CSV.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { type InputProblem, NewsdeskError, ValidationError } from '../../domain/errors.ts';
import { ListChanges, ListId, ListInput } from '../../domain/list.schema.ts';
import { exportCsv } from '../../store/csv-export.ts';
import { importCsv } from '../../store/csv-import.ts';
import { CsvFormatError } from '../../store/csv-reader.ts';
import { audit } from '../audit.ts';

export interface ListRoutesOptions {
  app: App;
  /** Largest CSV accepted for an import. Default 512 MB (about five million rows). */
  maxImportBytes?: number;
}

const ListParams = z.strictObject({ id: ListId });
const ImportQuery = z.strictObject({
  /** Let the file's names and attributes replace existing subscribers' (the CLI's --update). */
  update: z.stringbool().default(false),
});

/**
 * Writes the CSV of an import request to `path`: the body itself (text/csv), or the one `file`
 * part of a multipart form. Anything else in the form (a field, a second file) is refused once
 * the whole form is read and before the import reads a line, so a form that is not what it
 * seems changes nothing.
 */
async function receiveCsv(req: FastifyRequest, path: string, maxBytes: number): Promise<void> {
  const tooLarge = new ValidationError('request_invalid', 'upload', [{ path: 'file', message: `larger than ${maxBytes} bytes` }]);
  if (!req.isMultipart()) {
    if (!req.body || typeof (req.body as Readable).pipe !== 'function') {
      throw new ValidationError('request_invalid', 'upload', [{ path: 'file', message: 'required: send the CSV as text/csv or as a multipart "file" field' }]);
    }
    await pipeline(req.body as Readable, createWriteStream(path));
    return;
  }
  const problems: InputProblem[] = [];
  let received = false;
  try {
    for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1 } })) {
      if (part.type === 'file' && part.fieldname === 'file') {
        await pipeline(part.file, createWriteStream(path));
        if (part.file.truncated) throw tooLarge;
        received = true;
      } else {
        if (part.type === 'file') await pipeline(part.file, new Writable({ write: (_chunk, _enc, next) => next() }));
        problems.push({ path: part.fieldname, message: 'unknown field: the form takes one CSV file, as "file"' });
      }
    }
  } catch (err) {
    // The plugin stops at the second file; the first was this one, or a wrongly named one.
    if ((err as { code?: string }).code !== 'FST_FILES_LIMIT') throw err;
    problems.push({ path: 'file', message: 'one CSV file per import: the form has more' });
  }
  if (!received && !problems.length) problems.push({ path: 'file', message: 'required: a CSV file in the "file" field' });
  if (problems.length) throw new ValidationError('request_invalid', 'upload', problems);
}

export const listRoutes: FastifyPluginAsync<ListRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const { lists, subscribers } = app.stores;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const maxImportBytes = opts.maxImportBytes ?? 512 * 1024 * 1024;

  // The CSV body is streamed to a temporary file, never held in memory.
  server.addContentTypeParser(['text/csv', 'application/csv'], { bodyLimit: maxImportBytes }, (_req, payload, done) => done(null, payload));

  server.get('/lists', { schema: { tags: ['lists'], summary: 'Every list with its member count' } }, async () => lists.all());

  server.post('/lists', { schema: { tags: ['lists'], summary: 'Create a list', body: ListInput } }, async (req, reply) => {
    const list = await lists.create(req.body);
    await audit(app, req, { action: 'list.create', target: list.id, detail: { public: list.public, doubleOptIn: list.doubleOptIn } });
    return reply.code(201).send(list);
  });

  server.get('/lists/:id', { schema: { tags: ['lists'], summary: 'One list with its member count', params: ListParams } }, async (req) => {
    const list = await lists.require(req.params.id);
    return { ...list, members: await lists.countMembers(list.id) };
  });

  server.patch(
    '/lists/:id',
    {
      schema: {
        tags: ['lists'],
        summary: 'Rename a list, or open it to sign-ups through POST /subscribe ({ "public": true }) or close it',
        params: ListParams,
        body: ListChanges,
      },
    },
    async (req) => {
      const list = await lists.update(req.params.id, req.body);
      if (req.body.name !== undefined) await audit(app, req, { action: 'list.rename', target: list.id, detail: { name: list.name } });
      if (req.body.public !== undefined) await audit(app, req, { action: req.body.public ? 'list.publish' : 'list.unpublish', target: list.id });
      return list;
    },
  );

  server.delete('/lists/:id', { schema: { tags: ['lists'], summary: 'Delete a list and its memberships (subscribers stay)', params: ListParams } }, async (req) => {
    const members = await lists.countMembers((await lists.require(req.params.id)).id);
    await lists.delete(req.params.id);
    await audit(app, req, { action: 'list.delete', target: req.params.id, detail: { members } });
    return { deleted: req.params.id, members };
  });

  server.post(
    '/lists/:id/import',
    {
      bodyLimit: maxImportBytes,
      config: { upload: true },
      schema: {
        tags: ['lists'],
        summary: 'Import a CSV (header with "email", optional "name", other columns are attributes)',
        description:
          'Send the file as `text/csv`, or as the `file` field of a multipart form. The whole file is checked before anything is written; ' +
          'the answer is the same summary as `newsdesk subscribers import --json`.',
        params: ListParams,
        querystring: ImportQuery,
      },
    },
    async (req) => {
      await lists.require(req.params.id);
      const dir = await mkdtemp(join(tmpdir(), 'newsdesk-import-'));
      const file = join(dir, `${randomBytes(6).toString('hex')}.csv`);
      try {
        await receiveCsv(req, file, maxImportBytes);
        const started = performance.now();
        const summary = await importCsv(file, { listId: req.params.id, update: req.query.update }, { subscribers, lists });
        req.log.info({ list: req.params.id, rows: summary.rows, added: summary.added, ms: Math.round(performance.now() - started) }, 'csv import');
        await audit(app, req, { action: 'list.import', target: req.params.id, detail: { rows: summary.rows, added: summary.added, update: !!req.query.update } });
        return summary;
      } catch (err) {
        // The reader names the temporary file; the caller knows it as the upload.
        if (err instanceof CsvFormatError) throw new ValidationError('csv_malformed', 'upload', [{ path: 'file', line: err.line, message: err.reason }]);
        throw err;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  server.get(
    '/lists/:id/export',
    { schema: { tags: ['lists'], summary: "The list's members as CSV (formula-safe), as `newsdesk subscribers export`", params: ListParams } },
    async (req, reply) => {
      await lists.require(req.params.id);
      const out = new PassThrough();
      // Headers go out with the first row; a failure after that can only cut the download short.
      exportCsv(req.params.id, out, { subscribers, lists }).then(
        () => out.end(),
        (err: unknown) => {
          req.log.error({ err: String(err) }, 'export failed');
          out.destroy(err instanceof Error ? err : new NewsdeskError('export_failed', String(err)));
        },
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${req.params.id}.csv"`)
        .send(out);
    },
  );
};

