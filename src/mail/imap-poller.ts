/**
 * The bounce-mailbox poller: reads every message in an IMAP mailbox (a bounce address hosted at
 * a provider), hands each to the return-mail handler, and moves it out of the way:
 *
 * - handled (applied, recorded, duplicate, unverified) → INBOUND_IMAP_DONE_FOLDER;
 * - not understood (the handler's `ignored`: auto-replies, unrecognised mail, junk) or refused by
 *   the handler as bad input → INBOUND_IMAP_UNPARSED_FOLDER, for a person to look at;
 * - not stored (the store is away) → left where it is, and the pass ends: the next poll retries.
 *
 * Nothing is ever deleted, and a message is moved only after its outcome is stored, so a crash
 * between the two means one re-read, which the service's dedupe key makes harmless. Between
 * passes the connection IDLEs when the server can (new mail starts a pass at once) and polls
 * every `pollMs` anyway, which also retries what was left.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { NewsdeskError } from '../domain/errors.ts';
import type { ReturnOutcome } from '../domain/return-event.ts';
import { imapConnection } from './imap-connection.ts';
import { RETURN_MESSAGE_READ_BYTES } from './return-message.ts';

/** Hands one raw message to the return path; throws when it could not be stored. */
export type ReturnMailHandler = (raw: Buffer) => Promise<ReturnOutcome>;

export interface ImapPollerOptions {
  /** `imaps://user:pass@host:993/INBOX` or `imap://…` (INBOUND_IMAP_URL). */
  url: string;
  /** Folder for handled messages; created if missing. */
  doneFolder: string;
  /** Folder for what was not understood; created if missing. */
  unparsedFolder: string;
  handle: ReturnMailHandler;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Longest wait between passes, in ms (INBOUND_IMAP_POLL_SECONDS). */
  pollMs: number;
  /**
   * Bytes of each message downloaded: a report's parts come first, the rest of a huge message is
   * never needed (the pipe command and the SMTP listener read as much). Default 2 MB.
   */
  readBytes?: number;
  /**
   * Whether a handler error means "try again later" (leave the message) rather than "this message
   * is bad" (unparsed folder). Default: everything except a {@link NewsdeskError} whose code is
   * not `redis_unavailable`, so an unknown failure never moves mail away.
   */
  isTransient?: (err: unknown) => boolean;
  /**
   * How long {@link ImapPoller.stop} waits for the message in hand (its store may be away and
   * its command queued) before it closes the connection anyway; that message is then read
   * again by the next poller, which its dedupe key makes harmless. Default 10 s.
   */
  stopTimeoutMs?: number;
  /** TLS options for the connection (a private CA). */
  tls?: { rejectUnauthorized?: boolean; ca?: string | Buffer };
}

/** What one pass did. */
export interface PollResult {
  /** Messages moved to the done folder, by outcome. */
  done: Partial<Record<ReturnOutcome, number>>;
  /** Messages moved to the unparsed folder. */
  unparsed: number;
  /** Messages left in the mailbox for the next poll (the store was away). */
  left: number;
}

export interface ImapPoller {
  /** One pass over the mailbox (connecting first if needed). */
  pollOnce(): Promise<PollResult>;
  /** Polls until {@link ImapPoller.stop}; connection failures are logged and retried. Resolves when stopped. */
  run(): Promise<void>;
  /**
   * Ends the current pass after the message in hand (waiting at most `stopTimeoutMs`), then logs
   * out. Safe to call twice.
   */
  stop(): Promise<void>;
}

const defaultIsTransient = (err: unknown) => !(err instanceof NewsdeskError) || err.code === 'redis_unavailable';

