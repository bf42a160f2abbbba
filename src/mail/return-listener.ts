/**
 * `newsdesk inbound serve`: an SMTP listener an MTA forwards returned mail to. It takes mail
 * only for the return addresses (`bounces+<token>@`, `unsubscribe+<token>@`, the feedback
 * addresses) and refuses every other recipient with a 550, so it can never be used as a relay;
 * it never sends anything on. Each message is read, classified and handed to the
 * {@link ReturnEventSink}; when the sink cannot store it (Redis away) the answer is a 451 and the
 * sending MTA keeps the message and tries again.
 */
import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { NewsdeskError } from '../domain/errors.ts';
import type { ReturnEventSink, ReturnOutcome } from '../domain/return-event.ts';
import { readReturnAddress } from '../domain/return-token.ts';
import { readReturnMail } from './return-mail.ts';
import { RETURN_MESSAGE_READ_BYTES } from './return-message.ts';

/** What the listener logs through (a pino logger fits). */
export interface ListenerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ReturnListenerOptions {
  sink: ReturnEventSink;
  /** Default 2525. 0 picks a free port. */
  port?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** `config.inbound.feedbackAddresses` (none: `feedback@` at any domain). */
  feedbackAddresses: readonly string[];
  /** BOUNCE_DOMAIN: when set, bounce and unsubscribe addresses must be at it. */
  bounceDomain?: string | undefined;
  /** Largest message taken, bytes (SIZE). Default 25 MB. */
  maxBytes?: number | undefined;
  /** Connections at once. Default 100. */
  maxConnections?: number | undefined;
  /** PEM key and certificate for STARTTLS; without them STARTTLS is not offered. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** A message not stored within this long is answered 451 (the sender retries). Default 30 s. */
  storeTimeoutMs?: number | undefined;
  logger?: ListenerLogger | undefined;
}

export interface ReturnListener {
  port: number;
  host: string;
  /** Messages answered so far, by what became of them. */
  readonly counts: Readonly<Record<ReturnOutcome | 'tempfail' | 'refused', number>>;
  /** Stops listening; waits for open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Thrown with a 4xx/5xx for smtp-server to send. */
function reply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startReturnListener(options: ReturnListenerOptions): Promise<ReturnListener> {
  const host = options.host ?? '127.0.0.1';
  const maxBytes = options.maxBytes ?? 25 * 1024 * 1024;
  const storeTimeoutMs = options.storeTimeoutMs ?? 30_000;
  const counts: Record<ReturnOutcome | 'tempfail' | 'refused', number> = {
    applied: 0,
    recorded: 0,
    duplicate: 0,
    unverified: 0,
    ignored: 0,
    tempfail: 0,
    refused: 0,
  };
  const addressOpts = { feedbackAddresses: options.feedbackAddresses, domain: options.bounceDomain };

  const server = new SMTPServer({
    logger: false,
    banner: 'newsdesk return mail',
    size: maxBytes,
    maxClients: options.maxConnections ?? 100,
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disableReverseLookup: true,
    closeTimeout: 5_000,
    onRcptTo(address, _session, callback) {
      if (readReturnAddress(address.address, addressOpts)) return callback();
      counts.refused++;
      callback(reply(550, `5.1.1 <${address.address}>: not a return address here; this server takes only bounce, unsubscribe and feedback mail`));
    },
    onData(stream, session, callback) {
      const rcpts = session.envelope.rcptTo.map((r) => r.address);
      readCapped(stream).then(
        async ({ raw, exceeded }) => {
          if (exceeded || (stream as Readable & { sizeExceeded?: boolean }).sizeExceeded) {
            counts.refused++;
            return callback(reply(552, `5.3.4 message larger than ${maxBytes} bytes`));
          }
          try {
            const outcomes: ReturnOutcome[] = [];
            for (const rcpt of rcpts) {
              const { event } = await readReturnMail(raw, { source: 'smtp', rcpt, feedbackAddresses: options.feedbackAddresses });
              outcomes.push(await withTimeout(options.sink.accept(event), storeTimeoutMs));
            }
            for (const o of outcomes) counts[o]++;
            callback(null, `2.0.0 ${outcomes.join(', ')}`);
          } catch (err) {
            counts.tempfail++;
            options.logger?.warn({ err: (err as Error).message }, 'return mail not stored: answered 451 so the sender retries');
            callback(reply(451, '4.3.0 cannot store the report right now; try again later'));
          }
        },
        (err: Error) => callback(reply(451, `4.3.0 ${err.message}`)),
      );
    },
  });

  /** Keeps the first bytes a report needs, drains the rest (the client must see the whole DATA read). */
  async function readCapped(stream: Readable): Promise<{ raw: Buffer; exceeded: boolean }> {
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (kept < RETURN_MESSAGE_READ_BYTES) {
        const part = chunk.subarray(0, RETURN_MESSAGE_READ_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      }
    }
    return { raw: Buffer.concat(chunks, kept), exceeded: total > maxBytes };
  }

  const port = await new Promise<number>((resolvePort, reject) => {
    server.once('error', (err: Error) => reject(new NewsdeskError('listen_failed', `cannot listen on ${host}:${options.port ?? 2525}: ${err.message}`)));
    server.listen(options.port ?? 2525, host, () => {
      const address = server.server.address();
      resolvePort(typeof address === 'object' && address ? address.port : 0);
    });
  });
  // A client's broken connection is an 'error' event on the server; unheard it would end the process.
  server.on('error', (err: Error) => options.logger?.warn({ err: err.message }, 'inbound: a connection failed'));

  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    counts,
    close() {
      closing ??= new Promise<void>((done) => server.close(() => done()));
      return closing;
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not stored within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
