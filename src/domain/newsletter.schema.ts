import { z } from 'zod';
import { AssetUrl, Link } from './link.ts';
import { TimeZone } from './time-zone.ts';
import { TrackingSettings } from './tracking.schema.ts';

/** An address with an optional display name, as in From and Reply-To. */
export const Mailbox = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  address: z.email({ message: 'must be an email address' }),
});
export type Mailbox = z.infer<typeof Mailbox>;

/**
 * A publication: who sends it, how it looks, where its readers can write to.
 * Defined in `newsletters/<id>.yaml`.
 */
export const Newsletter = z.strictObject({
  /** Slug the editions refer to (`newsletter: daily`). */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
  name: z.string().trim().min(1).max(200),
  /** One line under the name in the header, e.g. "Your morning briefing". */
  tagline: z.string().trim().max(200).optional(),
  from: Mailbox,
  replyTo: Mailbox.optional(),
  /** Shown in every footer (CAN-SPAM, and readers trust it). */
  postalAddress: z.string().trim().min(1, 'required'),
  /** The publication's website. */
  website: Link,
  brand: z
    .strictObject({
      /** Accent colour as #rrggbb. */
      accent: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #c8102e').default('#c8102e'),
      logo: z.strictObject({ src: AssetUrl, alt: z.string().trim().min(1, 'required'), width: z.number().int().positive().max(600).optional() }).optional(),
    })
    .default({ accent: '#c8102e' }),
  /** Folder under `templates/`. */
  template: z.string().regex(/^[a-z0-9-]+$/).default('briefing'),
  /**
   * Where the newsroom is (IANA, e.g. `America/New_York`): a start time without an offset
   * (`--at 2025-02-13T06:00`) is read here, and "today's edition" means today here. Unset: UTC.
   */
  timeZone: TimeZone.optional(),
  /** Used in the greeting when a subscriber has no name: "Good morning, reader". */
  greetingFallback: z.string().trim().min(1).max(40).default('there'),
  /** Click and open tracking (README.md, "What readers did with it"). Default: aggregate clicks, no opens. */
  tracking: TrackingSettings.default({ clicks: 'aggregate', opens: 'off' }),
  /**
   * The newsletter's editors: who gets test sends and schedule alerts (the dashboard editor, the
   * scheduler). Addresses, no duplicates.
   */
  editors: z
    .array(z.email({ message: 'must be an email address' }))
    .max(100, 'at most 100 editors')
    .refine((a) => new Set(a.map((x) => x.toLowerCase())).size === a.length, 'an address is listed twice')
    .default([]),
  /**
   * How a stored edition is approved (README.md, "Stored editions"): with `twoPerson: true` the
   * approver must be someone other than whoever saved the edition's last revision.
   */
  approval: z.strictObject({ twoPerson: z.boolean().default(false) }).default({ twoPerson: false }),
  /**
   * The public archive (README.md, "Public archive"): with `enabled: true`, the sent editions are
   * on the web at `/archive/<id>`, with an Atom feed. Default off.
   */
  archive: z.strictObject({ enabled: z.boolean().default(false) }).default({ enabled: false }),
  /**
   * The reputation breaker's limits for this newsletter's campaigns (docs/return-path.md): after
   * `minMessages` sent (default 1,000), a hard-bounce rate above `hardBounceRate` (default 0.05)
   * or a complaint rate above `complaintRate` (default 0.001) pauses the campaign.
   */
  returnLimits: z
    .strictObject({
      minMessages: z.number().int().min(1).optional(),
      hardBounceRate: z.number().min(0).max(1).optional(),
      complaintRate: z.number().min(0).max(1).optional(),
    })
    .optional(),
});
export type Newsletter = z.infer<typeof Newsletter>;
