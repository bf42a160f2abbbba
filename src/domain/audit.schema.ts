/**
 * The audit log: who did what to which thing, and when. An entry is written after an operator's
 * action succeeds (a campaign paused, a list deleted, a token created), from whichever door it
 * came through: the CLI, the API or the dashboard.
 *
 * Actions are `<thing>.<verb>`; those recorded today: `campaign.create|pause|resume|cancel|reschedule|test`,
 * `list.create|delete|publish|unpublish|rename|set-newsletter|import`, `subscriber.add|rename|unsubscribe|remove`,
 * `token.create|revoke`, `edition.save|approve|delete`, `queues.<bull board action>`. A new action needs no change here: one
 * call to record it where it happens.
 */
import { z } from 'zod';

/**
 * Who acted: `api:<token name>`, `dashboard:<token name>` or `dashboard:admin` (the admin
 * password), `cli:<os user>` (or the name given with `--by`), `schedule:<id>` (the scheduler).
 */
export const AuditActor = z.string().regex(/^(api|dashboard|cli|schedule):.{1,100}$/, 'api:<token>, dashboard:<who>, cli:<user> or schedule:<id>');

/** What was done: `<thing>.<verb>`, lower case, e.g. `campaign.pause`, `queues.retry`. */
export const AuditAction = z.string().regex(/^[a-z][a-z-]*\.[a-z][a-z-]*$/, 'thing.verb in lower case, e.g. campaign.pause');

/** Small facts about the action (counts, a new time, a scope): never a reader's address. */
export const AuditDetail = z.record(z.string(), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]));

/** What a caller records; the log adds the time. */
export const AuditEvent = z.strictObject({
  actor: AuditActor,
  action: AuditAction,
  /** The id of what was acted on: a campaign, a list, a token name, a subscriber id. */
  target: z.string().max(200).optional(),
  detail: AuditDetail.optional(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** An entry as kept and shown: the event and when it was recorded (ISO 8601). */
export const AuditEntry = AuditEvent.extend({ at: z.iso.datetime() });
export type AuditEntry = z.infer<typeof AuditEntry>;
