/**
 * One SMTP connection: connect (plain or TLS), greeting, EHLO (HELO when EHLO is refused),
 * STARTTLS, AUTH, then one mail transaction at a time. `smtp-client.ts` pools these.
 *
 * Replies are matched to commands in order through a FIFO of waiters, which is what lets a
 * transaction pipeline MAIL, RCPT and DATA in one write (RFC 2920). Every wait has a timer;
 * a timeout, a protocol error or a closed socket fails every waiter and destroys the socket,
 * so a connection is either usable or gone, never half-open.
 */
import { isAscii } from 'node:buffer';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { toSmtpData } from './smtp-data.ts';
import { type SmtpTlsOptions, tlsConnectOptions } from './smtp-tls.ts';

/** Per message. */
export interface SendOptions {
  /** `raw` is already SMTP-ready and ASCII (see `OutgoingMessage.smtpReady`): sent unchecked. */
  smtpReady?: boolean | undefined;
  /**
   * Header fields to send on top of `raw`, SMTP-ready and ASCII: the DKIM-Signature fields, so a
   * signed message is not copied whole just to put them in front.
   */
  prefix?: Buffer | undefined;
}
import { noExtensions, parseEhlo, SmtpError, SmtpReplyReader, type SmtpExtensions, type SmtpReply } from './smtp-reply.ts';

/** Where to connect and how to log in. */
export interface SmtpServerAddress {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** TLS from the first byte (`smtps://`, usually port 465) instead of STARTTLS. */
  implicitTls: boolean;
  credentials?: { user: string; pass: string } | undefined;
}

/** Milliseconds to wait at each step; any of them running out fails the step as `ETIMEDOUT`. */
export interface SmtpTimeouts {
  /** TCP connect, and the TLS handshake on `smtps://`. */
  connectMs: number;
  /** The server's 220 greeting after connecting. */
  greetingMs: number;
  /** The reply to each command (EHLO, STARTTLS and its handshake, AUTH, MAIL, RCPT, DATA, RSET). */
  commandMs: number;
  /** The reply after the message and its final `.`: the server may scan it before answering. */
  dataMs: number;
}

export interface SmtpConnectionOptions {
  server: SmtpServerAddress;
  timeouts: SmtpTimeouts;
  /** Accept a certificate that does not verify. */
  allowInvalidCertificate: boolean;
  /** A private CA and the name to check (see smtp-tls.ts). Default: Node's CAs, the URL's host. */
  tls?: SmtpTlsOptions | undefined;
  /** Name for EHLO; default the machine's name when it is a FQDN, else the local address literal. */
  clientName?: string | undefined;
  /** Called once when the socket has closed, for whatever reason. */
  onClose?: ((connection: SmtpConnection) => void) | undefined;
}

interface Waiter {
  stage: string;
  timeoutMs: number;
  resolve(reply: SmtpReply): void;
  reject(err: SmtpError): void;
}

// Ends the data; the message itself ends with CRLF (smtp-data.ts sees to it).
const DOT_CRLF = Buffer.from('.\r\n');
// QUIT is a courtesy: a server slow to say goodbye must not hold up a shutdown.
const QUIT_WAIT_MS = 5_000;
// Envelope addresses go inside `<…>` on a command line: no controls, spaces or angle brackets.
const UNSAFE_ADDRESS = /[\x00-\x20\x7f<>]/;
const NON_ASCII = /[^\x00-\x7f]/;

/** Why an envelope cannot be written into MAIL FROM / RCPT TO, or `undefined` when it can. An empty `from` is the null sender `<>`. */
export function envelopeProblem(envelope: { from: string; to: string }): string | undefined {
  if (UNSAFE_ADDRESS.test(envelope.from)) return `envelope sender cannot be sent: ${JSON.stringify(envelope.from)}`;
  if (!envelope.to || UNSAFE_ADDRESS.test(envelope.to)) return `envelope recipient cannot be sent: ${JSON.stringify(envelope.to)}`;
  return undefined;
}

