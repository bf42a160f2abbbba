/** What every webhook route shares once a request is authentic: handing its events on, and its answer. */
import { NewsdeskError } from '../../domain/errors.ts';
import type { ReturnEvent, ReturnEventSink, ReturnOutcome } from '../../domain/return-event.ts';

/** What a webhook answers when its events were handed on. */
export interface WebhookAnswer {
  /** Events handed to the return-path service. */
  events: number;
  /** How many of them ended in each outcome. */
  outcomes: Partial<Record<ReturnOutcome, number>>;
}

/** Hands `events` to the sink one by one, in order; throws what the sink throws (Redis away). */
export async function deliverEvents(sink: ReturnEventSink, events: readonly ReturnEvent[]): Promise<WebhookAnswer> {
  const outcomes: WebhookAnswer['outcomes'] = {};
  for (const event of events) {
    const outcome = await sink.accept(event);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  return { events: events.length, outcomes };
}

/** The request is authentic but not for us: an SNS topic we were not told to take. */
export class WebhookForbiddenError extends NewsdeskError {
  constructor(message: string) {
    super('webhook_forbidden', message);
  }
}
