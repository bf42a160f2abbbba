/**
 * The reader's copy behind a view-in-browser link (`/v/<link token>`). The link travels: it is
 * forwarded, pasted and shared, so the page it opens is not the reader's inbox. It expires (see
 * VIEW_LINK_MAX_AGE_DAYS), it names no address, its own "view" link is the same link (opening it
 * never mints a fresh one), and its unsubscribe link leads to `/v/<link token>/unsubscribe`, the
 * two-step page acting only on the campaign's lists, never "from everything".
 */
import type { App } from '../../app.ts';
import { personalize } from '../../composer/personalize.ts';
import type { LinkTokenPayload } from '../../domain/link-token.ts';

/** What the copy says where the message says the reader's address ("… because X is subscribed"). */
export const VIEW_COPY_READER = 'your address';

/** How the view page's unsubscribe page names the reader. */
export const VIEW_UNSUBSCRIBE_READER = 'This address';

/**
 * The HTML of the reader's copy, or null when the subscriber or the campaign's content is gone.
 * @param viewUrl the URL the copy was opened with (`${PUBLIC_URL}/v/<link token>`).
 */
export async function readerCopy(app: App, payload: LinkTokenPayload, viewUrl: string): Promise<string | null> {
  if (payload.scope.kind !== 'campaign') return null;
  const [subscriber, content] = await Promise.all([
    app.stores.subscribers.get(payload.subscriberId),
    app.campaigns.content(payload.scope.id).catch(() => null),
  ]);
  if (!subscriber || !content) return null;
  return personalize(content.compiled, {
    email: VIEW_COPY_READER,
    name: subscriber.name,
    unsubscribeUrl: `${viewUrl}/unsubscribe`,
    viewUrl,
  }).html;
}