/**
 * Decides TLS for a connection that started in clear, after the server's EHLO: upgrade when
 * STARTTLS is offered; otherwise go on in clear only when there is no password to protect or
 * the server is this machine (`remoteAddress` is the connected peer, not a name that could
 * resolve anywhere).
 */
export function tlsDecision(starttlsOffered: boolean, hasCredentials: boolean, remoteAddress: string | undefined): 'starttls' | 'clear' | 'refuse' {
  if (starttlsOffered) return 'starttls';
  if (!hasCredentials || isLoopbackAddress(remoteAddress)) return 'clear';
  return 'refuse';
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(address);
}

/** An open, logged-in SMTP connection. Create with {@link SmtpConnection.open}. */
export class SmtpConnection {
  /** Messages the server accepted on this connection. */
  messages = 0;
  /** What the server announced after the last EHLO. */
  extensions: SmtpExtensions = noExtensions();

  private socket: Socket;
  private readonly reader = new SmtpReplyReader();
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** False until the TCP (and, for smtps, TLS) connection is up: until then only the connect timer runs. */
  private connected = false;
  private tlsHandshaking: boolean;
  /** Rejects a pending connect or TLS handshake when the connection fails. */
  private abortWait: ((err: SmtpError) => void) | undefined;
  private failure: SmtpError | undefined;
  /** A 421 seen: the server is closing this connection. */
  private closingReply: SmtpReply | undefined;
  private readonly closed: Promise<void>;
  private reportClosed: (() => void) | undefined;

  /** Connects, reads the greeting, says EHLO, upgrades to TLS and logs in. Rejects with {@link SmtpError}. */
  static async open(options: SmtpConnectionOptions): Promise<SmtpConnection> {
    const connection = new SmtpConnection(options);
    try {
      await connection.handshake();
      return connection;
    } catch (err) {
      connection.fail(err instanceof SmtpError ? err : new SmtpError('ECONNECTION', String(err), { command: 'CONN', cause: err }));
      throw connection.failure;
    }
  }

  private constructor(private readonly options: SmtpConnectionOptions) {
    const { host, port, implicitTls } = options.server;
    this.tlsHandshaking = implicitTls;
    this.socket = implicitTls
      ? tlsConnect({ host, port, ...this.tlsOptions() })
      : netConnect({ host, port });
    this.socket.setNoDelay(true);
    this.closed = new Promise((resolve) => {
      this.reportClosed = () => {
        resolve();
        options.onClose?.(this);
      };
    });
    this.listen(this.socket);
  }

  /** True while the connection can carry another transaction. */
  get usable(): boolean {
    return !this.failure && !this.closingReply;
  }

