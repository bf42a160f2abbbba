/**
 * A scriptable SMTP server on loopback for tests: records every connection, MAIL FROM, RCPT,
 * login and message (and, for protocol tests, the bytes each client sent), and answers each
 * MAIL FROM, RCPT and DATA as a script says — a reply code, a delay (or a wait on a promise), or a dropped connection.
 * It can also offer or hide extensions (STARTTLS, PIPELINING, SIZE, AUTH mechanisms, EHLO
 * itself). Shared by the mail, campaign and fault tests.
 *
 * ```ts
 * const smtp = await startTestSmtpServer({
 *   reply: (e) => (e.stage === 'data' && e.attempt === 1 ? { code: 421, message: '4.3.2 try later' } : undefined),
 * });
 * // … send to smtp.url …
 * await smtp.waitForMessages(1);
 * await smtp.close();
 * ```
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/** What the server does at one MAIL FROM, RCPT or DATA: reply (after an optional delay) or drop the connection. */
export type ScriptedReply =
  | { code: number; message?: string; delayMs?: number; after?: Promise<unknown> }
  | { drop: true; delayMs?: number; after?: Promise<unknown> };

/** One MAIL FROM, RCPT or end-of-DATA, as the script sees it. */
export interface SmtpEvent {
  stage: 'mail' | 'rcpt' | 'data';
  from: string;
  /** At `mail` none; at `rcpt` the one address; at `data` every accepted recipient. */
  to: string[];
  /** How many times these recipients reached this stage, counting this one (1 = first try). */
  attempt: number;
  /** 1-based number of the connection it arrived on. */
  connection: number;
  /** The message bytes, at `data`. */
  raw?: Buffer;
}

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  connection: number;
  /** The reply the server gave (`250 …` when accepted). */
  reply: string;
  /** True when the message came over TLS (smtps or after STARTTLS). */
  secure: boolean;
  /**
   * When its transaction started: `performance.now()` of this process as the MAIL FROM command
   * reached the server, before any scripted delay. Comparable with the test's own clock.
   */
  startedAt: number;
}

export interface TestSmtpServerOptions {
  /** Decides each reply; `undefined` accepts. Default: accept everything. */
  reply?: (event: SmtpEvent) => ScriptedReply | undefined;
  /** Require AUTH PLAIN/LOGIN with these credentials. Default: no auth. */
  auth?: { user: string; pass: string };
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** TLS from the start (`smtps://`), with smtp-server's self-signed test certificate. Default false. */
  secure?: boolean;
  /** Offer STARTTLS (same self-signed certificate). Default false. */
  starttls?: boolean;
  /** Leave PIPELINING out of the EHLO reply (clients must then wait for each reply). Default false. */
  hidePipelining?: boolean;
  /** Announce `SIZE <n>` and refuse a MAIL FROM whose SIZE= is larger. Default: no SIZE. */
  size?: number;
  /** AUTH mechanisms offered when `auth` is set. Default PLAIN and LOGIN. */
  authMethods?: ('PLAIN' | 'LOGIN')[];
  /** Answer EHLO with 500 "not recognized", like a server that only knows HELO. Default false. */
  refuseEhlo?: boolean;
  /** Key and certificate (PEM) for smtps and STARTTLS. Default smtp-server's self-signed test certificate. */
  tls?: { key: string; cert: string };
  /**
   * Keep each accepted message's bytes in `raw`, and every byte of each connection for
   * `clientBytes`. Default true; false keeps an empty buffer and no connection bytes, for runs of
   * tens of thousands of messages that only count who got what.
   */
  keepRaw?: boolean;
}

export interface TestSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>` (`smtps://` when secure; with the credentials when auth is on). */
  url: string;
  /** Accepted messages, in arrival order. */
  messages: ReceivedMessage[];
  /** Connections that failed on the client's side (resets, a killed client), in order. */
  connectionErrors: Error[];
  /** Every RCPT with the code it got. */
  rcpts: { to: string; connection: number; code: number }[];
  /** Every DATA that was answered, accepted or not. */
  dataReplies: { to: string[]; code: number; connection: number }[];
  /** Every login attempt. */
  auths: { method: string; user: string; ok: boolean; connection: number }[];
  /** Connections opened so far. */
  connections(): number;
  /** Connections open right now. */
  openConnections(): number;
  /** Most connections open at the same time so far. */
  peakConnections(): number;
  /**
   * Every byte a connection's client sent, as latin1 text, and how it arrived in socket reads
   * (`chunks`, to see what was pipelined). After STARTTLS, or on smtps, the bytes are ciphertext.
   */
  clientBytes(connection: number): { text: string; chunks: string[] };
  /** Resolves once `n` messages were accepted; rejects after `timeoutMs` (default 5 s). */
  waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);

