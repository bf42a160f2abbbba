/**
 * Sends double opt-in confirmations in the background. The sign-up answer must not wait for
 * SMTP: how long it takes would tell a stranger whether the address was already known.
 */
import type { Logger } from 'pino';
import { loadNewsletter } from '../../composer/newsletter.loader.ts';
import type { List } from '../../domain/list.schema.ts';
import type { Subscriber } from '../../domain/subscriber.schema.ts';
import type { MailTransport, SendOutcome } from '../../mail/transport.ts';
import type { LinkSigner } from '../../domain/links.ts';
import { buildConfirmationEmail } from './confirmation-email.ts';

export interface ConfirmationMailerOptions {
  /** The app's transport, opened on first use. */
  transport: () => Promise<MailTransport>;
  links: LinkSigner;
  /** Where `<newsletter>.yaml` files are looked up. */
  newsletterDirs: string[];
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface ConfirmationMailer {
  /** Queues a confirmation for `subscriber` to join `list`; returns at once. */
  send(list: List, subscriber: Subscriber): void;
  /** Resolves when every queued confirmation has been sent or has failed (server close, tests). */
  drain(): Promise<void>;
}

export function createConfirmationMailer(opts: ConfirmationMailerOptions): ConfirmationMailer {
  const inFlight = new Set<Promise<void>>();

  async function deliver(list: List, subscriber: Subscriber): Promise<SendOutcome | undefined> {
    if (!list.newsletter) {
      opts.logger.error({ list: list.id }, 'cannot send a confirmation: the list has no newsletter (lists create --newsletter) to send it from');
      return undefined;
    }
    const newsletter = await loadNewsletter(list.newsletter, { dirs: opts.newsletterDirs });
    const message = buildConfirmationEmail({
      newsletter,
      listName: list.name,
      to: subscriber.emailDisplay,
      confirmUrl: opts.links.link('confirm', subscriber.id, { kind: 'list', id: list.id }),
    });
    return (await opts.transport()).send(message);
  }

  return {
    send(list, subscriber) {
      const job = deliver(list, subscriber).then(
        (outcome) => {
          if (!outcome) return;
          if (outcome.status === 'sent') opts.logger.info({ list: list.id, subscriber: subscriber.id }, 'confirmation sent');
          else opts.logger.warn({ list: list.id, subscriber: subscriber.id, reply: outcome.response }, 'confirmation not sent');
        },
        (err: unknown) => opts.logger.error({ list: list.id, subscriber: subscriber.id, err: String(err) }, 'confirmation failed'),
      );
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    },
    async drain() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}