  /**
   * Sends one message to one recipient. Resolves with the server's 250 reply; rejects with an
   * {@link SmtpError} for a refusal (the connection stays usable; call {@link reset}) or a
   * failure of the connection (it is gone).
   */
  async send(envelope: { from: string; to: string }, raw: Buffer, opts: SendOptions = {}): Promise<string> {
    if (this.failure) throw this.failure;
    const ext = this.extensions;
    const data = opts.smtpReady ? raw : toSmtpData(raw);
    const prefix = opts.prefix;
    const size = (prefix?.length ?? 0) + data.length;
    if (ext.size !== undefined && size > ext.size) {
      // Refused here, before any byte is sent: the server said it would refuse it (RFC 1870).
      throw new SmtpError('EMESSAGE', 'message too large', {
        command: 'SIZE',
        reply: { code: 552, text: `552 5.3.4 message of ${size} bytes exceeds the server's SIZE limit of ${ext.size} bytes`, lines: [] },
      });
    }
    const international = NON_ASCII.test(envelope.from) || NON_ASCII.test(envelope.to);
    if (international && !ext.smtpUtf8) {
      throw new SmtpError('EENVELOPE', `the server does not take non-ASCII addresses (no SMTPUTF8): ${envelope.to}`, { command: 'RCPT TO' });
    }
    let params = ext.sizeAnnounced ? ` SIZE=${size}` : '';
    if (ext.eightBitMime && !opts.smtpReady && !isAscii(data)) params += ' BODY=8BITMIME';
    if (international) params += ' SMTPUTF8';
    const mailCommand = `MAIL FROM:<${envelope.from}>${params}\r\n`;
    const rcptCommand = `RCPT TO:<${envelope.to}>\r\n`;
    const { commandMs, dataMs } = this.options.timeouts;

    let mail: SmtpReply;
    let rcpt: SmtpReply | undefined;
    let dataReply: SmtpReply | undefined;
    if (ext.pipelining) {
      // One write, three replies: the round trips that dominate a small transaction.
      this.socket.write(mailCommand + rcptCommand + 'DATA\r\n');
      [mail, rcpt, dataReply] = await Promise.all([
        this.expect('MAIL FROM', commandMs),
        this.expect('RCPT TO', commandMs),
        this.expect('DATA', commandMs),
      ]);
    } else {
      mail = await this.command(mailCommand, 'MAIL FROM', commandMs);
      if (mail.code === 250) rcpt = await this.command(rcptCommand, 'RCPT TO', commandMs);
      if (rcpt?.code === 250 || rcpt?.code === 251) dataReply = await this.command('DATA\r\n', 'DATA', commandMs);
    }

    const envelopeTaken = mail.code === 250 && (rcpt?.code === 250 || rcpt?.code === 251);
    if (!envelopeTaken || dataReply?.code !== 354) {
      // A server that answered 354 despite a refused MAIL or RCPT waits for a message: end an
      // empty one so the connection stays in step (RFC 2920 §3.1); it cannot deliver anywhere.
      if (dataReply?.code === 354) {
        this.socket.write(DOT_CRLF);
        await this.expect('DATA', dataMs);
      }
      if (mail.code !== 250) throw new SmtpError('EENVELOPE', 'MAIL FROM refused', { command: 'MAIL FROM', reply: mail });
      if (!envelopeTaken) throw new SmtpError('EENVELOPE', 'RCPT TO refused', { command: 'RCPT TO', reply: rcpt });
      throw new SmtpError('EMESSAGE', 'DATA refused', { command: 'DATA', reply: dataReply });
    }

    // Corked, the message and its terminator leave in one writev.
    this.socket.cork();
    if (prefix) this.socket.write(prefix);
    this.socket.write(data);
    this.socket.write(DOT_CRLF);
    this.socket.uncork();
    const done = await this.expect('DATA', dataMs);
    if (done.code !== 250) throw new SmtpError('EMESSAGE', 'message refused', { command: 'DATA', reply: done });
    this.messages++;
    return done.text;
  }

  /** RSET: clears a failed transaction so the connection can start the next. */
  async reset(): Promise<void> {
    const reply = await this.command('RSET\r\n', 'RSET', this.options.timeouts.commandMs);
    if (reply.code !== 250) {
      const err = new SmtpError('EPROTOCOL', 'RSET refused', { command: 'RSET', reply });
      this.fail(err);
      throw err;
    }
  }

  /** Says QUIT (when the connection still works), then closes. Resolves when the socket is closed; never rejects. */
  async quit(): Promise<void> {
    if (this.usable) {
      try {
        await this.command('QUIT\r\n', 'QUIT', Math.min(this.options.timeouts.commandMs, QUIT_WAIT_MS));
      } catch {
        // Closing anyway.
      }
    }
    this.destroy();
    await this.closed;
  }

  /** Closes the socket now; waiting commands fail as `ECONNECTION`. */
  destroy(): void {
    this.fail(new SmtpError('ECONNECTION', 'connection closed by the client'));
  }

