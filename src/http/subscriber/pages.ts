/** The HTML bodies of the subscriber pages (wrapped by public-page.ts). */
import type { InputProblem } from '../../domain/errors.ts';
import { formatProblem } from '../../domain/errors.ts';
import { type List, signUpNeedsConfirmation } from '../../domain/list.schema.ts';
import { hasEnded } from '../../domain/subscriber-status.ts';
import type { Subscriber } from '../../domain/subscriber.schema.ts';
import { html, type SafeHtml } from '../html.ts';
import { signUpForm } from './sign-up-form.ts';
import type { UnsubscribeContext, UnsubscribeOutcome } from './unsubscribe.ts';

export interface Page {
  title: string;
  body: SafeHtml;
}

/** "A", "A and B", "A, B and C". */
function names(lists: List[]): string {
  const n = lists.map((l) => l.name);
  return n.length <= 1 ? (n[0] ?? '') : `${n.slice(0, -1).join(', ')} and ${n.at(-1)}`;
}

const everythingForm = (action: string, label = 'Unsubscribe from everything') => html`
<form method="post" action="${action}"><button class="secondary" name="scope" value="all" type="submit">${label}</button></form>`;

/**
 * Who the page speaks to, and what it offers. A link from the reader's own inbox names their
 * address and offers "from everything"; the page reached from a view-in-browser copy (which can be
 * forwarded) names nobody and acts only on the campaign's lists.
 */
export interface UnsubscribePageOptions {
  /** How the page names the reader. Default: their address. */
  reader?: string;
  /** Offer "Unsubscribe from everything". Default true. */
  everything?: boolean;
}

/** GET /u/:token: what the link would do, and the buttons to do it. Changes nothing. */
export function unsubscribePage(ctx: UnsubscribeContext, action: string, opts: UnsubscribePageOptions = {}): Page {
  const who = opts.reader ?? ctx.subscriber.emailDisplay;
  const everything = opts.everything ?? true;
  const from = ctx.newsletterName ?? names(ctx.lists);
  if (hasEnded(ctx.subscriber.status)) {
    return {
      title: 'Unsubscribed',
      body: html`<h1>You're unsubscribed</h1><p>${who} gets no more email from us.</p>`,
    };
  }
  if (ctx.scopeGone) {
    return {
      title: 'Unsubscribe',
      body: html`<h1>Unsubscribe from everything?</h1>
<p>${who} will get no more email from us.</p>
<form method="post" action="${action}"><button name="scope" value="all" type="submit">Unsubscribe from everything</button></form>`,
    };
  }
  if (!ctx.memberOf.length) {
    return {
      title: 'Unsubscribe',
      body: everything
        ? html`<h1>You're not on ${names(ctx.lists) || 'this list'}</h1>
<p>${who} no longer gets ${from || 'it'}. To stop all our email too:</p>${everythingForm(action)}`
        : html`<h1>You're not on ${names(ctx.lists) || 'this list'}</h1>
<p>${who} no longer gets ${from || 'it'}. The unsubscribe link in any of our emails can stop all our email too.</p>`,
    };
  }
  return {
    title: `Unsubscribe from ${from}`,
    body: html`<h1>Unsubscribe from ${from}?</h1>
<p>${who} will stop getting ${names(ctx.memberOf)}.</p>
<form method="post" action="${action}">
<button name="scope" value="lists" type="submit">Unsubscribe</button>${everything ? html`
<button class="secondary" name="scope" value="all" type="submit">Unsubscribe from everything</button>` : html``}
</form>
<p class="muted">Nothing changes until you press a button.</p>`,
  };
}

/** POST /u/:token: what was done. 200, never a redirect (RFC 8058). */
export function unsubscribedPage(ctx: UnsubscribeContext, outcome: UnsubscribeOutcome, action: string, opts: UnsubscribePageOptions = {}): Page {
  const who = opts.reader ?? ctx.subscriber.emailDisplay;
  if (outcome.kind === 'everything') {
    return {
      title: 'Unsubscribed',
      body: html`<h1>You're unsubscribed from everything</h1>
<p>${outcome.already ? html`${who} was already unsubscribed; we will not email it again.` : html`We will not email ${who} again.`}</p>`,
    };
  }
  const left = outcome.lists.length
    ? html`<p>${who} will no longer get ${names(outcome.lists)}.</p>`
    : html`<p>${who} was already off ${names(ctx.lists) || 'this list'}; nothing changed.</p>`;
  return {
    title: 'Unsubscribed',
    body: html`<h1>You're unsubscribed</h1>${left}<p class="muted">Other newsletters from us may still reach you.</p>${(opts.everything ?? true) ? everythingForm(action) : html``}`,
  };
}

/** GET /confirm/:token: a button, because mail scanners follow every link in a message. */
export function confirmPage(list: List, subscriber: Subscriber, action: string, alreadyMember: boolean): Page {
  if (alreadyMember && subscriber.status === 'active') {
    return { title: 'Subscribed', body: html`<h1>You're subscribed</h1><p>${subscriber.emailDisplay} is on ${list.name}.</p>` };
  }
  return {
    title: `Confirm your subscription to ${list.name}`,
    body: html`<h1>Confirm your subscription</h1>
<p>Subscribe ${subscriber.emailDisplay} to ${list.name}?</p>
<form method="post" action="${action}"><button type="submit">Confirm subscription</button></form>
<p class="muted">If you did not ask for this, close this page: nothing will be sent to you.</p>`,
  };
}

export function confirmedPage(list: List, subscriber: Subscriber): Page {
  return { title: 'Subscribed', body: html`<h1>You're subscribed</h1><p>${subscriber.emailDisplay} will get ${list.name}. Thank you.</p>` };
}

/** The link was superseded (they unsubscribed or left after it was sent) or the address is blocked. */
export function confirmRefusedPage(): Page {
  return {
    title: 'Link no longer valid',
    body: html`<h1>This link can no longer be used</h1><p>Sign up again to get a fresh confirmation link.</p>`,
  };
}

/** The one answer to every sign-up, known address or not (no enumeration). */
export const SUBSCRIBE_ANSWER = 'Thank you. Check your inbox: if this address needs to confirm, we have sent it a link.';

export function subscribeAnswerPage(): Page {
  return { title: 'Thank you', body: html`<h1>Thank you</h1><p>${SUBSCRIBE_ANSWER}</p>` };
}

/** GET /subscribe/<list>: the hosted sign-up page of a public list. */
export function signUpPage(list: List, opts: { challenge?: boolean } = {}): Page {
  return {
    title: `Subscribe to ${list.name}`,
    body: html`<h1>Subscribe to ${list.name}</h1>
${signUpForm(list, opts)}
<p class="muted">${signUpNeedsConfirmation(list) ? 'We will email you a link to confirm; nothing is sent until you follow it. ' : ''}Every email has a one-click unsubscribe link.</p>`,
  };
}

export function problemsPage(problems: InputProblem[]): Page {
  return {
    title: 'Please check the form',
    body: html`<h1>Please check the form</h1><ul class="problems">${problems.map((p) => html`<li>${formatProblem(p)}</li>`)}</ul>`,
  };
}

export function testCopyPage(): Page {
  return {
    title: 'Test copy',
    body: html`<h1>This is a test copy</h1><p>Links in test copies do nothing: no one is subscribed or unsubscribed.</p>`,
  };
}
