/** A list: a set of subscribers that campaigns are sent to. Deleting one never deletes subscribers. */
import { z } from 'zod';

/** Slug used in commands, URLs, tokens and Redis keys: lower-case letters, digits and dashes. */
export const ListId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, starting with a letter or digit, at most 63');
export type ListId = z.infer<typeof ListId>;

export const ListName = z.string().trim().min(1, 'required').max(200, 'at most 200 characters');

export const List = z.strictObject({
  id: ListId,
  name: ListName,
  /** The newsletter this list receives, when it is tied to one. */
  newsletter: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a newsletter id').optional(),
  /** Double opt-in: a sign-up joins only after the confirmation link is followed. */
  doubleOptIn: z.boolean(),
  /**
   * Open to sign-ups through the public form (`POST /subscribe`). Lists are private unless made
   * public, so nobody can put an address on an internal list (staff, tests, VIPs) from outside.
   */
  public: z.boolean().default(false),
  /**
   * Lets a public list take sign-ups without confirmation. Only an explicit choice
   * (`--allow-single-opt-in`) makes that so: without it a public list must use double opt-in.
   */
  allowSingleOptIn: z.boolean().default(false),
  createdAt: z.iso.datetime(),
});
export type List = z.infer<typeof List>;

/** What `lists create` supplies; the name defaults to the id. */
export const ListInput = z.strictObject({
  id: ListId,
  name: ListName.optional(),
  newsletter: List.shape.newsletter,
  doubleOptIn: z.boolean().default(false),
  public: z.boolean().default(false),
  allowSingleOptIn: z.boolean().default(false),
});
export type ListInput = z.input<typeof ListInput>;

/**
 * Why a list may not be public as it stands, or undefined when it may. Anyone can type any
 * address into a public form, so without a confirmation step the form subscribes strangers: a
 * public list needs double opt-in unless single opt-in was explicitly allowed.
 */
export function publicListProblem(list: { public: boolean; doubleOptIn: boolean; allowSingleOptIn?: boolean | undefined }): string | undefined {
  if (!list.public || list.doubleOptIn || list.allowSingleOptIn) return undefined;
  return 'a public list needs double opt-in (--double-opt-in, "doubleOptIn": true): anyone can type any address into a public form; to take sign-ups without confirmation anyway, say so with --allow-single-opt-in ("allowSingleOptIn": true)';
}

/**
 * Whether a sign-up from the public form waits for confirmation. A public single opt-in list
 * made before the double opt-in rule (without `allowSingleOptIn`) confirms too: safe by default.
 */
export function signUpNeedsConfirmation(list: List): boolean {
  return list.doubleOptIn || !list.allowSingleOptIn;
}

/** What can change on a list after it is created: at least one of these (`newsletter: null` unties it). */
export const ListChanges = z
  .strictObject({
    name: ListName.optional(),
    public: z.boolean().optional(),
    allowSingleOptIn: z.boolean().optional(),
    newsletter: List.shape.newsletter.unwrap().nullable().optional(),
  })
  .refine((c) => c.name !== undefined || c.public !== undefined || c.allowSingleOptIn !== undefined || c.newsletter !== undefined, {
    message: 'name, public, allowSingleOptIn or newsletter is required',
  });
export type ListChanges = z.input<typeof ListChanges>;
