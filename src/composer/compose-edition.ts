/**
 * An edition file to a compiled, linted email: the one path `compose`, `campaign create` and the
 * editors' API all take, so what an editor previews is what gets sent.
 */
import { loadEdition } from './edition.loader.ts';
import { lint, type LintReport } from './lint.ts';
import type { CompiledEmail } from '../domain/compiled-email.ts';
import type { Edition } from '../domain/edition.schema.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';

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
