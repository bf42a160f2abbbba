/**
 * Checks a compiled edition for what hurts in an inbox: Gmail's clipping size, images without
 * alt text or over plain http, a missing preview line, a subject that gets cut, an unlabelled ad.
 * Errors stop a send; warnings are worth a look.
 */
import type { CompiledEmail, Recipient } from '../domain/compiled-email.ts';
import { EDITOR_TOKEN, type Edition } from '../domain/edition.schema.ts';
import { NO_NAME_READER } from '../domain/preview-reader.ts';
import { personalize } from './personalize.ts';

/** Gmail clips an HTML body longer than this ("[Message clipped]"), hiding the footer and unsubscribe link. */
export const GMAIL_CLIP_BYTES = 102_400;
/** Above this the lint warns: the next edition with one more story may clip. */
export const HTML_WARN_BYTES = 90 * 1024;
/** Inboxes cut subjects around here, phones sooner. */
export const SUBJECT_MAX_CHARS = 90;

export type LintCode =
  | 'html_too_large'
  | 'html_large'
  | 'image_alt_missing'
  | 'image_not_https'
  | 'preheader_missing'
  | 'subject_too_long'
  | 'sponsor_label_missing'
  | 'personalization_fallback';

/** One finding. `path` names the edition field when there is one (`watching[0].image.src`). */
export interface LintItem {
  code: LintCode;
  message: string;
  path?: string;
}

export interface LintReport {
  /** True when there are no errors (warnings allowed). */
  ok: boolean;
  errors: LintItem[];
  warnings: LintItem[];
  /** UTF-8 size of the HTML personalized for {@link LONG_RECIPIENT}. */
  htmlBytes: number;
}

/**
 * A recipient at the long end of real ones, so the size measured is what the biggest copy
 * weighs: every slot is filled with about as much as it will ever hold.
 */
export const LONG_RECIPIENT: Recipient = {
  email: `${'firstname.middlename.lastname'.padEnd(64, 'x')}@${'mail.subdomain.example-university'.padEnd(60, 'x')}.edu`,
  name: 'Maximiliana-Alexandrina Featherstonehaugh',
  unsubscribeUrl: `https://newsletters.example-publisher.com/u/${'A'.repeat(180)}`,
  viewUrl: `https://newsletters.example-publisher.com/v/${'B'.repeat(180)}`,
};

export interface LintOptions {
  /** Whose copy to measure. Default: {@link LONG_RECIPIENT}. */
  sample?: Recipient;
}

/** Lints a compiled edition (and the edition it came from, for field paths). */
export function lint(compiled: CompiledEmail, edition: Edition, opts: LintOptions = {}): LintReport {
  const errors: LintItem[] = [];
  const warnings: LintItem[] = [];
  const copy = personalize(compiled, opts.sample ?? LONG_RECIPIENT);
  const htmlBytes = Buffer.byteLength(copy.html, 'utf8');
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

  if (htmlBytes > GMAIL_CLIP_BYTES) {
    errors.push({
      code: 'html_too_large',
      message: `HTML is ${kb(htmlBytes)} (${htmlBytes} bytes); Gmail clips above ${GMAIL_CLIP_BYTES} bytes, hiding the footer and unsubscribe link`,
    });
  } else if (htmlBytes > HTML_WARN_BYTES) {
    warnings.push({
      code: 'html_large',
      message: `HTML is ${kb(htmlBytes)} (${htmlBytes} bytes), close to Gmail's clipping limit of ${GMAIL_CLIP_BYTES} bytes`,
    });
  }

  const imagePaths = editionImagePaths(edition);
  for (const img of imagesIn(copy.html)) {
    const path = img.src === undefined ? undefined : imagePaths.get(img.src);
    // Without a field to point at (a template's own image), name the image by its address.
    const which = path ? '' : ` (${img.src ?? 'image without src'})`;
    if (!img.alt?.trim()) {
      errors.push(item('image_alt_missing', `image has no alt text${which}`, path?.replace(/src$/, 'alt')));
    }
    if (img.src !== undefined && !/^https:/i.test(img.src) && !/^(data|cid):/i.test(img.src)) {
      warnings.push(item('image_not_https', `image is not served over https, so some clients block it or warn${which}`, path));
    }
  }

  if (!edition.preheader) {
    warnings.push(item('preheader_missing', 'no preheader: the inbox preview will show the first words of the email instead', 'preheader'));
  }
  const subjectChars = [...copy.subject].length;
  if (subjectChars > SUBJECT_MAX_CHARS) {
    warnings.push(item('subject_too_long', `subject is ${subjectChars} characters; inboxes cut it after about ${SUBJECT_MAX_CHARS}`, 'subject'));
  }

  warnings.push(...fallbackWarnings(compiled, edition));

  if (edition.sponsor) {
    if (!edition.sponsor.label) {
      errors.push(item('sponsor_label_missing', 'sponsor has no label: say who is paying ("Presented by …")', 'sponsor.label'));
    }
    if (!/\bsponsored\b/i.test(visibleText(copy.html))) {
      errors.push(item('sponsor_label_missing', 'the template shows no visible "Sponsored" label for the sponsor block', 'sponsor'));
    }
  }

  return { ok: errors.length === 0, errors, warnings, htmlBytes };
}

