/**
 * `newsdesk compose <edition>`: validate an edition, compile it, lint it, and write what one
 * sample reader would get, so an editor can look before anything is sent.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { composeEditionFile } from '../composer/compose-edition.ts';
import type { LintItem } from '../composer/lint.ts';
import { newsletterDirs } from '../composer/newsletter.loader.ts';
import { personalize } from '../composer/personalize.ts';
import { loadConfig } from '../config.ts';
import { NewsdeskError } from '../domain/errors.ts';
import { inertRecipient } from '../domain/links.ts';
import { NO_NAME, resolvePreviewReader } from '../domain/preview-reader.ts';
import { prepareCampaignMessage } from '../mail/campaign-message.ts';
import { withContext } from './context.ts';
import { createOutput, plural } from './output.ts';

/** Builds the `compose` command. */
export function composeCommand(): Command {
  return new Command('compose')
    .description('validate and compile an edition, lint it, and write a sample reader\'s copy')
    .argument('<edition>', 'edition file (YAML or JSON)')
    .option('--out <dir>', 'folder for the sample files', 'out')
    .option('--as <reader>', `whose copy to write: a subscriber's address (read from Redis), or "${NO_NAME}" for a reader without a name (default: the sample reader)`)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, flags: { out: string; as?: string; json?: boolean }) => {
      const out = createOutput(flags);
      const config = loadConfig();
      // Invalid input throws here, before any file is touched.
      const { edition, newsletter, compiled, report } = await composeEditionFile(file, {
        newsletterDirs: newsletterDirs(config.newslettersDir),
      });

      // Only a real subscriber needs Redis; the sample and no-name readers are made up.
      const needsRedis = flags.as !== undefined && flags.as.includes('@');
      const reader = needsRedis
        ? await withContext(async (ctx) => {
            const { subscribers } = await ctx.stores();
            return resolvePreviewReader(flags.as, (email) => subscribers.findByEmail(email));
          })
        : await resolvePreviewReader(flags.as, async () => null);
      // Real tokens are signed per subscriber when a campaign is sent; the sample's links are inert.
      const recipient = inertRecipient(config.publicUrl, { email: reader.email, name: reader.name });
      const copy = personalize(compiled, recipient);
      // The complete message the sample reader would receive, built by the same code the workers
      // send with (headers, List-Unsubscribe, MIME), so it opens in any mail client.
      const eml = prepareCampaignMessage({ compiled, newsletter, campaign: { id: `sample-${edition.date}`, listId: newsletter.id } }).render(recipient).raw;
      // Everything is built before anything is written, so a failure writes nothing.
      const files = [
        { name: `${edition.date}.html`, contents: copy.html },
        { name: `${edition.date}.txt`, contents: copy.text },
        { name: `${edition.date}.eml`, contents: eml },
      ];
      const written: string[] = [];
      try {
        await mkdir(flags.out, { recursive: true });
        for (const f of files) {
          const path = join(flags.out, f.name);
          await writeFile(path, f.contents);
          written.push(path);
        }
      } catch (err) {
        throw new NewsdeskError('output_failed', `cannot write to ${flags.out}: ${(err as Error).message}`, { cause: err });
      }

      const line = (kind: string, i: LintItem) => `  ${kind.padEnd(7)} ${i.code}  ${i.path ? `${i.path}: ` : ''}${i.message}`;
      out.result(
        { ...report, files: written, reader: { email: reader.email, name: reader.name ?? null }, subject: copy.subject },
        [
          `${file}: ${newsletter.name}, ${edition.date}, template ${newsletter.template}`,
          `  as      ${reader.label}: "${copy.subject}"`,
          ...report.errors.map((i) => line('error', i)),
          ...report.warnings.map((i) => line('warning', i)),
          ...written.map((p) => `  wrote   ${p}`),
        ].join('\n'),
      );
      out.info(
        `compose: ${report.ok ? 'ok' : 'FAILED'}, ${plural(report.errors.length, 'error')}, ${plural(report.warnings.length, 'warning')}, ` +
          `HTML ${(report.htmlBytes / 1024).toFixed(1)} KB of Gmail's 100 KB, ${plural(written.length, 'file')} in ${flags.out}`,
      );
      if (!report.ok) process.exitCode = 1;
    });
}
