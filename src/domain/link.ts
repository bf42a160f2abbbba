import { z } from 'zod';

/** Schemes an editor may link to (docs/architecture.md, invariant 6). */
export const ALLOWED_LINK_SCHEMES = ['https:', 'http:', 'mailto:'] as const;

export const LINK_SCHEME_MESSAGE = 'only https, http and mailto links are allowed';

/** True when `href` parses as an absolute URL with an allowed scheme. */
export function isAllowedLink(href: string): boolean {
  try {
    return (ALLOWED_LINK_SCHEMES as readonly string[]).includes(new URL(href).protocol);
  } catch {
    return false;
  }
}

/** An editor-supplied link: absolute, https/http/mailto only. */
export const Link = z.string().trim().min(1, 'required').refine(isAllowedLink, LINK_SCHEME_MESSAGE);

/** An image or asset address: absolute http(s) (the lint warns on http). */
export const AssetUrl = z
  .string()
  .trim()
  .refine((u) => {
    try {
      return ['https:', 'http:'].includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, 'must be an absolute https (or http) address');
