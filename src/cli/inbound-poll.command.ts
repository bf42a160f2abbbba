/**
 * `newsdesk inbound poll [--once]`: reads the bounce mailbox at INBOUND_IMAP_URL on its own (the
 * worker also does when the setting is there). `--once` makes one pass and exits, for cron; without
 * it the poller IDLEs and polls until SIGTERM, finishing the message in hand.
 */
import { Command } from 'commander';
import { checkRedisSettings, createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { NewsdeskError } from '../domain/errors.ts';
import type { PollResult } from '../mail/imap-poller.ts';
import { assertSigningSecret } from '../secret-guard.ts';
import { count, createOutput, EX_TEMPFAIL, warnLine } from './output.ts';

export function inboundPollCommand(): Command {
  return new Command('poll')
    .description('read the bounce mailbox at INBOUND_IMAP_URL: processed mail to INBOUND_IMAP_DONE_FOLDER, the rest to INBOUND_IMAP_UNPARSED_FOLDER')
    .option('--once', 'one pass, then exit (exit 75 when some mail could not be stored)')
    .option('--json', 'with --once: print what the pass did as JSON')
    .action(async (own: { once?: boolean; json?: boolean }, cmd: Command) => {
      // `inbound` itself takes --json too, and commander may give it the flag: read both.
      const opts = cmd.optsWithGlobals<{ once?: boolean; json?: boolean }>();
      const out = createOutput({ json: own.json || opts.json });
      const config = loadConfig();
      if (!config.imap) throw new NewsdeskError('imap_not_configured', 'INBOUND_IMAP_URL is not set: give the bounce mailbox as imaps://user:pass@host:993/INBOX');
      assertSigningSecret(config, { command: 'newsdesk inbound poll', warn: warnLine });
      // Fail fast while Redis is away: the message stays in the mailbox for the next poll.
      const app = await createApp(config, { redisOptions: { enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
      // Loaded here: the pipe command runs once per message and must not load the IMAP client.
      const { createInboundPoller } = await import('../inbound-poller.ts');
      const poller = createInboundPoller(app);
      try {
        for (const warning of await checkRedisSettings(app.redis)) app.logger[config.env === 'production' ? 'warn' : 'debug'](warning);
        if (!poller) return;
        if (opts.once) {
          const r = await poller.pollOnce();
          out.result(r);
          out.info(summary(r, config.imap.describe));
          if (r.left) process.exitCode = EX_TEMPFAIL;
          return;
        }
        void poller.run();
        process.stdout.write(`newsdesk inbound poll: reading ${config.imap.describe} (IDLE, else every ${config.imap.pollSeconds} s).\n`);
        const signal = await new Promise<string>((resolve) => {
          for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
        });
        app.logger.info({ signal }, 'stopping the mailbox poller');
      } finally {
        await poller?.stop();
        await app.close();
      }
    });
}

function summary(r: PollResult, mailbox: string): string {
  const done = Object.values(r.done).reduce((a, b) => a + b, 0);
  return `${mailbox}: ${count(done)} processed, ${count(r.unparsed)} to the unparsed folder, ${count(r.left)} left for the next poll.`;
}
