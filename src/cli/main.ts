/**
 * The `newsdesk` command: one commander program, one module per command group.
 * Each group module exports a function returning its `Command`; add it to {@link COMMANDS}.
 */
import { Command } from 'commander';
import { loadDotEnv, unknownSettingWarnings } from '../config.ts';
import { endQuietlyOnClosedPipe } from './closed-pipe.ts';
import { reportError } from './output.ts';

const VERSION = '0.1.0';

/**
 * Command groups, loaded on demand: a run loads only the module of the command it runs (help
 * loads all). A worker process thus never loads the composer, the CSV code or MJML, which keeps
 * its memory down; every command starts faster too.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./demo.command.ts')).demoCommand(),
  compose: async () => (await import('./compose.command.ts')).composeCommand(),
  lists: async () => (await import('./lists.command.ts')).listsCommand(),
  subscribers: async () => (await import('./subscribers.command.ts')).subscribersCommand(),
  editions: async () => (await import('./editions.command.ts')).editionsCommand(),
  campaign: async () => (await import('./campaign.command.ts')).campaignCommand(),
  worker: async () => (await import('./worker.command.ts')).workerCommand(),
  serve: async () => (await import('./serve.command.ts')).serveCommand(),
  tokens: async () => (await import('./tokens.command.ts')).tokensCommand(),
  secret: async () => (await import('./secret.command.ts')).secretCommand(),
  audit: async () => (await import('./audit.command.ts')).auditCommand(),
  limits: async () => (await import('./limits.command.ts')).limitsCommand(),
  inbound: async () => (await import('./inbound.command.ts')).inboundCommand(),
  media: async () => (await import('./media.command.ts')).mediaCommand(),
  schedule: async () => (await import('./schedule.command.ts')).scheduleCommand(),
};

/** The program with the command groups `argv` needs (all of them unless it names one). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('newsdesk')
    .description('Compose a daily email briefing and send it to your subscribers, exactly once.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)');
  const named = argv[2];
  const wanted = named !== undefined && named in COMMANDS ? [named] : Object.keys(COMMANDS);
  for (const name of wanted) program.addCommand(await (COMMANDS[name] as () => Promise<Command>)());
  return program;
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  endQuietlyOnClosedPipe();
  try {
    // Settings from ./.env first (the real environment wins), then a word on any that look mistyped.
    loadDotEnv();
    for (const warning of unknownSettingWarnings()) process.stderr.write(`warning: ${warning}\n`);
    const program = await buildProgram(argv);
    const override = (cmd: Command): void => {
      cmd.exitOverride();
      cmd.commands.forEach(override);
    };
    override(program);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}
