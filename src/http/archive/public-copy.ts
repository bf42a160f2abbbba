/**
 * The public copy of a sent edition, for the archive (README.md, "Public archive"): the email
 * frozen in the campaign that sent it, filled in for nobody in particular. No link token, no
 * tracked link, no open image, no address: the reader's slots get the archive page's own URL
 * and the words the view page uses, tracked links (`/c/<click token>`) go back to the URLs the
 * edition wrote, and the campaign's open image is taken out.
 */
import type { CompiledEmail } from '../../domain/compiled-email.ts';
import { escapeHtml, fillTemplate, htmlSlotValues, slotValues } from '../../domain/personalization.ts';
import type { CampaignContent } from '../../store/campaign.store.ts';
import { VIEW_COPY_READER } from '../subscriber/reader-copy.ts';

export interface PublicCopy {
  subject: string;
  preheader: string;
  /** The whole HTML document. */
  html: string;
}

/** The id of the note under the copy that the copy's unsubscribe link leads to. */
export const ABOUT_THIS_COPY = 'about-this-copy';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * @param campaignId the campaign the content was frozen in (its click and open tokens name it)
 * @param pageUrl the archive page's absolute URL
 */
export function publicCopy(content: CampaignContent, campaignId: string, pageUrl: string): PublicCopy {
  const { compiled } = content;
  const values = slotValues(
    { email: VIEW_COPY_READER, name: undefined, unsubscribeUrl: `${pageUrl}#${ABOUT_THIS_COPY}`, viewUrl: pageUrl, readerMark: '' },
    compiled.greetingFallback,
  );
  const id = escapeRegExp(campaignId);
  const links = content.tracking?.links ?? [];
  // `<origin>/c/<campaign>.<link, base 36>.<mac>`; any origin, since PUBLIC_URL may have moved since.
  const tracked = new RegExp(`https?://[^"'\\s<>]*?/c/${id}\\.([0-9a-z]{1,4})\\.[A-Za-z0-9_-]{16}`, 'g');
  const openImage = new RegExp(`<img src="[^"]*/o/${id}\\.[A-Za-z0-9_-]+"[^>]*>`, 'g');
  const html = fillTemplate(compiled.html, htmlSlotValues(values))
    .replace(openImage, '')
    .replace(tracked, (_all, link36: string) => {
      const link = links[parseInt(link36, 36)];
      return link ? escapeHtml(link.url) : '#';
    });
  return { subject: fillTemplate(compiled.subject, values), preheader: compiled.preheader, html };
}

/** The subject as the archive shows it (no reader: the greeting's fallback name). */
export function publicSubject(compiled: CompiledEmail): string {
  return fillTemplate(compiled.subject, slotValues({ email: VIEW_COPY_READER, unsubscribeUrl: '', viewUrl: '' }, compiled.greetingFallback));
}
