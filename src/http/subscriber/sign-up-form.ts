/**
 * The public sign-up form, rendered in one place: the hosted page (`GET /subscribe/<list>`) uses
 * it, and anything the form must carry later (a proof-of-work challenge widget, a consent line)
 * is added here once. It posts to `POST /subscribe`, which takes the same fields as JSON.
 */
import type { List } from '../../domain/list.schema.ts';
import { html, type SafeHtml } from '../html.ts';
import { altchaWidget } from './altcha-widget.ts';

export interface SignUpFormOptions {
  /** Where the form posts. Default `/subscribe` (the same origin, as the pages' CSP requires). */
  action?: string;
  /** Text of the button. Default "Subscribe". */
  button?: string;
  /**
   * Carry the proof-of-work widget (SUBSCRIBE_PROOF_OF_WORK): the page must then be sent with
   * `ALTCHA_PAGE_CSP`. Default false.
   */
  challenge?: boolean;
  /** Prefix of the fields' ids, for a page with several forms. Default `sign-up`. */
  id?: string;
}

/** The form's fields: `list` (hidden), `email` (required) and `name` (optional). */
export function signUpForm(list: Pick<List, 'id'>, opts: SignUpFormOptions = {}): SafeHtml {
  const id = opts.id ?? 'sign-up';
  return html`<form method="post" action="${opts.action ?? '/subscribe'}" class="sign-up">
<input type="hidden" name="list" value="${list.id}">
<label for="${id}-email">Email address</label>
<input id="${id}-email" type="email" name="email" required autocomplete="email" maxlength="320" placeholder="you@example.com">
<label for="${id}-name">Name <span class="muted">(optional)</span></label>
<input id="${id}-name" type="text" name="name" autocomplete="name" maxlength="200">
${opts.challenge ? altchaWidget() : ''}
<button type="submit">${opts.button ?? 'Subscribe'}</button>
</form>`;
}
