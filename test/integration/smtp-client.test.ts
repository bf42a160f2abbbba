import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { prepareCampaignMessage } from '../../src/mail/campaign-message.ts';
import { createMailTransport } from '../../src/mail/create-transport.ts';
import { createSmtpClient, type SmtpClient, type SmtpClientOptions } from '../../src/mail/smtp-client.ts';
import { SmtpError } from '../../src/mail/smtp-reply.ts';
import { classifySmtpFailure } from '../../src/mail/transport.ts';
import { compiled, newsletter, recipient } from '../support/fixtures.ts';
import { startTestSmtpServer, type TestSmtpServer, type TestSmtpServerOptions } from '../support/smtp-server.ts';

const message = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'c1', listId: 'main' } });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const smtp = await startTestSmtpServer(options);
  cleanups.push(() => smtp.close());
  return smtp;
}
function client(options: SmtpClientOptions): SmtpClient {
  const c = createSmtpClient(options);
  cleanups.push(() => c.close());
  return c;
}
/** A plain TCP server that does what `onSocket` says with each connection; counts them. */
async function rawServer(onSocket: (socket: Socket) => void): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => tcp.close(resolve));
  });
  return { port: (tcp.address() as { port: number }).port, connections: () => connections };
}
/** What a send was refused with. */
async function refusal(sending: Promise<string>): Promise<SmtpError> {
  const err = await sending.then(
    (response) => new Error(`expected a refusal, got ${response}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SmtpError);
  return err as SmtpError;
}
const envelopeOf = (n: number) => ({ from: 'news@briefing.example.com', to: recipient(n).email });
const raw = (n: number) => message.render(recipient(n)).raw;

describe('newsdesk SMTP client: protocol', () => {
  it('pipelines MAIL FROM, RCPT TO and DATA in one write when the server offers PIPELINING', async () => {
    const smtp = await server();
    const c = client({ url: smtp.url });
    expect(await c.send(envelopeOf(1), raw(1))).toBe('250 OK: queued as 1');
    const { chunks } = smtp.clientBytes(1);
    expect(chunks).toContainEqual(expect.stringMatching(/^MAIL FROM:<news@briefing\.example\.com>.*\r\nRCPT TO:<reader1@inbox\.example\.org>\r\nDATA\r\n$/));
  });

  it('sends one command at a time when the server does not offer PIPELINING', async () => {
    const smtp = await server({ hidePipelining: true });
    const c = client({ url: smtp.url });
    const sent = raw(1);
    await c.send(envelopeOf(1), sent);
    expect(smtp.messages[0]?.raw.equals(sent)).toBe(true);
    const { text, chunks } = smtp.clientBytes(1);
    expect(text).toMatch(/MAIL FROM:.*\r\nRCPT TO:.*\r\nDATA\r\n/);
    // Each command waited for the previous reply, so none shares a socket read with another.
    for (const chunk of chunks) expect(chunk.match(/^(MAIL FROM|RCPT TO|DATA)\b/gm)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('falls back to HELO when EHLO is refused, and then uses no extensions', async () => {
    const smtp = await server({ refuseEhlo: true });
    const c = client({ url: smtp.url, clientName: 'sender.example.com' });
    await c.send(envelopeOf(1), raw(1));
    const { text } = smtp.clientBytes(1);
    expect(text).toMatch(/^EHLO sender\.example\.com\r\nHELO sender\.example\.com\r\nMAIL FROM:<news@briefing\.example\.com>\r\n/);
    expect(smtp.messages).toHaveLength(1);
  });

  it('delivers the exact bytes: lines starting with a dot survive, a bare LF arrives as CRLF, a missing final CRLF is added', async () => {
    const smtp = await server();
    const c = client({ url: smtp.url });
    const dotted = Buffer.from('Subject: dots\r\n\r\n.\r\n..two\r\n.leading\r\nend\r\n', 'latin1');
    const bareLf = Buffer.from('Subject: lf\n\nline one\nline two\r\n.dot after LF\n', 'latin1');
    const unterminated = Buffer.from('Subject: no end\r\n\r\nlast line', 'latin1');
    const rendered = raw(1);
    for (const [i, body] of [dotted, bareLf, unterminated, rendered].entries()) await c.send(envelopeOf(i), body);
    const got = smtp.messages.map((m) => m.raw.toString('latin1'));
    expect(got[0]).toBe(dotted.toString('latin1'));
    expect(got[1]).toBe('Subject: lf\r\n\r\nline one\r\nline two\r\n.dot after LF\r\n');
    expect(got[2]).toBe('Subject: no end\r\n\r\nlast line\r\n');
    expect(smtp.messages[3]?.raw.equals(rendered)).toBe(true);
    // On the wire the dotted lines went stuffed, the rendered message as it was.
    expect(smtp.clientBytes(1).text).toContain('\r\n\r\n..\r\n...two\r\n..leading\r\nend\r\n.\r\n');
  });

  it('announces SIZE and an 8-bit body in MAIL FROM, and refuses an oversized message without sending it', async () => {
    const smtp = await server({ size: 5_000 });
    const c = client({ url: smtp.url, poolSize: 1 });
    const eightBit = Buffer.from('Subject: caf\u00e9\r\n\r\nna\u00efve\r\n', 'utf8');
    await c.send(envelopeOf(1), eightBit);
    expect(smtp.clientBytes(1).text).toContain(`MAIL FROM:<news@briefing.example.com> SIZE=${eightBit.length} BODY=8BITMIME\r\n`);

    const big = Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(76)}\r\n`.repeat(100), 'latin1');
    const err = await refusal(c.send(envelopeOf(2), big));
    expect(classifySmtpFailure(err)).toMatchObject({ kind: 'permanent', hardBounce: false, code: 552, enhancedCode: '5.3.4' });
    expect(err.response).toMatch(/exceeds the server's SIZE limit of 5000/);
    expect(smtp.clientBytes(1).text.match(/MAIL FROM/g)).toHaveLength(1);
    // The connection carries on.
    await c.send(envelopeOf(3), raw(3));
    expect(smtp.messages.map((m) => m.connection)).toEqual([1, 1]);
  });

  it('sends a prefix (DKIM-Signature fields) on top of the message, counted in SIZE, both ready or checked', async () => {
    const smtp = await server({ size: 200_000 });
    const c = client({ url: smtp.url, poolSize: 1 });
    const prefix = Buffer.from('DKIM-Signature: v=1; a=rsa-sha256;\r\n b=abc\r\n', 'latin1');
    const rendered = raw(1);
    await c.send(envelopeOf(1), rendered, { smtpReady: true, prefix });
    const dotted = Buffer.from('Subject: dots\r\n\r\n.leading\r\n', 'latin1');
    await c.send(envelopeOf(2), dotted, { prefix });
    expect(smtp.messages[0]?.raw.equals(Buffer.concat([prefix, rendered]))).toBe(true);
    expect(smtp.messages[1]?.raw.toString('latin1')).toBe(`${prefix.toString('latin1')}Subject: dots\r\n\r\n.leading\r\n`);
    expect(smtp.clientBytes(1).text).toContain(`SIZE=${prefix.length + rendered.length}\r\n`);
  });

  it('asks for SMTPUTF8 for a non-ASCII address', async () => {
    const smtp = await server();
    const c = client({ url: smtp.url });
    await c.send({ from: 'news@briefing.example.com', to: 'zoë@inbox.example.org' }, raw(1));
    expect(smtp.messages[0]?.to).toEqual(['zoë@inbox.example.org']);
    expect(Buffer.from(smtp.clientBytes(1).text, 'latin1').toString('utf8')).toContain('RCPT TO:<zoë@inbox.example.org>');
    expect(smtp.clientBytes(1).text).toContain('MAIL FROM:<news@briefing.example.com> SMTPUTF8\r\n');
  });

  it('refuses an envelope that would break the command line, before any connection', async () => {
    const smtp = await server();
    const c = client({ url: smtp.url });
    const err = await refusal(c.send({ from: 'news@briefing.example.com', to: 'x@y.org>\r\nRCPT TO:<evil@y.org' }, raw(1)));
    expect(classifySmtpFailure(err)).toMatchObject({ kind: 'permanent', hardBounce: false });
    expect(smtp.connections()).toBe(0);
  });
});