export function createImapPoller(opts: ImapPollerOptions): ImapPoller {
  const target = imapConnection(opts.url);
  const readBytes = opts.readBytes ?? RETURN_MESSAGE_READ_BYTES;
  const isTransient = opts.isTransient ?? defaultIsTransient;
  const where = `${target.host}:${target.port}/${target.mailbox}`;
  let client: ImapFlow | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  /** New mail arrived while a pass was running: the next pause ends at once. */
  let pending = false;
  let running: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;

  async function connected(): Promise<ImapFlow> {
    if (client?.usable) return client;
    client?.close();
    const c = new ImapFlow({
      host: target.host,
      port: target.port,
      secure: target.secure,
      ...(target.doSTARTTLS !== undefined ? { doSTARTTLS: target.doSTARTTLS } : {}),
      auth: { user: target.user, pass: target.pass },
      logger: false,
      // IDLE soon after a pass (the default waits 15 s), so new mail is seen within moments.
      autoIdleDelay: 500,
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
    // New mail while idle starts the next pass now instead of at the next poll.
    c.on('exists', (e) => {
      if (e.count <= e.prevCount) return; // our own moves
      pending = true;
      wake?.();
    });
    c.on('error', (err: Error) => opts.logger.warn({ mailbox: where, err: err.message }, 'IMAP connection error'));
    await c.connect();
    client = c;
    const existing = new Set((await c.list()).map((m) => m.path));
    for (const folder of [opts.doneFolder, opts.unparsedFolder]) {
      if (!existing.has(folder)) {
        await c.mailboxCreate(folder);
        opts.logger.info({ mailbox: where, folder }, 'IMAP folder created');
      }
    }
    return c;
  }

  async function pollOnce(): Promise<PollResult> {
    const c = await connected();
    const result: PollResult = { done: {}, unparsed: 0, left: 0 };
    pending = false;
    const lock = await c.getMailboxLock(target.mailbox);
    try {
      // The selected mailbox's count lags behind mail delivered over other connections until the
      // server reports it (and imapflow answers a search of an "empty" mailbox itself): NOOP first.
      await c.noop();
      const uids = (await c.search({ all: true }, { uid: true })) || [];
      for (let i = 0; i < uids.length; i++) {
        const uid = uids[i] as number;
        if (stopping) {
          result.left += uids.length - i;
          break;
        }
        const moveTo = async (folder: string) => {
          await c.messageMove(String(uid), folder, { uid: true });
        };
        const fetched = await c.fetchOne(String(uid), { source: { maxLength: readBytes } }, { uid: true });
        if (!fetched || !fetched.source) continue; // gone meanwhile (another poller took it)
        let outcome: ReturnOutcome;
        try {
          outcome = await opts.handle(fetched.source);
        } catch (err) {
          if (isTransient(err)) {
            opts.logger.warn({ mailbox: where, uid, err: String(err) }, 'return mail not stored; left in the mailbox for the next poll');
            result.left += uids.length - i;
            break;
          }
          opts.logger.warn({ mailbox: where, uid, err: String(err) }, 'return mail refused: moved to the unparsed folder');
          await moveTo(opts.unparsedFolder);
          result.unparsed++;
          continue;
        }
        if (outcome === 'ignored') {
          await moveTo(opts.unparsedFolder);
          result.unparsed++;
        } else {
          await moveTo(opts.doneFolder);
          result.done[outcome] = (result.done[outcome] ?? 0) + 1;
        }
      }
      return result;
    } finally {
      lock.release();
    }
  }

  /** Waits for new mail (IDLE's EXISTS), the poll interval, or stop — whichever comes first. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
      if (stopping || pending) done();
      pending = false;
    });
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        const r = await pollOnce();
        failures = 0;
        const moved = Object.values(r.done).reduce((a, b) => a + b, 0) + r.unparsed;
        if (moved || r.left) opts.logger.info({ mailbox: where, ...r }, 'IMAP poll');
        await pause(opts.pollMs);
      } catch (err) {
        if (stopping) break;
        failures++;
        opts.logger.error({ mailbox: where, err: String(err) }, 'IMAP poll failed; retrying');
        client?.close();
        client = undefined;
        // Back off on repeated failures (a wrong password must not hammer the server).
        await pause(Math.min(opts.pollMs, 1_000 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  return {
    pollOnce,
    run() {
      running ??= loop();
      return running;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wake?.();
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.stopTimeoutMs ?? 10_000)));
        await Promise.race([running?.catch(() => undefined), waited]);
        clearTimeout(timer);
        const c = client;
        client = undefined;
        if (c?.usable) await c.logout().catch(() => c.close());
        else c?.close();
      })();
      return stopped;
    },
  };
}
