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
import { type Config, loadConfig } from '../config.ts';
import type { CompiledEmail, PersonalizedEmail, Recipient } from '../domain/compiled-email.ts';
import { NewsdeskError } from '../domain/errors.ts';
import { inertRecipient, SAMPLE_READER } from '../domain/links.ts';
import type { Edition } from '../domain/edition.schema.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { prepareCampaignMessage } from '../mail/campaign-message.ts';
import { createOutput } from './output.ts';

/** Everything known about the sample copy, for the writers of its files. */
export interface SampleContext {
  edition: Edition;
  newsletter: Newsletter;
  compiled: CompiledEmail;
  recipient: Recipient;
  /** The sample recipient's personalized subject, HTML and text. */
  copy: PersonalizedEmail;
  config: Config;
}

/** One file `compose` writes: its name inside `--out`, and its bytes. */
export interface SampleFile {
  name: string;
  contents: string | Uint8Array;
}

/** Produces one output file. All run before anything is written, so a failure writes nothing. */
export type SampleFileWriter = (ctx: SampleContext) => SampleFile | Promise<SampleFile>;

/**
 * `<date>.eml`: the complete message the sample reader would receive, built by the same code the
 * workers send with (headers, List-Unsubscribe, MIME), so it opens in any mail client.
 */
export const emlFile: SampleFileWriter = (c) => {
  const message = prepareCampaignMessage({
    compiled: c.compiled,
    newsletter: c.newsletter,
    campaign: { id: `sample-${c.edition.date}`, listId: c.newsletter.id },
  });
  return { name: `${c.edition.date}.eml`, contents: message.render(c.recipient).raw };
};

/** `<date>.html`, `<date>.txt` and `<date>.eml`: the sample reader's parts and whole message. */
export const DEFAULT_SAMPLE_FILES: readonly SampleFileWriter[] = [
  (c) => ({ name: `${c.edition.date}.html`, contents: c.copy.html }),
  (c) => ({ name: `${c.edition.date}.txt`, contents: c.copy.text }),
  emlFile,
];

export interface ComposeCommandOptions {
  /** The files to write. Default: {@link DEFAULT_SAMPLE_FILES}. */
  sampleFiles?: readonly SampleFileWriter[];
  /** Default: {@link loadConfig} on the process environment. */
  loadConfig?: () => Config;
}

/** Builds the `compose` command. */
export function composeCommand(opts: ComposeCommandOptions = {}): Command {
  const sampleFiles = opts.sampleFiles ?? DEFAULT_SAMPLE_FILES;
  return new Command('compose')
    .description('validate and compile an edition, lint it, and write a sample reader\'s copy')
    .argument('<edition>', 'edition file (YAML or JSON)')
    .option('--out <dir>', 'folder for the sample files', 'out')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, flags: { out: string; json?: boolean }) => {
      const out = createOutput(flags);
      const config = (opts.loadConfig ?? loadConfig)();
      // Invalid input throws here, before any file is touched.
      const { edition, newsletter, compiled, report } = await composeEditionFile(file, {
        newsletterDirs: newsletterDirs(config.newslettersDir),
      });

      // Real tokens are signed per subscriber when a campaign is sent; the sample's links are inert.
      const recipient = inertRecipient(config.publicUrl, SAMPLE_READER);
      const ctx: SampleContext = { edition, newsletter, compiled, recipient, copy: personalize(compiled, recipient), config };
      const files = await Promise.all(sampleFiles.map((write) => write(ctx)));
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
        { ...report, files: written },
        [
          `${file}: ${newsletter.name}, ${edition.date}, template ${newsletter.template}`,
          ...report.errors.map((i) => line('error', i)),
          ...report.warnings.map((i) => line('warning', i)),
          ...written.map((p) => `  wrote   ${p}`),
        ].join('\n'),
      );
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      out.info(
        `compose: ${report.ok ? 'ok' : 'FAILED'}, ${plural(report.errors.length, 'error')}, ${plural(report.warnings.length, 'warning')}, ` +
          `HTML ${(report.htmlBytes / 1024).toFixed(1)} KB of Gmail's 100 KB, ${plural(written.length, 'file')} in ${flags.out}`,
      );
      if (!report.ok) process.exitCode = 1;
    });
}