  private tlsOptions(): ConnectionOptions {
    const { server, tls, allowInvalidCertificate } = this.options;
    return tlsConnectOptions(server.host, { ...tls, insecure: allowInvalidCertificate || tls?.insecure });
  }

  private async handshake(): Promise<void> {
    const { server, timeouts } = this.options;
    await this.waitForSocket(server.implicitTls ? 'secureConnect' : 'connect', timeouts.connectMs);
    const greeting = await this.expect('CONN', timeouts.greetingMs);
    if (greeting.code !== 220) throw new SmtpError('EPROTOCOL', 'the server refused the connection', { command: 'CONN', reply: greeting });
    await this.hello();
    if (!server.implicitTls) {
      const decision = tlsDecision(this.extensions.starttls, !!server.credentials, this.socket.remoteAddress);
      if (decision === 'refuse') {
        throw new SmtpError('ETLS', `${server.host} does not offer STARTTLS; refusing to send the password in clear text`, { command: 'CONN' });
      }
      if (decision === 'starttls') await this.startTls();
    }
    if (server.credentials) await this.authenticate(server.credentials);
  }

  private async hello(): Promise<void> {
    const name = this.options.clientName ?? this.defaultClientName();
    const { commandMs } = this.options.timeouts;
    const ehlo = await this.command(`EHLO ${name}\r\n`, 'EHLO', commandMs);
    if (ehlo.code === 250) {
      this.extensions = parseEhlo(ehlo);
      return;
    }
    if (ehlo.code >= 500) {
      // An old server that knows only HELO: no extensions at all.
      const helo = await this.command(`HELO ${name}\r\n`, 'HELO', commandMs);
      if (helo.code === 250) {
        this.extensions = noExtensions();
        return;
      }
      throw new SmtpError('EPROTOCOL', 'HELO refused', { command: 'CONN', reply: helo });
    }
    throw new SmtpError('EPROTOCOL', 'EHLO refused', { command: 'CONN', reply: ehlo });
  }

  private async startTls(): Promise<void> {
    const { timeouts } = this.options;
    const reply = await this.command('STARTTLS\r\n', 'STARTTLS', timeouts.commandMs);
    if (reply.code !== 220) throw new SmtpError('ETLS', 'STARTTLS refused', { command: 'STARTTLS', reply });
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('error');
    // Errors on the plain socket now surface through the TLS socket that wraps it.
    plain.on('error', () => undefined);
    // Anything that arrived in clear after the 220 could be an injected reply: drop it.
    this.reader.reset();
    this.tlsHandshaking = true;
    this.connected = false;
    this.socket = tlsConnect({ socket: plain, ...this.tlsOptions() });
    this.listen(this.socket);
    await this.waitForSocket('secureConnect', timeouts.commandMs);
    await this.hello();
  }

  private async authenticate(credentials: { user: string; pass: string }): Promise<void> {
    const { commandMs } = this.options.timeouts;
    const auth = this.extensions.auth;
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    let reply: SmtpReply;
    let mechanism: string;
    if (auth.has('PLAIN')) {
      mechanism = 'AUTH PLAIN';
      const token = b64(`\0${credentials.user}\0${credentials.pass}`);
      reply = await this.command(`AUTH PLAIN ${token}\r\n`, mechanism, commandMs);
      // A server that does not take the initial response asks for it with an empty 334.
      if (reply.code === 334) reply = await this.command(`${token}\r\n`, mechanism, commandMs);
    } else if (auth.has('LOGIN')) {
      mechanism = 'AUTH LOGIN';
      reply = await this.command('AUTH LOGIN\r\n', mechanism, commandMs);
      if (reply.code === 334) reply = await this.command(`${b64(credentials.user)}\r\n`, mechanism, commandMs);
      if (reply.code === 334) reply = await this.command(`${b64(credentials.pass)}\r\n`, mechanism, commandMs);
    } else {
      throw new SmtpError('EAUTH', `the server offers no AUTH PLAIN or LOGIN (it offers: ${[...auth].join(' ') || 'none'})`, { command: 'AUTH' });
    }
    if (reply.code !== 235) throw new SmtpError('EAUTH', `${mechanism} refused`, { command: mechanism, reply });
  }

