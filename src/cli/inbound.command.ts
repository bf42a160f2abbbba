/**
 * `newsdesk inbound …`: return mail in.
 * - `inbound [file|-] --rcpt <address>`: one message, for an MTA's pipe transport (Postfix
 *   `pipe`, Exim). Exit 0 when it was processed or deliberately ignored, 75 (EX_TEMPFAIL) when
 *   it could not be stored, so the MTA keeps it and retries.
 * - `inbound serve`: the SMTP listener an MTA forwards return mail to.
 * - `inbound ls`: what came back lately, and what became of it.
 * - `inbound poll [--once]`: the bounce mailbox at INBOUND_IMAP_URL (inbound-poll.command.ts).
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { checkRedisSettings, createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { NewsdeskError } from '../domain/errors.ts';
import { InboundFilterKind, matchesInboundKind } from '../domain/inbound-record.schema.ts';
import { readReturnAddress } from '../domain/return-token.ts';
import { readReturnMail } from '../mail/return-mail.ts';
import { RETURN_MESSAGE_READ_BYTES } from '../mail/return-message.ts';
import { startReturnListener } from '../mail/return-listener.ts';
import { assertSigningSecret } from '../secret-guard.ts';
import { withContext } from './context.ts';
import { inboundPollCommand } from './inbound-poll.command.ts';
import { count, createOutput, EX_TEMPFAIL, port, positiveInt, table, warnLine } from './output.ts';

/** Reads a file or stdin, keeping the first bytes a report needs and draining the rest. */
async function readInput(file: string): Promise<Buffer> {
  if (file !== '-') {
    try {
      const raw = await readFile(file);
      return raw.length > RETURN_MESSAGE_READ_BYTES ? raw.subarray(0, RETURN_MESSAGE_READ_BYTES) : raw;
    } catch (err) {
      throw new NewsdeskError('inbound_unreadable', `${file}: ${(err as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    if (kept >= RETURN_MESSAGE_READ_BYTES) continue;
    const part = chunk.subarray(0, RETURN_MESSAGE_READ_BYTES - kept);
    chunks.push(part);
    kept += part.length;
  }
  return Buffer.concat(chunks, kept);
}

async function processOne(file: string, opts: { rcpt: string; json?: boolean }): Promise<void> {
  const out = createOutput(opts);
  const raw = await readInput(file);
  const config = loadConfig();
  assertSigningSecret(config, { command: 'newsdesk inbound', warn: warnLine });
  const { feedbackAddresses, bounceDomain } = config.inbound;
  if (!readReturnAddress(opts.rcpt, { feedbackAddresses, domain: bounceDomain })) {
    // Not ours: saying so (exit 0 would drop it silently; the MTA bounces it on exit 67 EX_NOUSER).
    throw Object.assign(new NewsdeskError('inbound_not_ours', `--rcpt ${opts.rcpt}: not a bounce, unsubscribe or feedback address of this installation`), { exitCode: 67 });
  }
  const { event } = await readReturnMail(raw, { source: 'pipe', rcpt: opts.rcpt, feedbackAddresses });
  let outcome: string;
  try {
    outcome = await withContext(async (ctx) => (await ctx.app()).returnPath.accept(event));
  } catch (err) {
    process.stderr.write(`error: not stored, try again later: ${(err as Error).message}\n`);
    process.exitCode = EX_TEMPFAIL;
    return;
  }
  out.result({ outcome, kind: event.kind, identity: event.identity.kind, dedupeKey: event.dedupeKey, bounce: event.bounce, feedbackType: event.feedbackType, note: event.note });
  out.info(`${outcome}: ${event.kind}${event.bounce ? ` (${event.bounce.aboutSender ? 'about the sender' : event.bounce.severity}${event.bounce.status ? ` ${event.bounce.status}` : ''})` : ''}, ${event.note ?? ''}`);
}

export function inboundCommand(): Command {
  const inbound = new Command('inbound')
    .description('return mail: process one message from an MTA pipe, serve an SMTP listener, list what came back')
    .argument('[file]', 'the message (an .eml file, or - for stdin)', '-')
    .option('--rcpt <address>', 'the envelope recipient the MTA delivered it to (bounces+…@, unsubscribe+…@, feedback@…)')
    .option('--json', 'print what was concluded as JSON')
    .action(async (file: string, opts: { rcpt?: string; json?: boolean }) => {
      if (!opts.rcpt) throw new NewsdeskError('inbound_rcpt_missing', '--rcpt <address> is required: the envelope recipient (Postfix: ${recipient})');
      try {
        await processOne(file, { ...opts, rcpt: opts.rcpt });
      } catch (err) {
        const code = (err as { exitCode?: number }).exitCode;
        if (code === undefined) throw err;
        process.stderr.write(`error: ${(err as Error).message}\n`);
        process.exitCode = code;
      }
    });

  inbound
    .command('serve')
    .description('an SMTP listener for return mail: only bounce, unsubscribe and feedback addresses; 451 while Redis is away')
    .option('--port <n>', 'port to listen on', port, 2525)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      const config = loadConfig();
      assertSigningSecret(config, { command: 'newsdesk inbound serve', warn: warnLine });
      // Fail fast while Redis is away: a command must not wait in ioredis's queue, the sender gets a 451.
      const app = await createApp(config, { redisOptions: { enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
      const { logger } = app;
      try {
        for (const warning of await checkRedisSettings(app.redis)) logger[config.env === 'production' ? 'warn' : 'debug'](warning);
        const tls = config.inbound.tls && { key: await pemOf(config.inbound.tls.key), cert: await pemOf(config.inbound.tls.cert) };
        const listener = await startReturnListener({
          sink: app.returnPath,
          port: opts.port,
          host: opts.host,
          feedbackAddresses: config.inbound.feedbackAddresses,
          bounceDomain: config.inbound.bounceDomain,
          maxBytes: config.inbound.maxBytes,
          maxConnections: config.inbound.maxConnections,
          tls,
          storeTimeoutMs: 10_000,
          logger,
        });
        const feedback = config.inbound.feedbackAddresses.length ? config.inbound.feedbackAddresses.join(', ') : 'feedback@<any domain>';
        process.stdout.write(
          `newsdesk inbound listening on ${listener.host}:${listener.port}: bounces+…@ and unsubscribe+…@${config.inbound.bounceDomain ?? '<newsletter domains>'}, ${feedback}${tls ? ', STARTTLS' : ''}.\n`,
        );
        const signal = await new Promise<string>((resolve) => {
          for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
        });
        logger.info({ signal }, 'stopping: finishing messages in flight');
        await listener.close();
        const c = listener.counts;
        process.stdout.write(
          `newsdesk inbound stopped: ${count(c.applied)} applied, ${count(c.recorded)} recorded, ${count(c.duplicate)} duplicate, ${count(c.unverified)} unverified, ${count(c.ignored)} ignored, ${count(c.tempfail)} answered 451, ${count(c.refused)} refused.\n`,
        );
      } finally {
        await app.close();
      }
    });

  inbound
    .command('ls')
    .description('return mail processed lately (kept as long as delivery records), newest first')
    .addOption(new Option('--kind <kind>', 'only bounces, complaints, unsubscribes or ignored (auto-replies, unverified)').choices(InboundFilterKind.options))
    .option('--limit <n>', 'at most this many', positiveInt(100_000), 50)
    .option('--json', 'print them as JSON')
    .action(async (own: { kind?: InboundFilterKind; limit: number; json?: boolean }, cmd: Command) => {
      // `--json` is also the parent's option (the pipe form), and commander gives it to the parent.
      const opts = { ...own, json: own.json || (cmd.optsWithGlobals() as { json?: boolean }).json };
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        // Filtering reads further back so `--limit` counts matching entries.
        const all = await app.returns.recent(opts.kind ? opts.limit * 20 : opts.limit);
        const shown = (opts.kind ? all.filter((r) => matchesInboundKind(r, opts.kind as InboundFilterKind)) : all).slice(0, opts.limit);
        const rows = [['AT', 'SOURCE', 'KIND', 'OUTCOME', 'CAMPAIGN', 'SUBSCRIBER', 'DETAIL']];
        for (const r of shown) {
          const detail = [r.severity && (r.aboutSender ? 'about sender' : r.severity), r.status, r.feedbackType, r.note].filter(Boolean).join(' · ');
          rows.push([r.at, r.source, r.kind, r.outcome, r.campaignId ?? '-', r.subscriberId ? String(r.subscriberId) : '-', detail.slice(0, 100)]);
        }
        out.result(shown, shown.length ? table(rows) : undefined);
        out.info(`${count(shown.length)} message${shown.length === 1 ? '' : 's'}${opts.kind ? ` of kind ${opts.kind}` : ''}.`);
      });
    });

  inbound.addCommand(inboundPollCommand());

  return inbound;
}

/** A PEM given as text or as a file path. */
async function pemOf(value: string): Promise<string> {
  return value.includes('-----BEGIN') ? value : readFile(value, 'utf8');
}
