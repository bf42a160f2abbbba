import { z } from 'zod';
import { EDITOR_SLOTS } from './compiled-email.ts';
import { AssetUrl, Link } from './link.ts';

/**
 * Editor text may name a recipient value as `{{firstName}}`, `{{email}}`, `{{unsubscribeUrl}}`
 * or `{{viewUrl}}` (spaces inside the braces allowed); the composer turns each into a slot.
 * Anything else between double braces is a typo we report, so no `{{` reaches a reader.
 */
export const EDITOR_TOKEN = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

const TOKEN_LIST = EDITOR_SLOTS.map((t) => `{{${t}}}`).join(', ');

/** The problems with double braces in one piece of editor text, as messages. */
export function editorTokenProblems(text: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(EDITOR_TOKEN)) {
    if (!(EDITOR_SLOTS as readonly string[]).includes(m[1] as string)) {
      problems.push(`unknown personalization token ${m[0]}: use one of ${TOKEN_LIST}`);
    }
  }
  if (/\{\{|\}\}/.test(text.replace(EDITOR_TOKEN, ''))) {
    problems.push(`"{{" and "}}" are reserved for personalization tokens (${TOKEN_LIST})`);
  }
  return problems;
}

/**
 * Plain editor text (rendered escaped). Bounded so a runaway paste is an error, not a 10 MB email.
 * @param max longest allowed length in characters
 */
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'required')
    .max(max, `at most ${max} characters`)
    .superRefine((value, ctx) => {
      for (const message of editorTokenProblems(value)) ctx.addIssue({ code: 'custom', message });
    });

/** Markdown editor text: paragraphs, links, emphasis. Raw HTML is shown as text, never rendered. */
const markdown = (max: number) => text(max);

const NO_TOKENS_IN_URLS = 'personalization tokens are not allowed in links or image addresses';
const editorLink = Link.refine((u) => !/\{\{|\}\}/.test(u), NO_TOKENS_IN_URLS);
const imageUrl = AssetUrl.refine((u) => !/\{\{|\}\}/.test(u), NO_TOKENS_IN_URLS);

/** A calendar date as YYYY-MM-DD that really exists (no 2025-02-30). */
export const EditionDate = z.string().superRefine((d, ctx) => {
  // One message per bad date: the shape first, then whether the day exists.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) ctx.addIssue({ code: 'custom', message: 'must be a date like 2025-02-13' });
  else if (!isCalendarDay(d)) ctx.addIssue({ code: 'custom', message: 'is not a calendar date' });
});

function isCalendarDay(d: string): boolean {
  const day = new Date(`${d}T00:00:00Z`);
  // Date rolls 2025-02-30 over to March; an impossible month gives an invalid date.
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(d);
}

/** A photo with what readers (and screen readers) need: alt text always, caption and credit when known. */
export const EditionImage = z.strictObject(
  {
    src: imageUrl,
    alt: text(300),
    caption: text(600).optional(),
    credit: text(200).optional(),
  },
  {
    // `image: https://…` is the usual first try; show the shape that works.
    error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? 'image needs src and alt: image: { src: https://…, alt: "what the photo shows" }' : undefined),
  },
);
export type EditionImage = z.infer<typeof EditionImage>;

/** A "What We're Watching" lead story. */
export const WatchingStory = z.strictObject({
  headline: text(200),
  image: EditionImage.optional(),
  /** Markdown. */
  body: markdown(20_000),
  /** The "Read more" link. */
  link: editorLink.optional(),
  /** `false`: this story's links (its link and those in its body) go to their targets untracked. */
  track: z.boolean().optional(),
});
export type WatchingStory = z.infer<typeof WatchingStory>;

/** A "More For You" item; with `figure` it is a number-of-the-day item, the figure shown large. */
export const MoreForYouItem = z
  .strictObject({
    headline: text(200).optional(),
    /** "10,000". A bare YAML number (10000) is accepted and kept as written. */
    figure: z
      .union([z.number().transform(String), z.string()])
      .pipe(text(40))
      .optional(),
    /** Markdown, rendered inline (no paragraphs). */
    teaser: markdown(2_000).optional(),
    image: EditionImage.optional(),
    link: editorLink.optional(),
    /** `false`: this item's links go to their targets untracked. */
    track: z.boolean().optional(),
  })
  .superRefine((item, ctx) => {
    if (item.headline === undefined && item.figure === undefined) {
      ctx.addIssue({ code: 'custom', path: ['headline'], message: 'required (or give a figure)' });
    }
  });
export type MoreForYouItem = z.infer<typeof MoreForYouItem>;

/** Paid content. The template always marks it "Sponsored"; `label` names who paid ("Presented by …"). */
export const Sponsor = z.strictObject({
  /** Optional here so the lint can report its absence as an error with the rest of the report. */
  label: text(200).optional(),
  /** Markdown. */
  body: markdown(5_000),
  link: editorLink.optional(),
  image: EditionImage.optional(),
  /** `false`: the sponsor's links go to their targets untracked. */
  track: z.boolean().optional(),
});
export type Sponsor = z.infer<typeof Sponsor>;

/** One day's content for a newsletter: the editors' contract (field names are public). */
export const Edition = z.strictObject({
  /** Id of a newsletter defined in `newsletters/<id>.yaml`. */
  newsletter: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a newsletter id like daily'),
  date: EditionDate,
  /** Plain text, one line (it becomes a mail header). */
  subject: text(300).refine((s) => !/[\r\n]/.test(s), 'must be one line'),
  /** Inbox preview text; the lint warns when it is missing. */
  preheader: text(300).optional(),
  /** "What We're Watching": the lead stories, at least one. */
  watching: z.array(WatchingStory).min(1, 'needs at least one story').max(20, 'at most 20 stories'),
  moreForYou: z.array(MoreForYouItem).max(50, 'at most 50 items').default([]),
  sponsor: Sponsor.optional(),
});
export type Edition = z.infer<typeof Edition>;
