/**
 * An edition handed over HTTP (pasted YAML, an uploaded file, a JSON body) to a compiled, linted
 * email: the same steps as `composeEditionFile`, from text or a value instead of a path, so the
 * API and the dashboard preview exactly what `campaign create` would send.
 */
import { parseEdition, parseEditionText } from '../composer/edition.loader.ts';
import { lint, type LintReport } from '../composer/lint.ts';
import { loadNewsletter, NewsletterNotFoundError } from '../composer/newsletter.loader.ts';
import { personalize } from '../composer/personalize.ts';
import type { TemplateCache } from '../composer/templates.ts';
import type { CompiledEmail, PersonalizedEmail } from '../domain/compiled-email.ts';
import type { Edition } from '../domain/edition.schema.ts';
import { ValidationError } from '../domain/errors.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { inertRecipient } from '../domain/links.ts';
import { type FindSubscriber, type PreviewReader, resolvePreviewReader } from '../domain/preview-reader.ts';

export interface ComposedInput {
  edition: Edition;
  newsletter: Newsletter;
  compiled: CompiledEmail;
  report: LintReport;
}

export interface ComposeInputOptions {
  newsletterDirs: string[];
  /** Reused across requests so templates are read and compiled once per process. */
  templates: TemplateCache;
  /** Names the input in problems, e.g. `edition`. */
  source?: string;
}

/**
 * Validates (every problem with its field, and its line for text), compiles once and lints.
 * @param input YAML or JSON text, or an already parsed value.
 * @throws ValidationError (`edition_invalid`)
 */
export async function composeEditionInput(input: unknown, opts: ComposeInputOptions): Promise<ComposedInput> {
  const source = opts.source ?? 'edition';
  const edition = typeof input === 'string' ? parseEditionText(input, source) : parseEdition(input, source);
  let newsletter: Newsletter;
  try {
    newsletter = await loadNewsletter(edition.newsletter, { dirs: opts.newsletterDirs });
  } catch (err) {
    if (!(err instanceof NewsletterNotFoundError)) throw err;
    throw new ValidationError('edition_invalid', source, [{ path: 'newsletter', message: err.message }]);
  }
  // MJML loads on first use (see compose-edition.ts).
  const { compile } = await import('../composer/compile.ts');
  const compiled = await compile(edition, newsletter, { templates: opts.templates });
  return { edition, newsletter, compiled, report: lint(compiled, edition) };
}


/**
 * The copy `as` would get (a subscriber's address, `no-name`, or the sample reader when absent),
 * with the same inert links as the sample.
 * @throws NewsdeskError `preview_reader_unknown` for an address no subscriber has
 */
export async function copyAs(
  compiled: CompiledEmail,
  publicUrl: string,
  as: string | undefined,
  find: FindSubscriber,
): Promise<{ reader: PreviewReader; copy: PersonalizedEmail }> {
  const reader = await resolvePreviewReader(as, find);
  return { reader, copy: personalize(compiled, inertRecipient(publicUrl, { email: reader.email, name: reader.name })) };
}
