/**
 * Whether a command that mails or serves real readers may start with the signing key it has.
 * Links signed with the public development key can be forged by anyone (an unsubscribe of any
 * reader, their view page, a confirmation), so that key is only for the dev outbox on loopback:
 * with `SMTP_URL` set, a `PUBLIC_URL` others can reach, or a server listening beyond loopback,
 * NEWSDESK_SECRET is required, whatever NODE_ENV says. Every such command (`worker`, `serve`, `campaign create|test`, `demo`) calls
 * {@link assertSigningSecret} before it does anything.
 */
import type { Config } from './config.ts';
import { NewsdeskError } from './domain/errors.ts';
import { isLoopbackHost } from './domain/loopback.ts';

/** `configured`: NEWSDESK_SECRET is set. `dev-key`: the development key, allowed here. `refuse`: see `reason`. */
export type SigningSecretDecision = { kind: 'configured' } | { kind: 'dev-key' } | { kind: 'refuse'; reason: string };

/** What else a command does that matters here. */
export interface SigningSecretUse {
  /** The address a server listens on (`serve --host`): beyond loopback, others reach its pages. */
  listenHost?: string | undefined;
}

/** The decision for a config, on its own so it is tested without starting anything. */
export function signingSecretDecision(config: Pick<Config, 'devSecret' | 'smtp' | 'publicUrl'>, use: SigningSecretUse = {}): SigningSecretDecision {
  if (!config.devSecret) return { kind: 'configured' };
  if (config.smtp.url) return { kind: 'refuse', reason: 'SMTP_URL is set, so mail goes to real readers' };
  const host = new URL(config.publicUrl).hostname;
  if (!isLoopbackHost(host)) return { kind: 'refuse', reason: `PUBLIC_URL (${config.publicUrl}) is not on loopback, so others can open its links` };
  if (use.listenHost !== undefined && !isLoopbackHost(use.listenHost)) {
    return { kind: 'refuse', reason: `it would listen on ${use.listenHost}, so others can reach its pages and use links they forged` };
  }
  return { kind: 'dev-key' };
}

/**
 * Where `newsdesk serve` listens: `--host` when given, else every interface, or only loopback
 * when links are signed with the development key (so the newcomer's `serve` works unchanged).
 */
export function listenHost(host: string | undefined, config: Pick<Config, 'devSecret'>): string {
  return host ?? (config.devSecret ? '127.0.0.1' : '0.0.0.0');
}

/** Raised when a command would sign readers' links with the public development key. */
export class SecretRequiredError extends NewsdeskError {
  constructor(command: string, reason: string) {
    super(
      'secret_required',
      `${command} refuses to start without NEWSDESK_SECRET: ${reason}, and links signed with the built-in development key can be forged by anyone. ` +
        'Set NEWSDESK_SECRET (newsdesk secret generate prints one).',
    );
  }
}

/**
 * Refuses to go on when `command` would mail or serve real readers with the development key;
 * says so (a warning) when the development key is in use on loopback.
 * @param command as the user typed it, e.g. `newsdesk worker`.
 * @throws SecretRequiredError
 */
export function assertSigningSecret(
  config: Pick<Config, 'devSecret' | 'smtp' | 'publicUrl'>,
  options: SigningSecretUse & { command: string; warn: (message: string) => void },
): void {
  const decision = signingSecretDecision(config, options);
  if (decision.kind === 'refuse') throw new SecretRequiredError(options.command, decision.reason);
  if (decision.kind === 'dev-key') {
    options.warn(`${options.command}: links are signed with the public development key; fine for the dev outbox on loopback, never for real readers (set NEWSDESK_SECRET)`);
  }
}
