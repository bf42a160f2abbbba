/**
 * The `newsdesk` command: one commander program, one module per command group.
 * Each group module exports a function returning its `Command`; register it below.
 */
import { Command } from 'commander';
import { campaignCommand } from './campaign.command.ts';
import { composeCommand } from './compose.command.ts';
import { demoCommand } from './demo.command.ts';
import { listsCommand } from './lists.command.ts';
import { reportError } from './output.ts';
import { serveCommand } from './serve.command.ts';
import { subscribersCommand } from './subscribers.command.ts';
import { tokensCommand } from './tokens.command.ts';
import { workerCommand } from './worker.command.ts';

const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('newsdesk')
    .description('Compose a daily email briefing and send it to your subscribers, exactly once.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(demoCommand());
  program.addCommand(composeCommand());
  program.addCommand(listsCommand());
  program.addCommand(subscribersCommand());
  program.addCommand(campaignCommand());
  program.addCommand(workerCommand());
  program.addCommand(serveCommand());
  program.addCommand(tokensCommand());
  return program;
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}
