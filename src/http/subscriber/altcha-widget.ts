/**
 * The ALTCHA widget on a sign-up form, served from this server (no CDN, no third party): the
 * `altcha` package's own bundle at {@link ALTCHA_SCRIPT_PATH}, fetching its challenge from
 * {@link ALTCHA_CHALLENGE_PATH}. Solved, it puts the payload into a hidden `altcha` field of the
 * form it sits in, which `POST /subscribe` checks.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { html, type SafeHtml } from '../html.ts';

export const ALTCHA_CHALLENGE_PATH = '/altcha/challenge';
export const ALTCHA_SCRIPT_PATH = '/altcha/altcha.js';

/**
 * The Content-Security-Policy a page with the widget needs: our own script, the challenge fetched
 * from us, and the bundle's inline styles and blob workers (it ships them in one file).
 */
export const ALTCHA_PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; worker-src blob:; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The widget, to put inside a sign-up `<form>` (with {@link ALTCHA_PAGE_CSP} on the page). */
export function altchaWidget(): SafeHtml {
  return html`<script type="module" src="${ALTCHA_SCRIPT_PATH}"></script>
<altcha-widget challenge="${ALTCHA_CHALLENGE_PATH}" name="altcha" auto="onfocus"></altcha-widget>`;
}

let script: Promise<Buffer> | undefined;

/** The widget bundle (ES module, minified), read once from the installed `altcha` package. */
export function altchaScript(): Promise<Buffer> {
  script ??= readFile(join(dirname(createRequire(import.meta.url).resolve('altcha')), 'altcha.min.js'));
  return script;
}
