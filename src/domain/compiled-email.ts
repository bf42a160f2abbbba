import { z } from 'zod';

/**
 * The per-recipient values a compiled email has slots for. The composer renders everything
 * else once per campaign (docs/architecture.md, invariant 1); personalizing only fills these.
 */
export const TOKENS = ['firstName', 'email', 'unsubscribeUrl', 'viewUrl'] as const;
export const Token = z.enum(TOKENS);
export type Token = z.infer<typeof Token>;

/**
 * Text split around recipient slots: `parts[0] slot[0] parts[1] … slot[n-1] parts[n]`.
 * Filling it is one pass of string joins, microseconds per message.
 */
export const Template = z
  .strictObject({ parts: z.array(z.string()).min(1), slots: z.array(Token) })
  .refine((t) => t.parts.length === t.slots.length + 1, 'parts must be one more than slots');
export type Template = z.infer<typeof Template>;

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
});
export type CompiledEmail = z.infer<typeof CompiledEmail>;

/** Who one copy is for, with the links already signed for them. */
export interface Recipient {
  email: string;
  /** Full name if known; the first word becomes the greeting's first name. */
  name?: string | undefined;
  unsubscribeUrl: string;
  viewUrl: string;
}

/** One recipient's copy, ready for the transport. */
export interface PersonalizedEmail {
  subject: string;
  html: string;
  text: string;
}
