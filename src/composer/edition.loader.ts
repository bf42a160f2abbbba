/**
 * Reading an edition (YAML or JSON) and reporting every problem by path and line, including
 * links inside Markdown that the renderer would refuse (docs/architecture.md, invariants 6 and 7).
 */
import { readFile } from 'node:fs/promises';
import { Edition } from '../domain/edition.schema.ts';
import { type InputProblem, ValidationError } from '../domain/errors.ts';
import { linkProblem } from '../domain/link.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { zodProblems } from '../domain/zod-problems.ts';
import { createMarkdown, type MarkdownRenderer } from './markdown.ts';
import { loadNewsletter, NewsletterNotFoundError } from './newsletter.loader.ts';
import { capProblems, parsePath, parseYamlSource, type YamlSource } from './yaml-source.ts';

/** An edition with the newsletter it names. */
export interface LoadedEdition {
  edition: Edition;
  newsletter: Newsletter;
  /** The file it came from. */
  source: string;
}

/**
 * An edition file's text. A missing or unreadable file is the same `edition_invalid` error as a
 * bad one, naming the file.
 */
export async function readEditionText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ValidationError('edition_invalid', file, [{ path: '', message: reason }]);
  }
}

/**
 * Reads, validates and resolves an edition file. Nothing is written anywhere.
 * @param opts.newsletterDirs folders searched for `<id>.yaml`, in order (see `newsletterDirs`)
 * @throws ValidationError (`edition_invalid`) with every problem, each with its line
 */
export async function loadEdition(file: string, opts: { newsletterDirs: string[] }): Promise<LoadedEdition> {
  const text = await readEditionText(file);
  const src = parseYamlSource(text, file, 'edition_invalid');
  const edition = validate(src.value, file, src);
  try {
    const newsletter = await loadNewsletter(edition.newsletter, { dirs: opts.newsletterDirs });
    return { edition, newsletter, source: file };
  } catch (err) {
    if (!(err instanceof NewsletterNotFoundError)) throw err;
    throw new ValidationError('edition_invalid', file, [
      { path: 'newsletter', message: err.message, line: src.lineOf(['newsletter']) },
    ]);
  }
}

/**
 * Validates edition text (YAML or JSON) without touching the file system.
 * @throws ValidationError (`edition_invalid`) with every problem, each with its line
 */
export function parseEditionText(text: string, source = 'edition'): Edition {
  const src = parseYamlSource(text, source, 'edition_invalid');
  return validate(src.value, source, src);
}

/**
 * Validates an already-parsed edition (an HTTP body): the schema plus the links inside Markdown.
 * @throws ValidationError (`edition_invalid`) with every problem
 */
export function parseEdition(value: unknown, source = 'edition'): Edition {
  return validate(value, source, undefined);
}

function validate(value: unknown, source: string, src: YamlSource | undefined): Edition {
  if (value === null || value === undefined) {
    throw new ValidationError('edition_invalid', source, [{ path: '', message: 'the edition is empty' }]);
  }
  const parsed = Edition.safeParse(value);
  const problems: (InputProblem & { needle?: string })[] = [
    ...(parsed.success ? [] : zodProblems(parsed.error, Edition)),
    ...markdownLinkProblems(value, createMarkdown()),
  ];
  if (problems.length === 0 && parsed.success) return parsed.data;
  const located = problems
    .map(({ needle, ...p }) => ({ ...p, line: src?.lineOf(parsePath(p.path), needle) }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new ValidationError('edition_invalid', source, capProblems(located));
}

/**
 * Links the Markdown renderer would refuse, checked on the raw value so they are reported
 * alongside schema problems rather than after them are fixed.
 */
function markdownLinkProblems(value: unknown, md: MarkdownRenderer): (InputProblem & { needle: string })[] {
  const problems: (InputProblem & { needle: string })[] = [];
  const check = (text: unknown, path: string) => {
    if (typeof text !== 'string') return;
    for (const href of md.rejectedLinks(text)) {
      // markdown-it percent-encodes targets; show the editor what they typed.
      const typed = safeDecodeUri(href);
      problems.push({ path, message: `link "${typed}": ${linkProblem(typed)}`, needle: typed });
    }
  };
  const v = asRecord(value);
  asArray(v?.watching).forEach((story, i) => check(asRecord(story)?.body, `watching[${i}].body`));
  asArray(v?.moreForYou).forEach((item, i) => check(asRecord(item)?.teaser, `moreForYou[${i}].teaser`));
  check(asRecord(v?.sponsor)?.body, 'sponsor.body');
  return problems;
}

function safeDecodeUri(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
