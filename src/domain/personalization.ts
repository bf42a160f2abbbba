/**
 * Filling a compiled {@link Template} with one recipient's values: pure, allocation-light,
 * shared by the composer (personalize) and the mail layer (MIME built once per campaign).
 */
import type { Recipient, Template, Slot } from './compiled-email.ts';
import { firstNameOf } from './greeting-name.ts';

export type SlotValues = Record<Slot, string>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string) : s;
}

export { firstNameOf } from './greeting-name.ts';

/** The raw (unescaped) slot values for one recipient. */
export function slotValues(recipient: Recipient, greetingFallback: string): SlotValues {
  return {
    firstName: firstNameOf(recipient.name, greetingFallback),
    email: recipient.email,
    unsubscribeUrl: recipient.unsubscribeUrl,
    viewUrl: recipient.viewUrl,
    readerMark: recipient.readerMark ?? '',
  };
}

/** The same values escaped for HTML. */
export function htmlSlotValues(values: SlotValues): SlotValues {
  return {
    firstName: escapeHtml(values.firstName),
    email: escapeHtml(values.email),
    unsubscribeUrl: escapeHtml(values.unsubscribeUrl),
    viewUrl: escapeHtml(values.viewUrl),
    readerMark: escapeHtml(values.readerMark),
  };
}

/** Joins a template's parts with the recipient's values in its slots. */
export function fillTemplate(t: Template, values: SlotValues): string {
  let out = t.parts[0] as string;
  for (let i = 0; i < t.slots.length; i++) out += values[t.slots[i] as Slot] + (t.parts[i + 1] as string);
  return out;
}
