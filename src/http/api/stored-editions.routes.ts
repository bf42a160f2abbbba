/**
 * `/api/editions/<newsletter>/<date>`: stored, versioned editions (README.md, "Stored editions"),
 * what `newsdesk editions save|show|ls|approve|delete` does. Unsent editions are unpublished copy, so
 * these routes need an `editor` or `admin` token (the `editions` access area); `read` sees none.
 * The service writes the audit entries (who saved, who approved).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { Newsletter } from '../../domain/newsletter.schema.ts';
import { editionIdOf, type StoredEdition } from '../../domain/stored-edition.ts';
import { actorOf } from '../audit.ts';
import { EditionBody } from './editions.routes.ts';

export interface StoredEditionRoutesOptions {
  app: App;
}

const EditionParams = z.strictObject({
  newsletter: Newsletter.shape.id,
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2025-02-13'),
});

const ListQuery = z.strictObject({
  newsletter: Newsletter.shape.id.optional().describe('only this newsletter\'s editions'),
  limit: z.coerce.number().int().min(1).max(1000).default(1000).describe('at most this many (default and most 1000)'),
  offset: z.coerce.number().int().min(0).default(0).describe('skip this many of the newest first (the `x-total-count` header says how many there are)'),
});
const ShowQuery = z.strictObject({ revision: z.coerce.number().int().min(1).optional().describe('that revision instead of the latest') });
/** `?force=true|false`, saying what forcing does here. */
const forceQuery = (what: string) => z.strictObject({ force: z.enum(['true', 'false']).transform((v) => v === 'true').optional().describe(what) });
const SaveQuery = forceQuery('store a change to an edition that was already sent (it stays sent; nobody is mailed it)');
const DeleteQuery = forceQuery('cancel the draft campaigns made of it first');

/** An edition as listed: everything but its text. */
function summary(e: StoredEdition): Omit<StoredEdition, 'source'> {
  const { source: _source, ...rest } = e;
  return rest;
}

export const storedEditionRoutes: FastifyPluginAsync<StoredEditionRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const config = { access: 'editions' as const };
  const by = (req: Parameters<typeof actorOf>[0]) => actorOf(req) ?? 'api:unknown';

  server.get(
    '/editions',
    {
      config,
      schema: { tags: ['editions'], summary: 'Stored editions, newest date first (the latest revision of each, without its text), a page at a time; `x-total-count` says how many in all', querystring: ListQuery },
    },
    async (req, reply) => {
      const { editions, total } = await app.editions.list(req.query);
      reply.header('x-total-count', String(total));
      return editions.map(summary);
    },
  );

  server.put(
    '/editions/:newsletter/:date',
    {
      config,
      schema: {
        tags: ['editions'],
        summary: 'Store an edition as its next revision (201 for a new edition); the same text adds nothing (`changed: false`)',
        description:
          'The body is the edition (YAML or JSON text, or a JSON object); its `newsletter` and `date` must be the URL\'s (else 400 `edition_mismatch`). ' +
          'A bad edition is a 400 naming each field; lint errors do not stop a save, only an approval. Saving a change to an approved edition makes it a draft again; ' +
          'a sent edition is a 409 unless `?force=true`. Nothing is written on any error.',
        params: EditionParams,
        querystring: SaveQuery,
        body: EditionBody,
      },
    },
    async (req, reply) => {
      // A JSON object is kept as JSON text, so what is stored is what a GET gives back.
      const source = typeof req.body === 'string' ? req.body : `${JSON.stringify(req.body, null, 2)}\n`;
      const r = await app.editions.save(source, by(req), { expect: req.params, force: req.query.force, label: 'body' });
      req.log.info({ edition: r.edition.id, revision: r.edition.revision, changed: r.changed, token: req.apiToken?.name }, 'edition saved');
      const created = r.changed && r.edition.revision === 1;
      return reply.code(created ? 201 : 200).send({ ...r.edition, changed: r.changed, lint: r.lint, ...(r.warning ? { warning: r.warning } : {}) });
    },
  );

  server.get(
    '/editions/:newsletter/:date',
    {
      config,
      schema: {
        tags: ['editions'],
        summary: 'A stored edition (the latest revision, or `?revision=N`) with its text and every revision (when, by whom)',
        params: EditionParams,
        querystring: ShowQuery,
      },
    },
    async (req) => {
      const id = editionIdOf(req.params.newsletter, req.params.date);
      const edition = await app.editions.require(id, { revision: req.query.revision });
      return { ...edition, revisions: await app.editions.revisions(id) };
    },
  );

  server.post(
    '/editions/:newsletter/:date/approve',
    {
      config,
      schema: {
        tags: ['editions'],
        summary: 'Approve the latest revision, so a campaign may send it',
        description:
          'A 400 (`edition_lint_failed`) names each lint error; a 409 when it was sent (`edition_state`) or when the newsletter wants two people and this token saved the latest revision (`edition_two_person`). ' +
          'An approved edition stays as it is.',
        params: EditionParams,
      },
    },
    async (req) => summary(await app.editions.approve(editionIdOf(req.params.newsletter, req.params.date), by(req))),
  );

  server.delete(
    '/editions/:newsletter/:date',
    {
      config,
      schema: {
        tags: ['editions'],
        summary: 'Delete an edition that was never sent, with every revision',
        description:
          'Answers `{ deleted, state, revisions, cancelled }`. A sent edition stays (409 `edition_state`): its campaigns, the archive and the reports refer to it. ' +
          'A 409 `edition_in_use` names the draft campaigns made of it; `?force=true` cancels them first (listed in `cancelled`). ' +
          'A 409 `edition_sending` while a campaign of it is being made or started (try again). Nothing is changed on any error.',
        params: EditionParams,
        querystring: DeleteQuery,
      },
    },
    async (req) => {
      const r = await app.editions.delete(editionIdOf(req.params.newsletter, req.params.date), by(req), { force: req.query.force });
      req.log.info({ edition: r.deleted, cancelled: r.cancelled, token: req.apiToken?.name }, 'edition deleted');
      return r;
    },
  );
};
