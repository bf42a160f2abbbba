import { z } from 'zod';

import { EmailLink } from './tracking.schema.ts';

/** The per-recipient values an editor may write into an edition as `{{name}}`. */
export const EDITOR_SLOTS = ['firstName', 'email', 'unsubscribeUrl', 'viewUrl'] as const;

/**
 * The per-recipient values a compiled email has slots for: the editor's, and `readerMark`, the
 * signed reader suffix after every tracked link in per-reader mode (see click-token.ts). The
 * composer renders everything else once per campaign (docs/architecture.md, invariant 1);
 * personalizing only fills these.
 */
export const SLOTS = [...EDITOR_SLOTS, 'readerMark'] as const;
export const Slot = z.enum(SLOTS);
export type Slot = z.infer<typeof Slot>;

/**
 * Text split around recipient slots: `parts[0] slot[0] parts[1] … slot[n-1] parts[n]`.
 * Filling it is one pass of string joins, microseconds per message.
 */
export const Template = z
  .strictObject({ parts: z.array(z.string()).min(1), slots: z.array(Slot) })
  .refine((t) => t.parts.length === t.slots.length + 1, 'parts must be one more than slots');
export type Template = z.infer<typeof Template>;

/** Where a link's text sits in a template: `[part index, start, end, link number]` (end exclusive). */
export const LinkSpot = z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]);
export type LinkSpot = z.infer<typeof LinkSpot>;

/**
 * The links of a compiled email, recorded at compile so a campaign can rewrite them once
 * (link-tracking.ts) without compiling again: the table, and where each occurs in the HTML
 * (as HTML-escaped text) and in the text part.
 */
export const CompiledLinks = z.strictObject({
  table: z.array(EmailLink),
  html: z.array(LinkSpot),
  text: z.array(LinkSpot),
});
export type CompiledLinks = z.infer<typeof CompiledLinks>;

/** An edition rendered once: what is stored with a campaign and personalized per recipient. */
export const CompiledEmail = z.strictObject({
  newsletterId: z.string(),
  /** The edition's date, YYYY-MM-DD. */
  editionDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** Plain text; slots are filled with raw values. */
  subject: Template,
  preheader: z.string(),
  /** HTML; slots are filled with HTML-escaped values. */
  html: Template,
  /** Plain-text part; slots are filled with raw values. */
  text: Template,
  /** First name used when a recipient has none, from the newsletter ("there"). */
  greetingFallback: z.string(),
  compiledAt: z.string(),
  /** The links and where they sit; absent in emails compiled before link tracking. */
  links: CompiledLinks.optional(),
});
export type CompiledEmail = z.infer<typeof CompiledEmail>;

/** Who one copy is for, with the links already signed for them. */
export interface Recipient {
  email: string;
  /** Full name if known; the first word becomes the greeting's first name. */
  name?: string | undefined;
  unsubscribeUrl: string;
  viewUrl: string;
  /** Per-reader click tracking: the signed reader mark after each tracked link. Default empty. */
  readerMark?: string | undefined;
}

/** One recipient's copy, ready for the transport. */
export interface PersonalizedEmail {
  subject: string;
  html: string;
  text: string;
}
