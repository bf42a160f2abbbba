/**
 * A real Postfix for tests, configured from scratch in a temporary folder: its own
 * `config_directory`, queue and data directories, smtpd on a free loopback port with STARTTLS
 * (a certificate the test supplies), every message accepted from loopback and discarded
 * (`default_transport = discard`), and the mail log in a file the test reads (`maillog_file`,
 * Postfix 3.4 and later). Optionally SASL logins through a private Dovecot auth service.
 * Needs root (Postfix's master runs as root and drops to `mail_owner`) and Debian's `postfix`
 * (and `dovecot-core` for logins).
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, openSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.ts';

const run = promisify(execFile);

/**
 * Runs a command that leaves a daemon behind. The daemon would inherit piped output and keep
 * `execFile` waiting, so output goes to a file instead; resolves on exit 0, else rejects with it.
 */
function runStarter(command: string, args: string[], outputFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    writeFileSync(outputFile, '');
    const out = openSync(outputFile, 'a');
    const child = spawn(command, args, { stdio: ['ignore', out, out] });
    closeSync(out);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${readFileSync(outputFile, 'utf8')}`)),
    );
  });
}
const POSTFIX = '/usr/sbin/postfix';
const DOVECOT = '/usr/sbin/dovecot';

export interface TestPostfix {
  port: number;
  /** The whole mail log so far. */
  log(): string;
  /** Resolves with the log once `done(log)` holds; rejects with the log after `timeoutMs`. */
  waitForLog(done: (log: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface TestPostfixOptions {
  tls: { keyFile: string; certFile: string };
  /** Require a login with these credentials (Dovecot SASL); the client must use STARTTLS first. */
  login?: { user: string; pass: string };
}

/** Whether this machine can run the test Postfix (root and the binaries). */
export function postfixAvailable(options: { login?: boolean } = {}): boolean {
  return process.getuid?.() === 0 && existsSync(POSTFIX) && (!options.login || existsSync(DOVECOT));
}

/** The Postfix version, e.g. `3.7.11`. */
export async function postfixVersion(): Promise<string> {
  const { stdout } = await run('postconf', ['-d', '-h', 'mail_version']);
  return stdout.trim();
}

export async function startTestPostfix(options: TestPostfixOptions): Promise<TestPostfix> {
  const root = mkdtempSync(join(tmpdir(), 'newsdesk-postfix-'));
  // Postfix refuses directories that others can write to, and wants root to own them.
  chmodSync(root, 0o755);
  const configDir = join(root, 'etc');
  const queueDir = join(root, 'spool');
  const dataDir = join(root, 'data');
  const logFile = join(root, 'maillog');
  for (const dir of [configDir, queueDir]) mkdirSync(dir, { mode: 0o755 });
  mkdirSync(dataDir, { mode: 0o700 });
  chownSync(dataDir, Number((await run('id', ['-u', 'postfix'])).stdout), 0);
  const port = await freePort();

  let dovecot: { stop(): Promise<void> } | undefined;
  const sasl: string[] = [];
  if (options.login) {
    dovecot = await startDovecotAuth(join(root, 'dovecot'), options.login);
    sasl.push(
      'smtpd_sasl_auth_enable = yes',
      'smtpd_sasl_type = dovecot',
      `smtpd_sasl_path = ${join(root, 'dovecot', 'auth-postfix')}`,
      'smtpd_tls_auth_only = yes',
      // Logins only: loopback is not trusted to relay on its own.
      'mynetworks =',
      'smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination',
    );
  }

  writeFileSync(
    join(configDir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queueDir}`,
      `data_directory = ${dataDir}`,
      'myhostname = relay.newsdesk.test',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      ...(options.login ? [] : ['mynetworks = 127.0.0.0/8', 'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination']),
      'default_transport = discard',
      'relay_transport = discard',
      'local_transport = discard',
      'smtpd_tls_security_level = may',
      `smtpd_tls_cert_file = ${options.tls.certFile}`,
      `smtpd_tls_key_file = ${options.tls.keyFile}`,
      'smtpd_tls_loglevel = 1',
      'smtpd_peername_lookup = no',
      `maillog_file = ${logFile}`,
      `maillog_file_prefixes = ${root}`,
      'biff = no',
      // No local delivery here: without these Postfix tries NIS for aliases and warns about it.
      'alias_maps =',
      'alias_database =',
      ...sasl,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(configDir, 'master.cf'),
    [
      `127.0.0.1:${port} inet n - n - - smtpd`,
      'pickup    unix n - n 60 1 pickup',
      'cleanup   unix n - n - 0 cleanup',
      'qmgr      unix n - n 300 1 qmgr',
      'tlsmgr    unix - - n 1000? 1 tlsmgr',
      'rewrite   unix - - n - - trivial-rewrite',
      'bounce    unix - - n - 0 bounce',
      'defer     unix - - n - 0 bounce',
      'trace     unix - - n - 0 bounce',
      'verify    unix - - n - 1 verify',
      'flush     unix n - n 1000? 0 flush',
      'proxymap  unix - - n - - proxymap',
      'smtp      unix - - n - - smtp',
      'showq     unix n - n - - showq',
      'error     unix - - n - - error',
      'retry     unix - - n - - error',
      'discard   unix - - n - - discard',
      'anvil     unix - - n - 1 anvil',
      'scache    unix - - n - 1 scache',
      'postlog   unix-dgram n - n - 1 postlogd',
      '',
    ].join('\n'),
  );
  writeFileSync(logFile, '');

  const log = () => readFileSync(logFile, 'utf8');
  const stopPostfix = async () => {
    await run(POSTFIX, ['-c', configDir, 'stop']).catch(() => undefined);
  };
  try {
    await runStarter(POSTFIX, ['-c', configDir, 'start'], join(root, 'start.out'));
    // Ready when smtpd answers: wait for the master to bind the port.
    await waitFor(async () => (await run('postfix', ['-c', configDir, 'status']).then(() => true, () => false)), 10_000);
  } catch (err) {
    await stopPostfix();
    await dovecot?.stop();
    throw new Error(`Postfix did not start: ${(err as Error).message}\n${existsSync(logFile) ? log() : ''}`);
  }
  return {
    port,
    log,
    async waitForLog(done, timeoutMs = 10_000) {
      await waitFor(async () => done(log()), timeoutMs).catch(() => {
        throw new Error(`Postfix log did not get there within ${timeoutMs} ms:\n${log()}`);
      });
      return log();
    },
    async stop() {
      await stopPostfix();
      await dovecot?.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A Dovecot that only authenticates (no IMAP, no POP3), for Postfix's SASL, from a one-user file. */
async function startDovecotAuth(dir: string, login: { user: string; pass: string }): Promise<{ stop(): Promise<void> }> {
  mkdirSync(dir, { mode: 0o755 });
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(join(dir, 'users'), `${login.user}:{PLAIN}${login.pass}\n`);
  writeFileSync(
    conf,
    [
      'protocols =',
      `base_dir = ${join(dir, 'run')}`,
      `state_dir = ${join(dir, 'state')}`,
      `log_path = ${join(dir, 'dovecot.log')}`,
      'ssl = no',
      'auth_mechanisms = plain login',
      `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u ${join(dir, 'users')}\n}`,
      'userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}',
      `service auth {\n  unix_listener ${join(dir, 'auth-postfix')} {\n    mode = 0666\n  }\n}`,
      '',
    ].join('\n'),
  );
  await runStarter(DOVECOT, ['-c', conf], join(dir, 'start.out'));
  await waitFor(async () => existsSync(join(dir, 'auth-postfix')), 10_000);
  return {
    async stop() {
      await run('doveadm', ['-c', conf, 'stop']).catch(() => run(DOVECOT, ['-c', conf, 'stop']).catch(() => undefined));
    },
  };
}
