/**
 * A campaign's links rewritten once, when the campaign is created: each trackable link of the
 * compiled email becomes `${PUBLIC_URL}/c/<token>` in both the HTML and the text part, and with
 * opens on, a 1×1 image goes before `</body>`. Plain string work on the compiled templates — MJML
 * does not run again (docs/architecture.md, invariant 1) — and in aggregate mode the result is as static as
 * before, so a message costs what it cost untracked. In per-reader mode each tracked URL is
 * followed by the `readerMark` slot, one signed value per copy.
 *
 * Never rewritten: the unsubscribe and view links (slots, not links of the edition), `mailto:`
 * links (never marked) and links of items the edition marks `track: false`.
 */
import type { ClickSigner } from '../domain/click-links.ts';
import type { CompiledEmail, LinkSpot, Template, Slot } from '../domain/compiled-email.ts';
import type { CampaignTracking, TrackingSettings } from '../domain/tracking.schema.ts';

export interface TrackLinksOptions {
  campaignId: string;
  /** The newsletter's `tracking:` settings. */
  tracking: TrackingSettings;
  signer: Pick<ClickSigner, 'linkUrl' | 'openUrl'>;
}

/** What a campaign stores: the email as it will be sent, and its tracking (none when all is off). */
export interface TrackedEmail {
  compiled: CompiledEmail;
  tracking: CampaignTracking | undefined;
}

/**
 * Rewrites the compiled email's links for one campaign. An email compiled without link positions
 * (stored before tracking existed) is returned as it is, untracked.
 */
export function trackLinks(compiled: CompiledEmail, opts: TrackLinksOptions): TrackedEmail {
  const { links, ...email } = compiled;
  const { clicks, opens, utm } = opts.tracking;
  if (!links || (clicks === 'off' && opens === 'off')) return { compiled, tracking: undefined };
  const perReader = clicks === 'per-reader';
  const urls = links.table.map((link, i) => (clicks !== 'off' && link.track ? opts.signer.linkUrl(opts.campaignId, i) : undefined));

  let html = rewrite(email.html, links.html, urls, perReader);
  const text = rewrite(email.text, links.text, urls, perReader);
  if (opens === 'on') html = withOpenImage(html, opts.signer.openUrl(opts.campaignId), perReader);
  return {
    compiled: { ...email, html, text },
    tracking: { clicks, opens, ...(utm ? { utm } : {}), links: links.table },
  };
}

/** The template with each spot whose link has a tracked URL replaced by it (and, per reader, a slot after it). */
function rewrite(template: Template, spots: readonly LinkSpot[], urls: readonly (string | undefined)[], perReader: boolean): Template {
  const byPart = new Map<number, LinkSpot[]>();
  for (const spot of spots) if (urls[spot[3]] !== undefined) byPart.set(spot[0], [...(byPart.get(spot[0]) ?? []), spot]);
  const parts: string[] = [];
  const slots: Slot[] = [];
  let current = '';
  template.parts.forEach((part, p) => {
    let from = 0;
    for (const [, start, end, link] of (byPart.get(p) ?? []).sort((a, b) => a[1] - b[1])) {
      current += part.slice(from, start) + (urls[link] as string);
      if (perReader) {
        parts.push(current);
        slots.push('readerMark');
        current = '';
      }
      from = end;
    }
    current += part.slice(from);
    const slot = template.slots[p];
    if (slot !== undefined) {
      parts.push(current);
      slots.push(slot);
      current = '';
    }
  });
  parts.push(current);
  return { parts, slots };
}

/** Puts the open image before the last `</body>` (or at the end), with the reader's mark per reader. */
function withOpenImage(html: Template, openUrl: string, perReader: boolean): Template {
  const parts = [...html.parts];
  const slots = [...html.slots];
  const last = parts[parts.length - 1] as string;
  const at = last.lastIndexOf('</body>') >= 0 ? last.lastIndexOf('</body>') : last.length;
  const before = `${last.slice(0, at)}<img src="${openUrl}`;
  const after = `" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0;" />${last.slice(at)}`;
  if (perReader) {
    parts.splice(parts.length - 1, 1, before, after);
    slots.push('readerMark');
  } else {
    parts[parts.length - 1] = before + after;
  }
  return { parts, slots };
}
