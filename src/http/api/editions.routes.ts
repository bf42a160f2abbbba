/**
 * `/api/editions`: check an edition (every problem with its field) and render a preview with the
 * lint report. Nothing is stored. The body is the edition: a JSON object, or YAML/JSON text
 * (`application/yaml`, `text/yaml` or `text/plain`), so problems can name their line.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { NO_NAME } from '../../domain/preview-reader.ts';
import { composeEditionInput, copyAs } from '../edition-input.ts';

export interface EditionRoutesOptions {
  app: App;
  newsletterDirs: string[];
  templates: TemplateCache;
}

/** An edition as sent: text (YAML or JSON) or a parsed object. Its own schema runs next, with lines. */
export const EditionBody = z
  .union([z.string().min(1, 'the edition is empty'), z.record(z.string(), z.unknown())], { error: 'must be an edition: YAML/JSON text or a JSON object' })
  .describe('The edition (see examples/editions/2025-02-13.yaml): a JSON object, or YAML/JSON text.');

const PreviewQuery = z.strictObject({
  /** `json` (default): subject, html, text and the lint report; `html`: the HTML page itself. */
  format: z.enum(['json', 'html']).default('json'),
  /** Whose copy: a subscriber's address, `no-name` (a reader without a name); default the sample reader. */
  as: z.string().trim().min(1).max(320).optional().describe(`a subscriber's address, or "${NO_NAME}" for a reader without a name; default the sample reader`),
});

export const editionRoutes: FastifyPluginAsync<EditionRoutesOptions> = async (instance, opts) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const compose = (input: unknown) => composeEditionInput(input, { newsletterDirs: opts.newsletterDirs, templates: opts.templates });

  server.post(
    '/editions/validate',
    {
      schema: {
        tags: ['editions'],
        summary: 'Check an edition: 400 names every problem (field and line); 200 gives the lint report',
        body: EditionBody,
      },
    },
    async (req) => {
      const { edition, report } = await compose(req.body);
      return { valid: true, sendable: report.ok, newsletter: edition.newsletter, date: edition.date, subject: edition.subject, lint: report };
    },
  );

  server.post(
    '/editions/preview',
    {
      schema: {
        tags: ['editions'],
        summary: 'Render an edition for the sample reader, a subscriber (`?as=<address>`) or a reader with no name (`?as=no-name`), with the lint report',
        body: EditionBody,
        querystring: PreviewQuery,
      },
    },
    async (req, reply) => {
      const { edition, compiled, report } = await compose(req.body);
      const { reader, copy } = await copyAs(compiled, opts.app.config.publicUrl, req.query.as, (email) => opts.app.stores.subscribers.findByEmail(email));
      if (req.query.format === 'html') {
        // Editor content is escaped by the composer; the preview still runs no script.
        return reply.header('content-security-policy', "script-src 'none'; base-uri 'none'; form-action 'none'").type('text/html; charset=utf-8').send(copy.html);
      }
      return {
        newsletter: edition.newsletter,
        date: edition.date,
        reader: { email: reader.email, name: reader.name ?? null, label: reader.label },
        subject: copy.subject,
        html: copy.html,
        text: copy.text,
        lint: report,
      };
    },
  );
};
