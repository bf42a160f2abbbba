/**
 * What a newsletter lets newsdesk learn about its readers (`tracking:` in `newsletters/<id>.yaml`)
 * and the link table a campaign keeps for its tracked links. README.md, "What readers did with
 * it", says what each mode measures and what it does not.
 */
import { z } from 'zod';

/**
 * `off`: links go straight to their targets. `aggregate` (default): every link goes through
 * `/c/<token>`, whose token names the campaign and the link only, so a click is counted and no
 * reader is stored. `per-reader`: the token also names the reader; click events are kept for
 * `TRACKING_RETENTION_DAYS`.
 */
export const ClickTracking = z.enum(['off', 'aggregate', 'per-reader']);
export type ClickTracking = z.infer<typeof ClickTracking>;

/** `on`: a 1×1 image per message, counted like a click (per reader only in `per-reader` mode). */
export const OpenTracking = z.enum(['off', 'on']);
export type OpenTracking = z.infer<typeof OpenTracking>;

const utmValue = z
  .string()
  .trim()
  .min(1, 'required')
  .max(100, 'at most 100 characters')
  .regex(/^[A-Za-z0-9._~{}-]+$/, 'letters, digits and . _ ~ - only ({campaign} and {date} are filled in)');

/**
 * UTM parameters the redirect appends to every tracked link (never to links that already carry
 * the same parameter). `{campaign}` and `{date}` in a value become the campaign id and the
 * edition's date.
 */
export const UtmSettings = z.strictObject({
  source: utmValue,
  medium: utmValue.default('email'),
  campaign: utmValue.default('{campaign}'),
});
export type UtmSettings = z.infer<typeof UtmSettings>;

/** A newsletter's `tracking:` block. */
export const TrackingSettings = z.strictObject({
  clicks: ClickTracking.default('aggregate'),
  opens: OpenTracking.default('off'),
  utm: UtmSettings.optional(),
});
export type TrackingSettings = z.infer<typeof TrackingSettings>;

/** Where in the email a link sits, for the report's per-story figures. */
export const LinkSection = z.enum(['watching', 'moreForYou', 'number', 'sponsor', 'footer']);
export type LinkSection = z.infer<typeof LinkSection>;

/** One link of a compiled email: where it points, where it sits, and whether it may be tracked. */
export const EmailLink = z.strictObject({
  url: z.string(),
  section: LinkSection,
  /** The story's headline, the number's figure, the sponsor's label, or what the footer link is. */
  label: z.string(),
  /** False when the edition marked the item `track: false`. */
  track: z.boolean(),
});
export type EmailLink = z.infer<typeof EmailLink>;

/** A campaign's tracking, frozen with its content at create: the mode and the link table. */
export const CampaignTracking = z.strictObject({
  clicks: ClickTracking,
  opens: OpenTracking,
  utm: UtmSettings.optional(),
  /** Index = the link number in `/c/<token>`; entries with `track: false` were left as they are. */
  links: z.array(EmailLink),
});
export type CampaignTracking = z.infer<typeof CampaignTracking>;

/** A click or open as counted: a person, or software acting on the message (scanner, proxy, prefetch). */
export const ClickClass = z.enum(['human', 'machine']);
export type ClickClass = z.infer<typeof ClickClass>;
