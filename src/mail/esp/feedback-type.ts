/** What a complaint's feedback type asks newsdesk to do, the same for ARF reports and ESP events. */
import type { ReturnEvent } from '../../domain/return-event.ts';
import { clip } from './esp-identity.ts';

/**
 * What a feedback report (ARF `Feedback-Type`, or an ESP's complaint type) asks for: `abuse`
 * is a complaint, `opt-out` an unsubscribe, `fraud`, `virus` and `auth-failure` an alert for
 * the sender with no subscriber change, anything else (`not-spam` …) is ignored.
 */
export function feedbackEvent(
  source: ReturnEvent['source'],
  feedbackType: string,
): Pick<ReturnEvent, 'source' | 'kind' | 'feedbackType' | 'note'> {
  const type = feedbackType.toLowerCase();
  if (type === 'abuse') return { source, kind: 'complaint', feedbackType: type };
  if (type === 'opt-out') return { source, kind: 'unsubscribe', feedbackType: type };
  if (['fraud', 'virus', 'auth-failure'].includes(type)) {
    return { source, kind: 'sender-alert', feedbackType: type, note: `a ${type} feedback report: for the sender, no subscriber change` };
  }
  return { source, kind: 'ignored', feedbackType: clip(type, 100) ?? 'unknown', note: `feedback type ${clip(type, 100)} asks for no action` };
}
