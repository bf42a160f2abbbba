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

/** `example.com/story` or `www.example.com`: an address someone typed without its scheme. */
function lacksScheme(href: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(href) && /^(\/\/)?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d+)?([/?#]|$)/i.test(href);
}

/** What is wrong with a link that {@link isAllowedLink} refused, with the fix when it is plain. */
export function linkProblem(href: string): string {
  const bare = href.trim();
  return lacksScheme(bare) ? `no scheme: add https:// (https://${bare.replace(/^\/\//, '')})` : LINK_SCHEME_MESSAGE;
}

/** An editor-supplied link: absolute, https/http/mailto only. */
export const Link = z
  .string()
  .trim()
  .min(1, 'required')
  .check((ctx) => {
    if (!isAllowedLink(ctx.value)) ctx.issues.push({ code: 'custom', message: linkProblem(ctx.value), input: ctx.value });
  });

const ASSET_URL_MESSAGE = 'must be an absolute https (or http) address';

/** An image or asset address: absolute http(s) (the lint warns on http). */
export const AssetUrl = z
  .string()
  .trim()
  .check((ctx) => {
    let ok = false;
    try {
      ok = ['https:', 'http:'].includes(new URL(ctx.value).protocol);
    } catch {
      ok = false;
    }
    if (!ok) ctx.issues.push({ code: 'custom', message: lacksScheme(ctx.value) ? `${ASSET_URL_MESSAGE}: add https:// (https://${ctx.value.replace(/^\/\//, '')})` : ASSET_URL_MESSAGE, input: ctx.value });
  });
