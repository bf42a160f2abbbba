/**
 * An edition file to a compiled, linted email: the one path `compose`, `campaign create` and the
 * editors' API all take, so what an editor previews is what gets sent.
 */
import { loadEdition, parseEdition, parseEditionText } from './edition.loader.ts';
import { lint, type LintReport } from './lint.ts';
import type { CompiledEmail } from '../domain/compiled-email.ts';
import type { Edition } from '../domain/edition.schema.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { ValidationError } from '../domain/errors.ts';
import { loadNewsletter, NewsletterNotFoundError } from './newsletter.loader.ts';
import type { TemplateCache } from './templates.ts';

export interface ComposedEdition {
  edition: Edition;
  newsletter: Newsletter;
  compiled: CompiledEmail;
  report: LintReport;
}

/**
 * Loads, validates, compiles (MJML once) and lints an edition file.
 * @throws ValidationError naming every problem with its field and line.
 */
export async function composeEditionFile(file: string, opts: { newsletterDirs: string[] }): Promise<ComposedEdition> {
  const { edition, newsletter } = await loadEdition(file, opts);
  // Loaded on first use: MJML and its dependencies add ~30 MB to a process, and the commands that
  // share this module's importers (workers above all) never compile.
  const { compile } = await import('./compile.ts');
  const compiled = await compile(edition, newsletter);
  return { edition, newsletter, compiled, report: lint(compiled, edition) };
}

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
  // MJML loads on first use (see composeEditionFile).
  const { compile } = await import('./compile.ts');
  const compiled = await compile(edition, newsletter, { templates: opts.templates });
  return { edition, newsletter, compiled, report: lint(compiled, edition) };
}
