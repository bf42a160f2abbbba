/**
 * A stored edition: one day of a newsletter kept in Redis with every revision, and where it is on
 * its way out, `draft → approved → sent` (README.md, "Stored editions"). Its id is
 * `<newsletter>-<date>`, e.g. `daily-2025-02-13`.
 */
import { z } from 'zod';
import { NewsdeskError } from './errors.ts';

/** `draft`: being written; `approved`: may be sent as it is; `sent`: a campaign mailed it. */
export const EditionState = z.enum(['draft', 'approved', 'sent']);
export type EditionState = z.infer<typeof EditionState>;

/** `<newsletter>-<YYYY-MM-DD>`: a newsletter id (lower case, digits, dashes) and a date. */
export const StoredEditionId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}-\d{4}-\d{2}-\d{2}$/, 'an edition id is <newsletter>-<YYYY-MM-DD>, e.g. daily-2025-02-13');

/** The id of the edition of `newsletter` for `date`. */
export function editionIdOf(newsletter: string, date: string): string {
  return `${newsletter}-${date}`;
}

/**
 * One revision of a stored edition, with the edition's state as it applies to that revision:
 * the current revision carries the edition's state; an older one is `sent` if it is the one a
 * campaign mailed, else `draft`. `approvedAt/By` are set when this revision is the approved one.
 */
export const StoredEdition = z.strictObject({
  id: z.string(),
  newsletter: z.string(),
  date: z.string(),
  state: EditionState,
  /** 1, 2, …: every save that changed the text added one. */
  revision: z.number().int().min(1),
  /** The latest revision (equal to `revision` unless an older one was asked for). */
  latestRevision: z.number().int().min(1),
  /** The edition's text (YAML or JSON) exactly as saved. */
  source: z.string(),
  savedAt: z.string(),
  /** Who saved it: `cli:<user>`, `api:<token name>`, `dashboard:<who>` (the audit log's actors). */
  savedBy: z.string(),
  approvedAt: z.string().optional(),
  approvedBy: z.string().optional(),
  sentAt: z.string().optional(),
  /** The revision the last campaign that sends it froze. */
  sentRevision: z.number().int().min(1).optional(),
  /** Campaigns made from it to send, oldest first. */
  campaignIds: z.array(z.string()),
});
export type StoredEdition = z.infer<typeof StoredEdition>;

/** An action the edition's state does not allow (approve a sent edition, send a draft). */
export class EditionStateError extends NewsdeskError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