/** Starts a server on 127.0.0.1. */
export async function startTestSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const connectionErrors: Error[] = [];
  const rcpts: TestSmtpServer['rcpts'] = [];
  const dataReplies: TestSmtpServer['dataReplies'] = [];
  const attempts = new Map<string, number>();
  const connectionOf = new Map<string, number>();
  /** The MAIL FROM time of each session's current transaction (one at a time per session). */
  const transactionStart = new Map<string, number>();
  const sockets = new Map<number, Socket>();
  const waiters: (() => void)[] = [];
  const auths: TestSmtpServer['auths'] = [];
  /** Client bytes by the client's port; connections are mapped to ports at onConnect. */
  const chunksByPort = new Map<number, Buffer[]>();
  const portOf = new Map<number, number>();
  let connections = 0;
  let open = 0;
  let peak = 0;

  /** Message bytes are kept for the test, or for a reply script (its `data` event carries them). */
  const keepBytes = options.keepRaw !== false || options.reply !== undefined;
  // Counted only for a reply script, the one reader of `attempt` (a long run would hold a key per message).
  const attempt = (key: string): number => {
    if (!options.reply) return 0;
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    return n;
  };

  /** Runs a scripted reply: calls back with an error (code ≥ 400), with success, or never (dropped). */
  const act = (
    session: SMTPServerSession,
    scripted: ScriptedReply | undefined,
    done: (code: number, message: string | undefined) => void,
  ): void => {
    const run = (): void => {
      // The connection died while the server was "thinking" (the client left, or the server was
      // closed): like a real server that has not committed the message yet, it takes nothing.
      if ((scripted?.delayMs || scripted?.after) && !sockets.has(session.remotePort)) return;
      if (scripted && 'drop' in scripted) {
        sockets.get(session.remotePort)?.destroy();
        return;
      }
      done(scripted?.code ?? 250, scripted?.message);
    };
    if (scripted?.after) void scripted.after.then(run, run);
    else if (scripted?.delayMs) setTimeout(run, scripted.delayMs);
    else run();
  };

  const smtpError = (code: number, message: string | undefined): Error & { responseCode: number } =>
    Object.assign(new Error(message ?? 'scripted failure'), { responseCode: code });

  const disabledCommands = [
    ...(options.starttls ? [] : ['STARTTLS']),
    ...(options.auth ? [] : ['AUTH']),
    ...(options.refuseEhlo ? ['EHLO'] : []),
  ];
  const server = new SMTPServer({
    logger: false,
    secure: options.secure ?? false,
    disabledCommands,
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    hidePIPELINING: options.hidePipelining ?? false,
    ...(options.size ? { size: options.size } : {}),
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    closeTimeout: 1_000,
    onConnect(session, callback) {
      const connection = ++connections;
      connectionOf.set(session.id, connection);
      portOf.set(connection, session.remotePort);
      callback();
    },
    onAuth(auth, session, callback) {
      const ok = auth.username === options.auth?.user && auth.password === options.auth?.pass;
      auths.push({ method: auth.method, user: auth.username ?? '', ok, connection: connectionOf.get(session.id) ?? 0 });
      if (ok) callback(null, { user: auth.username });
      else callback(smtpError(535, '5.7.8 bad credentials'));
    },
    onMailFrom(address, session, callback) {
      transactionStart.set(session.id, performance.now());
      const connection = connectionOf.get(session.id) ?? 0;
      const event: SmtpEvent = { stage: 'mail', from: address.address, to: [], attempt: attempt(`mail:${address.address}`), connection };
      act(session, options.reply?.(event), (code, message) => callback(code >= 400 ? smtpError(code, message) : null));
    },
    onRcptTo(address, session, callback) {
      const connection = connectionOf.get(session.id) ?? 0;
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const event: SmtpEvent = { stage: 'rcpt', from, to: [address.address], attempt: attempt(`rcpt:${address.address}`), connection };
      act(session, options.reply?.(event), (code, message) => {
        rcpts.push({ to: address.address, connection, code });
        callback(code >= 400 ? smtpError(code, message) : null);
      });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      if (keepBytes) stream.on('data', (c: Buffer) => chunks.push(c));
      else stream.resume();
      stream.on('end', () => {
        const raw = keepBytes ? Buffer.concat(chunks) : EMPTY;
        const connection = connectionOf.get(session.id) ?? 0;
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const to = session.envelope.rcptTo.map((r) => r.address);
        const event: SmtpEvent = { stage: 'data', from, to, attempt: attempt(`data:${to.join(',')}`), connection, raw };
        act(session, options.reply?.(event), (code, message) => {
          dataReplies.push({ to, code, connection });
          if (code >= 400) return callback(smtpError(code, message));
          const reply = message ?? `OK: queued as ${messages.length + 1}`;
          const startedAt = transactionStart.get(session.id) ?? performance.now();
          messages.push({ from, to, raw: options.keepRaw === false ? EMPTY : raw, connection, reply: `250 ${reply}`, secure: session.secure, startedAt });
          waiters.splice(0).forEach((wake) => wake());
          callback(null, reply);
        });
      });
    },
  });
  // Scripted drops need the raw socket; sessions are matched to it by the client's port.
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort ?? 0;
    sockets.set(port, socket);
    // Every byte of every connection, unless told to keep no message bytes: a long run would hold
    // gigabytes, and the collector's work on them would slow this server as the run goes on.
    if (options.keepRaw !== false) {
      const chunks: Buffer[] = [];
      chunksByPort.set(port, chunks);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    }
    peak = Math.max(peak, ++open);
    socket.on('close', () => {
      open--;
      sockets.delete(port);
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  // A client that dies mid-transaction (a SIGKILLed worker) surfaces as a server 'error' event;
  // it is part of what the fault tests do, so it is recorded, not thrown.
  server.on('error', (err: Error) => connectionErrors.push(err));
  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : '';

  return {
    port,
    url: `${options.secure ? 'smtps' : 'smtp'}://${credentials}127.0.0.1:${port}`,
    messages,
    connectionErrors,
    rcpts,
    dataReplies,
    auths,
    connections: () => connections,
    openConnections: () => open,
    peakConnections: () => peak,
    clientBytes(connection) {
      const chunks = chunksByPort.get(portOf.get(connection) ?? -1) ?? [];
      return { text: Buffer.concat(chunks).toString('latin1'), chunks: chunks.map((c) => c.toString('latin1')) };
    },
    async waitForMessages(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} messages, got ${messages.length} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages.slice(0, n);
    },
    async close() {
      for (const socket of sockets.values()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