/**
 * The subject and preheader show in the inbox before anything else, and a reader without a name
 * gets the newsletter's fallback word there ("there, the bridge closes tonight"): say so, with
 * the line as they will see it.
 */
function fallbackWarnings(compiled: CompiledEmail, edition: Edition): LintItem[] {
  const usesFirstName = (text: string | undefined) => [...(text ?? '').matchAll(EDITOR_TOKEN)].some((m) => m[1] === 'firstName');
  const warnings: LintItem[] = [];
  const noName = { ...NO_NAME_READER, unsubscribeUrl: '', viewUrl: '' };
  if (usesFirstName(edition.subject)) {
    const seen = personalize(compiled, noName).subject;
    warnings.push(item('personalization_fallback', `subject uses {{firstName}}, which readers without a name lack; they see "${seen}"`, 'subject'));
  }
  if (usesFirstName(edition.preheader)) {
    const seen = (edition.preheader ?? '').replace(EDITOR_TOKEN, (whole, name: string) => (name === 'firstName' ? compiled.greetingFallback : whole));
    warnings.push(item('personalization_fallback', `preheader uses {{firstName}}, which readers without a name lack; they see "${seen}"`, 'preheader'));
  }
  return warnings;
}

function item(code: LintCode, message: string, path: string | undefined): LintItem {
  return path ? { code, message, path } : { code, message };
}

/** Image address → the edition field it came from, so findings name the field to fix. */
function editionImagePaths(edition: Edition): Map<string, string> {
  const paths = new Map<string, string>();
  edition.watching.forEach((s, i) => s.image && paths.set(s.image.src, `watching[${i}].image.src`));
  edition.moreForYou.forEach((m, i) => m.image && paths.set(m.image.src, `moreForYou[${i}].image.src`));
  if (edition.sponsor?.image) paths.set(edition.sponsor.image.src, 'sponsor.image.src');
  return paths;
}

/** Every `<img>` in the HTML with its decoded src and alt (undefined when the attribute is absent). */
function imagesIn(html: string): { src: string | undefined; alt: string | undefined }[] {
  return [...html.matchAll(/<img\b[^>]*>/gi)].map(([tag]) => ({ src: attr(tag, 'src'), alt: attr(tag, 'alt') }));
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}(?:\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+)))?(?=[\\s/>])`, 'i').exec(tag);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '');
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[e.toLowerCase()] ?? whole;
  });
}

/** The body's text as a reader sees it, roughly: no head, no hidden preview, no tags. */
function visibleText(html: string): string {
  return html
    .replace(/<head\b[\s\S]*?<\/head>/i, '')
    .replace(/<div[^>]*display:\s*none[^>]*>[\s\S]*?<\/div>/gi, '')
    .replace(/<[^>]+>/g, ' ');
}

/** Lint errors as problems, so a refused campaign names each field like any bad input. */
export function lintProblems(report: LintReport): { path: string; message: string }[] {
  return report.errors.map((e) => ({ path: e.path ?? '', message: `${e.code}: ${e.message}` }));
}
