/**
 * The bounce-mailbox poller over an {@link App}: each message goes through the same reading as
 * the SMTP listener and the pipe command (`readReturnMail`), then to the return-path service.
 * `newsdesk worker` runs it when INBOUND_IMAP_URL is set; `newsdesk inbound poll` runs it alone.
 */
import type { App } from './app.ts';
import { createImapPoller, type ImapPoller, type ImapPollerOptions } from './mail/imap-poller.ts';
import { readReturnMail } from './mail/return-mail.ts';

/** The poller for INBOUND_IMAP_URL, or undefined when it is unset. */
export function createInboundPoller(app: App, overrides: Partial<ImapPollerOptions> = {}): ImapPoller | undefined {
  const { imap, inbound } = app.config;
  if (!imap) return undefined;
  return createImapPoller({
    url: imap.url,
    doneFolder: imap.doneFolder,
    unparsedFolder: imap.unparsedFolder,
    pollMs: imap.pollSeconds * 1000,
    logger: app.logger,
    async handle(raw) {
      // No envelope recipient over IMAP: the reader takes Delivered-To, X-Original-To or To.
      const { event } = await readReturnMail(raw, { source: 'imap', feedbackAddresses: inbound.feedbackAddresses });
      return app.returnPath.accept(event);
    },
    ...overrides,
  });
}
