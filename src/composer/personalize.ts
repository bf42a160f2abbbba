/**
 * One recipient's copy of a compiled email: string joins only, no templates, no MJML
 * (docs/architecture.md, invariant 1: microseconds per message).
 */
import type { CompiledEmail, PersonalizedEmail, Recipient } from '../domain/compiled-email.ts';
import { fillTemplate, htmlSlotValues, slotValues } from '../domain/personalization.ts';

/**
 * Fills the recipient's first name (or the newsletter's fallback), email, unsubscribe URL and
 * view URL into the subject, HTML (escaped) and text (raw).
 */
export function personalize(compiled: CompiledEmail, recipient: Recipient): PersonalizedEmail {
  const raw = slotValues(recipient, compiled.greetingFallback);
  return {
    subject: fillTemplate(compiled.subject, raw),
    html: fillTemplate(compiled.html, htmlSlotValues(raw)),
    text: fillTemplate(compiled.text, raw),
  };
}