  /** Writes a command line and waits for its reply. */
  private command(line: string, stage: string, timeoutMs: number): Promise<SmtpReply> {
    const reply = this.expect(stage, timeoutMs);
    if (!this.failure) this.socket.write(line);
    return reply;
  }

  /** The next reply, in order. Rejects when the connection fails or `timeoutMs` passes first. */
  private expect(stage: string, timeoutMs: number): Promise<SmtpReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ stage, timeoutMs, resolve, reject });
      if (this.waiters.length === 1) this.arm();
    });
  }

  /** (Re)starts the timer for the oldest waiter; stops it when nobody waits. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.waiters[0];
    if (!head || !this.connected) return;
    this.timer = setTimeout(() => {
      const what = head.stage === 'CONN' ? 'greeting' : `reply to ${head.stage}`;
      this.fail(new SmtpError('ETIMEDOUT', `timeout: no ${what} within ${head.timeoutMs} ms`, { command: head.stage }));
    }, head.timeoutMs);
  }

  /** Resolves on `event` (the socket is up); rejects when the connection fails or `timeoutMs` passes. */
  private waitForSocket(event: 'connect' | 'secureConnect', timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const what = event === 'connect' ? 'connection' : 'TLS handshake';
        this.fail(new SmtpError('ETIMEDOUT', `timeout: ${what} not done within ${timeoutMs} ms`, { command: 'CONN' }));
      }, timeoutMs);
      this.abortWait = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      this.socket.once(event, () => {
        clearTimeout(timer);
        this.abortWait = undefined;
        this.connected = true;
        this.tlsHandshaking = false;
        this.arm();
        resolve();
      });
    });
  }

  private listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = this.tlsHandshaking && !/^E[A-Z]+$/.test(err.code ?? '') ? 'ETLS' : (err.code ?? 'ESOCKET');
      this.fail(new SmtpError(code, err.message, { command: this.connected ? this.waiters[0]?.stage : 'CONN', cause: err }));
    });
    socket.on('close', () => {
      const reply = this.closingReply;
      this.fail(
        reply
          ? new SmtpError('ECONNECTION', 'the server closed the connection', { command: this.waiters[0]?.stage, reply })
          : new SmtpError('ECONNECTION', 'connection closed unexpectedly', { command: this.waiters[0]?.stage }),
      );
      // After STARTTLS both the plain and the TLS socket may report it: once is enough.
      this.reportClosed?.();
      this.reportClosed = undefined;
    });
  }

  private onData(chunk: Buffer): void {
    let replies: SmtpReply[];
    try {
      replies = this.reader.push(chunk);
    } catch (err) {
      this.fail(err as SmtpError);
      return;
    }
    for (const reply of replies) {
      if (reply.code === 421) this.closingReply = reply;
      const waiter = this.waiters.shift();
      if (!waiter) {
        // A reply nobody asked for: a 421 on an idle connection, or a server out of step.
        this.fail(new SmtpError(reply.code === 421 ? 'ECONNECTION' : 'EPROTOCOL', 'unexpected reply', { reply }));
        return;
      }
      waiter.resolve(reply);
    }
    if (replies.length) this.arm();
  }

  /** Marks the connection failed (first failure wins), fails every waiter, closes the socket. */
  private fail(err: SmtpError): void {
    if (this.failure) return;
    this.failure = err;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abortWait?.(err);
    this.abortWait = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
    this.socket.destroy();
  }

  private defaultClientName(): string {
    const name = hostname();
    if (name.includes('.') && /^[A-Za-z0-9.-]+$/.test(name)) return name;
    const local = this.socket.localAddress ?? '127.0.0.1';
    return isIP(local) === 6 ? `[IPv6:${local}]` : `[${local}]`;
  }
}
