/** `newsdesk secret generate`: a strong NEWSDESK_SECRET to paste into the environment. */
import { Command } from 'commander';
import { generateSecret } from '../domain/signing-secret.ts';

export function secretCommand(): Command {
  const secret = new Command('secret').description('the key that signs readers\' links (NEWSDESK_SECRET)');
  secret
    .command('generate')
    .description('print a new random secret (256 bits) for NEWSDESK_SECRET')
    .action(() => {
      process.stdout.write(`${generateSecret()}\n`);
      // stderr, so `NEWSDESK_SECRET=$(newsdesk secret generate)` captures the secret alone.
      process.stderr.write(
        'To rotate: put the old secret in NEWSDESK_SECRET_PREVIOUS (comma-separated, several allowed) so links already mailed keep working.\n',
      );
    });
  return secret;
}
