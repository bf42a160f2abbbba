/**
 * `newsdesk demo`: the whole product in one command on a fresh machine. It makes a list of
 * generated subscribers, composes the example edition, sends it through the real workers and SMTP
 * code path into the dev outbox (or SMTP_URL), and says where the messages are.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { App } from '../app.ts';
import { composeEditionFile } from '../composer/compose-edition.ts';
import { newsletterDirs } from '../composer/newsletter.loader.ts';
import { PACKAGE_DIR } from '../package-dir.ts';
import { type Config, loadConfig } from '../config.ts';
import { isFinal } from '../domain/campaign.schema.ts';
import { verifyMailSettings } from '../mail/create-transport.ts';
import { SubscriberInput } from '../domain/subscriber.schema.ts';
import { assertSigningSecret } from '../secret-guard.ts';
import { RedisUnavailableError } from '../store/redis.ts';
import { describeProgress } from './campaign.command.ts';
import { type CommandContext, createContext } from './context.ts';
import { createOutput, positiveInt, warnLine } from './output.ts';
import { type PrivateRedis, startPrivateRedis } from './private-redis.ts';
import { createProgress } from './progress.ts';

const FIRST_NAMES = ['Ada', 'Bo', 'Chen', 'Dara', 'Elif', 'Femi', 'Gita', 'Hugo', 'Ines', 'Jon', 'Kai', 'Lena', 'Mo', 'Nia', 'Omar', 'Priya'];
const LIST_ID = 'demo';

/** The app, as every command opens it, on REDIS_URL, or on a private redis-server when nothing answers there. */
async function openApp(config: Config): Promise<{ ctx: CommandContext; app: App; privateRedis?: PrivateRedis }> {
  const ctx = createContext();
  try {
    return { ctx, app: await ctx.app() };
  } catch (err) {
    await ctx.close();
    if (!(err instanceof RedisUnavailableError)) throw err;
    const privateRedis = await startPrivateRedis();
    process.stderr.write(`demo: no Redis at ${config.redis.url}; started a private one at ${privateRedis.url} (gone when the demo ends)\n`);
    const own = createContext({ env: { ...process.env, REDIS_URL: privateRedis.url, REDIS_CLUSTER_NODES: undefined } });
    try {
      return { ctx: own, app: await own.app(), privateRedis };
    } catch (e) {
      await own.close();
      await privateRedis.stop();
      throw e;
    }
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('send the example edition to generated subscribers through the real pipeline into the dev outbox')
    .option('--subscribers <n>', 'how many demo subscribers', positiveInt(1_000_000), 1000)
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { subscribers: number; json?: boolean }) => {
      const out = createOutput(opts);
      const config = loadConfig();
      // The demo runs the workers: with SMTP_URL set they mail every queued campaign, not only its own.
      assertSigningSecret(config, { command: 'newsdesk demo', warn: warnLine });
      const started = Date.now();
      const { ctx, app, privateRedis } = await openApp(config);
      try {
        const transport = await app.transport();
        await verifyMailSettings(transport);
        const where = transport.target.kind === 'outbox' ? `the dev outbox in ${resolve(transport.target.dir)}` : transport.target.server;

        out.info(`demo: making list "${LIST_ID}" with ${opts.subscribers.toLocaleString('en-US')} generated subscribers`);
        if (!(await app.stores.lists.get(LIST_ID))) {
          await app.stores.lists.create({ id: LIST_ID, name: 'Demo readers', newsletter: 'daily' });
        }
        for (let i = 0; i < opts.subscribers; i += 500) {
          const rows = Array.from({ length: Math.min(500, opts.subscribers - i) }, (_, k) => {
            const n = i + k + 1;
            return SubscriberInput.parse({ email: `reader${String(n).padStart(5, '0')}@example.com`, name: `${FIRST_NAMES[n % FIRST_NAMES.length]} Reader` });
          });
          await app.stores.subscribers.joinList(LIST_ID, rows, { via: 'import' });
        }

        const file = resolve(PACKAGE_DIR, 'examples/editions/2025-02-13.yaml');
        const { edition, newsletter, compiled, report } = await composeEditionFile(file, { newsletterDirs: newsletterDirs(config.newslettersDir) });
        out.info(`demo: composed "${edition.subject}" (${(report.htmlBytes / 1024).toFixed(1)} KB HTML, ${report.errors.length} lint errors)`);

        await app.startWorkers();
        // The demo mails generated readers into the dev outbox, the example edition each run: no question to ask.
        const campaign = await app.service.create({ compiled, newsletter, subject: edition.subject, lists: [LIST_ID], again: true, confirmDate: true });
        out.info(`demo: sending campaign ${campaign.id} to ${where}`);

        const bar = createProgress('demo: sending', 1);
        let p = await app.service.progress(campaign.id);
        try {
          let lastLine = 0;
          while (!isFinal(p.campaign.status)) {
            await new Promise((r) => setTimeout(r, 200));
            p = await app.service.progress(campaign.id);
            if (process.stderr.isTTY) {
              bar.update(p.done / Math.max(1, p.campaign.counts.total));
            } else if (Date.now() - lastLine > 2000) {
              lastLine = Date.now();
              out.info(`demo: ${describeProgress(p)}`);
            }
          }
        } finally {
          bar.stop();
        }

        const c = p.campaign.counts;
        const seconds = (Date.now() - started) / 1000;
        const result = {
          campaign: p.campaign.id,
          status: p.campaign.status,
          counts: c,
          ratePerSecond: Math.round(p.rate),
          seconds: Number(seconds.toFixed(1)),
          mail: transport.target,
        };
        out.result(result);
        const next =
          transport.target.kind === 'outbox'
            ? `messages are in ${resolve(transport.target.dir)} (open any .eml in a mail client)`
            : `messages went to ${transport.target.server}`;
        out.info(
          `demo: ${p.campaign.status}: ${c.sent.toLocaleString('en-US')} sent, ${c.failed} failed, ${c.skipped} skipped ` +
            `in ${seconds.toFixed(1)} s (${Math.round(p.rate)}/s while sending); ${next}; details: newsdesk campaign status ${p.campaign.id}` +
            (privateRedis ? ' (needs REDIS_URL: the private Redis is gone)' : ''),
        );
        if (p.campaign.status !== 'sent') process.exitCode = 1;
      } finally {
        await ctx.close();
        await privateRedis?.stop();
      }
    });
}