describe('newsdesk SMTP client: TLS and login', () => {
  it('upgrades with STARTTLS before anything else is said, and logs in only inside TLS', async () => {
    const smtp = await server({ starttls: true, auth: { user: 'news', pass: 'pw' } });
    const c = client({ url: smtp.url, allowInvalidCertificate: true });
    await c.send(envelopeOf(1), raw(1));
    expect(smtp.messages[0]?.secure).toBe(true);
    expect(smtp.auths).toEqual([{ method: 'PLAIN', user: 'news', ok: true, connection: 1 }]);
    const clear = smtp.clientBytes(1).text;
    expect(clear).toMatch(/^EHLO \S+\r\nSTARTTLS\r\n/);
    expect(clear).not.toMatch(/AUTH|MAIL FROM|bmV3cw/); // bmV3cw: "news" in base64
  });

  it('refuses a STARTTLS certificate that does not verify unless told otherwise', async () => {
    const smtp = await server({ starttls: true });
    const err = await refusal(client({ url: smtp.url }).send(envelopeOf(1), raw(1)));
    expect(err.code).toBe('ETLS');
    expect(err.message).toMatch(/certificate/i);
    expect(classifySmtpFailure(err)).toMatchObject({ kind: 'transient' });
    expect(smtp.messages).toHaveLength(0);
  });

  it('speaks TLS from the first byte on smtps://', async () => {
    const smtp = await server({ secure: true });
    await client({ url: smtp.url, allowInvalidCertificate: true }).send(envelopeOf(1), raw(1));
    expect(smtp.messages[0]?.secure).toBe(true);
    expect(smtp.clientBytes(1).text).not.toContain('EHLO');
  });

  it.each([['PLAIN'], ['LOGIN']] as const)('logs in with AUTH %s', async (method) => {
    const smtp = await server({ auth: { user: 'news', pass: 'pässword' }, authMethods: [method] });
    const c = client({ url: smtp.url });
    await c.verify();
    await c.send(envelopeOf(1), raw(1));
    expect(smtp.auths.map((a) => [a.method, a.ok])).toEqual([
      [method, true], // verify()
      [method, true], // the send's connection
    ]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('reports refused credentials as EAUTH (transient: our settings, not the recipient)', async () => {
    const smtp = await server({ auth: { user: 'news', pass: 'right' } });
    const c = client({ url: smtp.url.replace(':right@', ':wrong@') });
    const err = await c.verify().then(() => undefined, (e: unknown) => e as SmtpError);
    expect(err).toMatchObject({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535 });
    expect(err?.message).not.toContain('wrong');
    expect(classifySmtpFailure(await refusal(c.send(envelopeOf(1), raw(1))))).toMatchObject({ kind: 'transient', code: 535 });
  });
});

describe('newsdesk SMTP client: failures and the pool', () => {
  it.each([[false], [true]])('reports a refused RCPT as permanent, RSETs and sends the next message on the same connection (pipelining hidden: %s)', async (hidePipelining) => {
    const smtp = await server({
      hidePipelining,
      reply: (e) => (e.stage === 'rcpt' && e.to[0] === recipient(1).email ? { code: 550, message: '5.1.1 <reader1@inbox.example.org>: user unknown' } : undefined),
    });
    const c = client({ url: smtp.url, poolSize: 1 });
    const err = await refusal(c.send(envelopeOf(1), raw(1)));
    expect(err).toMatchObject({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 });
    expect(classifySmtpFailure(err)).toMatchObject({ kind: 'permanent', hardBounce: true, enhancedCode: '5.1.1' });
    await c.send(envelopeOf(2), raw(2));
    expect(smtp.messages.map((m) => [m.to[0], m.connection])).toEqual([[recipient(2).email, 1]]);
    expect(smtp.connections()).toBe(1);
    expect(smtp.clientBytes(1).text).toContain('RSET\r\n');
    // No message body was sent for the refused recipient.
    expect(smtp.clientBytes(1).text.match(/^Message-ID:/gm)).toHaveLength(1);
  });

  it('reports a refused MAIL FROM and stays usable', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'mail' && e.attempt === 1 ? { code: 451, message: '4.7.1 slow down' } : undefined) });
    const c = client({ url: smtp.url, poolSize: 1 });
    const err = await refusal(c.send(envelopeOf(1), raw(1)));
    expect(err).toMatchObject({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 451 });
    expect(classifySmtpFailure(err)).toMatchObject({ kind: 'transient', code: 451 });
    await c.send(envelopeOf(2), raw(2));
    expect(smtp.messages.map((m) => m.connection)).toEqual([1]);
  });

  it('reports a 421 mid-session as transient, and the next send reconnects', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'rcpt' && e.attempt === 1 ? { code: 421, message: '4.3.2 shutting down' } : undefined) });
    const c = client({ url: smtp.url, poolSize: 1 });
    const err = await refusal(c.send(envelopeOf(1), raw(1)));
    expect(classifySmtpFailure(err)).toMatchObject({ kind: 'transient', code: 421, enhancedCode: '4.3.2' });
    await c.send(envelopeOf(1), raw(1));
    expect(smtp.messages.map((m) => m.connection)).toEqual([2]);
  });

  it('replaces a connection the server dropped while it sat idle', async () => {
    const smtp = await server();
    const c = client({ url: smtp.url, poolSize: 1 });
    await c.send(envelopeOf(1), raw(1));
    await smtp.close(); // drops every connection…
    const again = await server({ port: smtp.port }); // …and a new server takes the same port
    await new Promise((resolve) => setTimeout(resolve, 50));
    await c.send(envelopeOf(2), raw(2));
    expect(again.messages.map((m) => m.to[0])).toEqual([recipient(2).email]);
  });

  it('fails each send once, quickly, when the server is down: one connection attempt per send, no retry loop', async () => {
    const down = await rawServer((socket) => socket.destroy());
    const c = client({ url: `smtp://127.0.0.1:${down.port}`, poolSize: 2 });
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => refusal(c.send(envelopeOf(i), raw(i)))));
    for (const err of outcomes) expect(classifySmtpFailure(err).kind).toBe('transient');
    expect(outcomes[0]?.code).toMatch(/ECONNECTION|ECONNRESET/);
    // Give a runaway retry loop time to show itself.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(down.connections()).toBe(6);
  });

  it('times out a server that never greets, and one that stops answering a command', async () => {
    const mute = await rawServer(() => undefined);
    const greeting = await refusal(client({ url: `smtp://127.0.0.1:${mute.port}`, timeouts: { greetingMs: 200 } }).send(envelopeOf(1), raw(1)));
    expect(greeting).toMatchObject({ code: 'ETIMEDOUT', command: 'CONN' });
    expect(greeting.message).toBe('timeout: no greeting within 200 ms');
    expect(classifySmtpFailure(greeting).kind).toBe('transient');

    const slow = await server({ reply: (e) => (e.stage === 'rcpt' && e.to[0] === recipient(1).email ? { code: 250, delayMs: 2_000 } : undefined) });
    const c = client({ url: slow.url, poolSize: 1, timeouts: { commandMs: 200 } });
    const command = await refusal(c.send(envelopeOf(1), raw(1)));
    expect(command).toMatchObject({ code: 'ETIMEDOUT', command: 'RCPT TO', message: 'timeout: no reply to RCPT TO within 200 ms' });
    expect(classifySmtpFailure(command).kind).toBe('transient');
    // The timed-out connection is gone; the next send gets a fresh one.
    await c.send(envelopeOf(2), raw(2));
    expect(slow.messages.map((m) => m.connection)).toEqual([2]);
  });

  it('never opens more than poolSize connections, and reuses them', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 10 } : undefined) });
    const c = client({ url: smtp.url, poolSize: 3 });
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => c.send(envelopeOf(i), raw(i))));
    expect(responses.every((r) => r.startsWith('250 '))).toBe(true);
    expect(new Set(smtp.messages.map((m) => m.to[0])).size).toBe(40);
    expect(smtp.peakConnections()).toBe(3);
    expect(smtp.connections()).toBe(3);
  });

  it('replaces a connection after maxMessagesPerConnection', async () => {
    const smtp = await server();
    const c = client({ url: smtp.url, poolSize: 1, maxMessagesPerConnection: 2 });
    for (let i = 0; i < 5; i++) await c.send(envelopeOf(i), raw(i));
    expect(smtp.messages.map((m) => m.connection)).toEqual([1, 1, 2, 2, 3]);
  });

  it('close() lets the message in flight finish, fails the waiting ones, QUITs, and is safe to call twice', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 300 } : undefined) });
    const c = createSmtpClient({ url: smtp.url, poolSize: 1 });
    const inFlight = c.send(envelopeOf(1), raw(1));
    const queued = c.send(envelopeOf(2), raw(2));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first is now inside DATA
    const closing = c.close();
    const again = c.close();
    const queuedErr = await refusal(queued);
    expect(queuedErr.code).toBe('ECLOSED');
    expect(classifySmtpFailure(queuedErr).kind).toBe('transient');
    await Promise.all([closing, again]);
    expect(await inFlight).toBe('250 OK: queued as 1');
    expect(smtp.messages.map((m) => m.to[0])).toEqual([recipient(1).email]);
    expect(smtp.clientBytes(1).text.endsWith('QUIT\r\n')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(smtp.openConnections()).toBe(0);
    await expect(c.send(envelopeOf(3), raw(3))).rejects.toThrow(/after close/);
    await c.close();
  });
});

describe('SMTP_CLIENT', () => {
  // Told apart by how they close: newsdesk's client says QUIT, nodemailer's pool just hangs up.
  it.each([
    ['newsdesk', true],
    ['nodemailer', false],
  ] as const)('%s is the client createMailTransport builds (says QUIT on close: %s)', async (name, quits) => {
    const smtp = await server();
    const transport = await createMailTransport(loadConfig({ SMTP_URL: smtp.url, SMTP_CLIENT: name }));
    expect((await transport.send(message.render(recipient(1)))).status).toBe('sent');
    await transport.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(smtp.clientBytes(1).text.endsWith('QUIT\r\n')).toBe(quits);
  });
});
