/**
 * Builds the mail transport from config: the SMTP adapter on SMTP_URL, or — when SMTP_URL is
 * unset — on a dev outbox it starts and later closes. Both are the same adapter.
 */
import type { Config } from '../config.ts';
import { createSmtpTransport, describeSmtpUrl, type MailLogger } from './smtp.transport.ts';
import { loadTlsCa } from './smtp-tls.ts';
import type { MailTransport } from './transport.ts';

/** The transport, and where its messages go (for start-up lines and the demo's summary). */
export interface ConfiguredMailTransport extends MailTransport {
  target: { kind: 'smtp'; server: string } | { kind: 'outbox'; url: string; dir: string };
}

export interface CreateMailTransportOptions {
  logger?: MailLogger | undefined;
}

/**
 * Creates the transport `config` asks for. With no SMTP_URL it starts the dev outbox
 * (`config.smtp.outboxDir`) on a free loopback port; `close()` stops both, each step even if
 * another fails.
 */
export async function createMailTransport(
  config: Pick<Config, 'smtp' | 'dkim'>,
  options: CreateMailTransportOptions = {},
): Promise<ConfiguredMailTransport> {
  const common = { client: config.smtp.client, poolSize: config.smtp.poolSize, dkim: config.dkim, dkimThreads: config.dkim?.threads, logger: options.logger };
  if (config.smtp.url) {
    const { ca, servername, insecure } = config.smtp.tls;
    if (insecure) {
      options.logger?.warn(
        { smtp: describeSmtpUrl(config.smtp.url) },
        'SMTP_TLS_INSECURE=1: the SMTP server\'s certificate is not checked, so anyone on the path can read and change the mail; set SMTP_TLS_CA instead',
      );
    }
    const tls = { ca: ca === undefined ? undefined : loadTlsCa(ca), servername, insecure };
    const smtp = createSmtpTransport({ url: config.smtp.url, ...common, tls });
    return { ...smtp, target: { kind: 'smtp', server: describeSmtpUrl(config.smtp.url) } };
  }
  // Loaded only here: the SMTP server package is of no use to a worker sending to SMTP_URL.
  const { startDevOutbox } = await import('./dev-outbox.ts');
  const outbox = await startDevOutbox({ dir: config.smtp.outboxDir, logger: options.logger });
  // Loud on purpose: mail that lands here reaches nobody.
  options.logger?.warn(
    { dir: outbox.dir, url: outbox.url },
    `dev outbox: SMTP_URL is not set, so messages are saved as .eml files under ${outbox.dir} and nobody receives them`,
  );
  let smtp: MailTransport;
  try {
    smtp = createSmtpTransport({ url: outbox.url, ...common });
  } catch (err) {
    await outbox.close();
    throw err;
  }
  return {
    send: (msg) => smtp.send(msg),
    verify: () => smtp.verify(),
    async close() {
      // The pool first, so its connections say QUIT before the server stops waiting for them.
      const results = await Promise.allSettled([smtp.close()]);
      results.push(...(await Promise.allSettled([outbox.close()])));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    target: { kind: 'outbox', url: outbox.url, dir: outbox.dir },
  };
}

/**
 * Checks the SMTP settings once before any work starts (connect, EHLO, STARTTLS, AUTH, QUIT).
 * The dev outbox needs no check: newsdesk starts it itself.
 * @throws NewsdeskError whose message is one sentence naming the setting to change.
 */
export async function verifyMailSettings(transport: ConfiguredMailTransport): Promise<void> {
  if (transport.target.kind === 'smtp') await transport.verify();
}
