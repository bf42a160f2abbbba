/**
 * Loading a template folder (`templates/<name>/`): an MJML layout, its section partials and a
 * plain-text template, compiled by a Handlebars instance of their own so two template folders
 * never see each other's partials or helpers.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { NewsdeskError } from '../domain/errors.ts';
import { createMarkdown, type LinkMapper } from './markdown.ts';

/** What a template folder holds, compiled and ready to render many times. */
export interface TemplateSet {
  dir: string;
  /** Renders the MJML document (Handlebars escapes every `{{value}}` for HTML). */
  layout: Handlebars.TemplateDelegate;
  /** Renders the plain-text part (no HTML escaping: it is not HTML). */
  text: Handlebars.TemplateDelegate;
}

/** Compiled template folders by path, so compiling many editions reads and parses them once. */
export interface TemplateCache {
  /** The folder's templates, loaded on first use. */
  get(dir: string): Promise<TemplateSet>;
}

/** A cache of template folders. One per process is typical; it never expires. */
export function createTemplateCache(): TemplateCache {
  const sets = new Map<string, Promise<TemplateSet>>();
  return {
    get(dir) {
      let set = sets.get(dir);
      if (!set) {
        set = loadTemplateSet(dir);
        // A folder that failed to load is retried next time instead of failing forever.
        set.catch(() => sets.delete(dir));
        sets.set(dir, set);
      }
      return set;
    },
  };
}

const LAYOUT = 'layout.mjml.hbs';
const TEXT = 'text.txt.hbs';
const PARTIALS = 'partials';
const PARTIAL_SUFFIX = '.mjml.hbs';

/** Preview filler: zero-width characters that keep inbox previews from running into the body. */
const PREHEADER_FILLER = '&#847;&zwnj;&nbsp;'.repeat(90);

/**
 * Reads and compiles one template folder.
 * @throws NewsdeskError (`template_missing`) when a required file is absent
 */
export async function loadTemplateSet(dir: string): Promise<TemplateSet> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NewsdeskError('template_missing', `template file missing: ${join(dir, name)}`);
      }
      throw err;
    }
  };
  const hb = Handlebars.create();
  const md = createMarkdown();
  // The render context may carry `linkMapper(item)`: the compiler's hook to mark each item's links.
  const mapperFor = (item: unknown, options: Handlebars.HelperOptions | undefined): LinkMapper | undefined =>
    (options?.data?.root as { linkMapper?: (item: unknown) => LinkMapper | undefined } | undefined)?.linkMapper?.(item);
  hb.registerHelper('markdown', function (this: unknown, src: unknown, options?: Handlebars.HelperOptions) {
    return new hb.SafeString(md.html(String(src ?? ''), mapperFor(this, options)));
  });
  hb.registerHelper('markdownInline', function (this: unknown, src: unknown, options?: Handlebars.HelperOptions) {
    return new hb.SafeString(md.inlineHtml(String(src ?? ''), mapperFor(this, options)));
  });
  hb.registerHelper('markdownText', function (this: unknown, src: unknown, options?: Handlebars.HelperOptions) {
    return md.text(String(src ?? ''), mapperFor(this, options));
  });
  hb.registerHelper('preheaderFiller', () => new hb.SafeString(PREHEADER_FILLER));
  hb.registerHelper('lighten', (hex: unknown) => lighten(String(hex)));

  const partialFiles = (await readdir(join(dir, PARTIALS)).catch(() => [] as string[])).filter((f) => f.endsWith(PARTIAL_SUFFIX));
  for (const file of partialFiles) {
    hb.registerPartial(file.slice(0, -PARTIAL_SUFFIX.length), await read(join(PARTIALS, file)));
  }
  // strict: a misspelt field in a template is an error at render time, not a silently empty slot.
  const layout = hb.compile(await read(LAYOUT), { strict: true });
  const text = hb.compile(await read(TEXT), { strict: true, noEscape: true });
  return { dir, layout, text };
}

/** `#rrggbb` mixed halfway with white: the brand accent made readable on a dark background. */
export function lighten(hex: string, amount = 0.45): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  const channel = (h: string) => Math.round(parseInt(h, 16) + (255 - parseInt(h, 16)) * amount);
  return `#${[m[1], m[2], m[3]].map((h) => channel(h as string).toString(16).padStart(2, '0')).join('')}`;
}
