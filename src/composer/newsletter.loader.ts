/**
 * Finding and reading a newsletter definition, `newsletters/<id>.yaml`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NewsdeskError, ValidationError } from '../domain/errors.ts';
import { Newsletter } from '../domain/newsletter.schema.ts';
import { zodProblems } from '../domain/zod-problems.ts';
import { PACKAGE_NEWSLETTERS_DIR } from '../package-dir.ts';
import { capProblems, parsePath, parseYamlSource } from './yaml-source.ts';

/** No `<id>.yaml` in any of the folders searched. */
export class NewsletterNotFoundError extends NewsdeskError {
  constructor(
    readonly id: string,
    readonly dirs: string[],
  ) {
    super('newsletter_not_found', `unknown newsletter "${id}": no ${id}.yaml in ${dirs.join(' or ')}`);
  }
}

/**
 * Where newsletters are looked up, in order: the configured folder (relative to `cwd`), then the
 * package's own `newsletters/`, so `npx newsdesk` works from any folder.
 */
export function newsletterDirs(newslettersDir: string, cwd: string = process.cwd()): string[] {
  const dirs = [resolve(cwd, newslettersDir), resolve(PACKAGE_NEWSLETTERS_DIR)];
  return [...new Set(dirs)];
}

/** The newsletter ids (`<id>.yaml`) found in `dirs`, sorted: the dashboard's choices. */
export async function newsletterIds(dirs: string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) if (/^[a-z0-9][a-z0-9-]{0,62}\.yaml$/.test(n)) ids.add(n.slice(0, -5));
  }
  return [...ids].sort();
}

/**
 * Reads the first `<id>.yaml` found in `dirs`.
 * @throws NewsletterNotFoundError when no folder has it
 * @throws ValidationError naming each bad field and its line
 */
export async function loadNewsletter(id: string, opts: { dirs: string[] }): Promise<Newsletter> {
  for (const dir of opts.dirs) {
    const file = join(dir, `${id}.yaml`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    return parseNewsletterText(text, file, id);
  }
  throw new NewsletterNotFoundError(id, opts.dirs);
}

/**
 * Parses a newsletter definition; `expectedId` (the file name) must match its `id`.
 * @throws ValidationError naming each bad field and its line
 */
export function parseNewsletterText(text: string, source: string, expectedId?: string): Newsletter {
  const src = parseYamlSource(text, source, 'newsletter_invalid');
  const parsed = Newsletter.safeParse(src.value);
  const problems = parsed.success ? [] : zodProblems(parsed.error, Newsletter);
  if (parsed.success && expectedId !== undefined && parsed.data.id !== expectedId) {
    problems.push({ path: 'id', message: `must match the file name (${expectedId})` });
  }
  if (problems.length > 0 || !parsed.success) {
    const located = problems.map((p) => ({ ...p, line: src.lineOf(parsePath(p.path)) }));
    throw new ValidationError('newsletter_invalid', source, capProblems(located));
  }
  return parsed.data;
}
