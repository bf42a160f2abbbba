/**
 * The SMTP adapter: a connection pool sending pre-built raw messages. The message bytes are
 * final when they get here (built by `campaign-message.ts`, signed by `dkim.ts`); the client
 * underneath only speaks SMTP. Two clients fit: newsdesk's own (`smtp-client.ts`, the default:
 * about a quarter of nodemailer's CPU per message, see `bench/message.ts --send`) and
 * nodemailer's pool, kept selectable (`SMTP_CLIENT=nodemailer`) as a known-good fallback.
 */
import { NewsdeskError } from '../domain/errors.ts';
import { createDkimSigner, type DkimOptions, type DkimSigner } from './dkim.ts';
import { createDkimPool, type DkimPool, DkimPoolError } from './dkim-pool.ts';
import { createSmtpClient } from './smtp-client.ts';
import type { SendOptions } from './smtp-connection.ts';
import { type SmtpFailureWithCause, smtpSetupProblem } from './smtp-setup-problem.ts';
import { type SmtpTlsOptions, tlsConnectOptions } from './smtp-tls.ts';
import { classifySmtpFailure, type MailTransport, type OutgoingMessage, type SendOutcome, type SmtpFailure } from './transport.ts';

/** A pino-compatible logger, or anything with the same two methods. */
export interface MailLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Which SMTP client speaks to the server. */
export type SmtpClientKind = 'newsdesk' | 'nodemailer';

export interface SmtpTransportOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://user:pass@host:465` (TLS from the start). */
  url: string;
  /** Default `newsdesk` (`smtp-client.ts`); `nodemailer` selects nodemailer's pool. */
  client?: SmtpClientKind | undefined;
  /** Connections kept open to the server. Default 5. */
  poolSize?: number | undefined;
  /**
   * Messages one connection sends before it is replaced. Default 100,000: reconnecting (and
   * logging in again) every hundred messages, nodemailer's default, costs throughput for nothing.
   */
  maxMessagesPerConnection?: number | undefined;
  /** Sign every message: with these settings, this signer, or this pool (the caller closes it). Default none. */
  dkim?: DkimOptions | DkimSigner | DkimPool | undefined;
  /**
   * With `dkim` options: sign on this many worker threads (dkim-pool.ts); 0 signs on the sending
   * thread. Default 0 here; `DKIM_THREADS` (config) sets it for workers.
   */
  dkimThreads?: number | undefined;
  /**
   * `socketMs` bounds the wait for any reply. Default (newsdesk client): connect 30 s, greeting
   * 30 s, each command 60 s, the reply after the message 120 s (`DEFAULT_SMTP_TIMEOUTS`).
   */
  timeouts?: { connectMs?: number; greetingMs?: number; socketMs?: number } | undefined;
  /** Accept a server certificate that does not verify (a relay with a self-signed cert). Default false. */
  allowInvalidCertificate?: boolean | undefined;
  /** A private CA, the name to check, or the opt-out from checking (SMTP_TLS_*). Default: Node's CAs, the URL's host. */
  tls?: SmtpTlsOptions | undefined;
  logger?: MailLogger | undefined;
}

/** What the adapter needs from an SMTP client: the newsdesk client has exactly this shape. */
interface RawSmtpClient {
  /** Resolves with the server's 250 reply; rejects with an `SmtpFailure`-shaped error. */
  send(envelope: { from: string; to: string }, raw: Buffer, opts?: SendOptions): Promise<string>;
  verify(): Promise<void>;
  close(): Promise<void>;
}

