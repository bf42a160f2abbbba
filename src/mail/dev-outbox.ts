/**
 * The dev outbox: an SMTP server on loopback that saves every message it accepts as an
 * `.eml` file. With no SMTP_URL, newsdesk sends here through the same SMTP adapter it uses in
 * production, so the whole path — MIME, DKIM, the pool, SMTP replies — runs with nothing else
 * installed.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SMTPServer } from 'smtp-server';
import { NewsdeskError } from '../domain/errors.ts';
import type { MailLogger } from './smtp.transport.ts';

export interface DevOutboxOptions {
  /** Folder for the `.eml` files, created if missing. */
  dir: string;
  /** Port on 127.0.0.1. Default 0: any free port. */
  port?: number | undefined;
  logger?: MailLogger | undefined;
}

/** A running outbox. */
export interface DevOutbox {
  /** `smtp://127.0.0.1:<port>`: give it to the SMTP adapter. */
  url: string;
  /** Absolute path of the folder the messages land in. */
  dir: string;
  /** Stops listening; waits for open connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the outbox. Files are named `<UTC time>-<sequence>-<random>.eml`, so they sort in
 * arrival order and never collide, even with two outboxes on one folder. Each is written
 * under a temporary name and renamed when complete: a reader never sees half a message.
 */
export async function startDevOutbox(options: DevOutboxOptions): Promise<DevOutbox> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const run = randomBytes(3).toString('hex');
  let sequence = 0;

  const server = new SMTPServer({
    logger: false,
    banner: 'newsdesk dev outbox',
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    // On close, a message in the middle of DATA gets this long before the connection is cut.
    closeTimeout: 5_000,
    // Whatever credentials a configured client offers are fine: this is a local sink.
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'dev' }),
    onData(stream, _session, callback) {
      save(stream).then(
        (name) => callback(null, `Ok: saved as ${name}`),
        (err: Error) => {
          options.logger?.warn({ err, dir }, 'dev outbox could not save a message');
          // 451: the client keeps the message and tries again later.
          callback(Object.assign(new Error(`4.3.0 cannot save message: ${err.message}`), { responseCode: 451 }));
        },
      );
    },
  });

  /** Writes one message under a temporary name, then renames it into place. */
  async function save(stream: Readable): Promise<string> {
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const name = `${stamp}-${String(++sequence).padStart(6, '0')}-${run}.eml`;
    const partial = join(dir, `.${name}.partial`);
    try {
      await pipeline(stream, createWriteStream(partial));
      await rename(partial, join(dir, name));
      return name;
    } catch (err) {
      await rm(partial, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  const port = await new Promise<number>((resolvePort, reject) => {
    server.once('error', (err: Error) =>
      reject(new NewsdeskError('outbox_unavailable', `dev outbox cannot listen on 127.0.0.1:${options.port ?? 0}: ${err.message}`)),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.server.address();
      resolvePort(typeof address === 'object' && address ? address.port : 0);
    });
  });
  // smtp-server reports a client's broken connection (a reset, a killed worker) as an 'error'
  // event on the server; unheard, it would crash the process the outbox runs in.
  server.on('error', (err: Error) => options.logger?.warn({ err: err.message }, 'dev outbox: a connection failed'));
  const url = `smtp://127.0.0.1:${port}`;
  options.logger?.info({ url, dir }, 'dev outbox listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    dir,
    close() {
      closing ??= new Promise<void>((done) => server.close(() => done()));
      return closing;
    },
  };
}