/** Creates the SMTP adapter. Connections open on first use. */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const target = describeSmtpUrl(options.url);
  const pool = options.dkim && !('sign' in options.dkim) && options.dkimThreads ? createDkimPool(options.dkim, { threads: options.dkimThreads }) : undefined;
  const signer: DkimSigner | DkimPool | undefined = pool ?? (!options.dkim ? undefined : 'sign' in options.dkim ? options.dkim : createDkimSigner(options.dkim));
  // The signature fields go to the client beside the message, never copied together with it.
  const signFields = async (raw: Buffer, bodyHash: string | undefined): Promise<{ fields: Buffer; raw: Buffer }> =>
    !signer ? { fields: Buffer.alloc(0), raw } : 'signFields' in signer ? signer.signFields(raw, bodyHash) : { fields: signer.fields(raw, bodyHash), raw };
  const client =
    options.client === 'nodemailer'
      ? nodemailerClient(options)
      : createSmtpClient({
          url: options.url,
          // Unset values take the client's defaults (DEFAULT_SMTP_TIMEOUTS, a pool of 5).
          poolSize: options.poolSize,
          maxMessagesPerConnection: options.maxMessagesPerConnection ?? 100_000,
          allowInvalidCertificate: options.allowInvalidCertificate,
          tls: options.tls,
          timeouts: {
            connectMs: options.timeouts?.connectMs,
            greetingMs: options.timeouts?.greetingMs,
            commandMs: options.timeouts?.socketMs,
            dataMs: options.timeouts?.socketMs,
          },
        });
  let closed = false;
  const inFlight = new Set<Promise<SendOutcome>>();

  const deliver = async (msg: OutgoingMessage): Promise<SendOutcome> => {
    // Outside the try: a signing failure is a bug to surface, not an SMTP outcome. A signing
    // thread that died is the exception: the message never reached SMTP, so it fails transiently
    // and the pipeline sends it again later (and a pool that cannot start threads pauses the
    // campaign with the reason, as a setting problem).
    let raw = msg.raw;
    let prefix: Buffer | undefined;
    try {
      if (signer) ({ fields: prefix, raw } = await signFields(msg.raw, msg.relaxedBodyHash?.()));
    } catch (err) {
      if (!(err instanceof DkimPoolError)) throw err;
      const failed: SendOutcome = { status: 'failed', kind: 'transient', hardBounce: false, response: err.message };
      if (err.broken) failed.setupProblem = err.message;
      return failed;
    }
    try {
      const response = await client.send(msg.envelope, raw, { smtpReady: msg.smtpReady, prefix });
      return { status: 'sent', response, messageId: msg.messageId };
    } catch (err) {
      // Not logged here: the pipeline records every outcome with its delivery.
      const outcome = classifySmtpFailure(err as SmtpFailure);
      const setup = smtpSetupProblem(err as SmtpFailureWithCause, target);
      if (setup) outcome.setupProblem = setup.sentence;
      return outcome;
    }
  };

  return {
    send(msg: OutgoingMessage): Promise<SendOutcome> {
      if (closed) return Promise.reject(new NewsdeskError('transport_closed', 'send() after close()'));
      const sending = deliver(msg);
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
      return sending;
    },

    async verify(): Promise<void> {
      try {
        await client.verify();
      } catch (err) {
        const setup = smtpSetupProblem(err as SmtpFailureWithCause, target);
        if (setup) throw new NewsdeskError('smtp_settings', setup.sentence, { cause: err });
        throw new NewsdeskError(
          'smtp_unavailable',
          `cannot use SMTP server ${target} (${(err as Error).message}): check the host and port in SMTP_URL and that the server is up`,
          { cause: err },
        );
      }
      options.logger?.info({ smtp: target }, 'smtp server ready');
    },

    /** Lets messages already on a connection finish, fails queued ones as transient, then resolves. */
    async close(): Promise<void> {
      closed = true;
      try {
        await client.close();
      } finally {
        await Promise.allSettled([...inFlight]);
        await pool?.close();
      }
    },
  };
}

/** nodemailer's pool behind the same small interface. */
function nodemailerClient(options: SmtpTransportOptions): RawSmtpClient {
  // Imported only when chosen: about 15 MB that a worker on the default client has no use for.
  const pending = import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
    pool: true,
    url: options.url,
    maxConnections: options.poolSize ?? 5,
    maxMessages: options.maxMessagesPerConnection ?? 100_000,
    // One send() is at most one SMTP transaction: retrying (with backoff, recorded per
    // delivery) belongs to the send pipeline, not hidden inside the pool.
    maxRequeues: 0,
    connectionTimeout: options.timeouts?.connectMs ?? 30_000,
    greetingTimeout: options.timeouts?.greetingMs ?? 30_000,
    socketTimeout: options.timeouts?.socketMs ?? 60_000,
    tls: tlsConnectOptions(new URL(options.url).hostname.replace(/^\[(.*)\]$/, '$1'), {
      ...options.tls,
      insecure: options.allowInvalidCertificate || options.tls?.insecure,
    }),
    logger: false,
  }));
  return {
    send: async (envelope, raw, opts) => (await (await pending).sendMail({ envelope, raw: opts?.prefix ? Buffer.concat([opts.prefix, raw]) : raw })).response,
    verify: async () => {
      await (await pending).verify();
    },
    // nodemailer fails its queued messages and closes; the adapter waits for those in flight.
    close: async () => (await pending).close(),
  };
}

/** `smtps://mail.example.com:465` — the URL without its credentials, for messages and logs. */
export function describeSmtpUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    throw new NewsdeskError('config_invalid', 'SMTP_URL: must be a URL like smtp://user:pass@host:587 or smtps://…');
  }
}
