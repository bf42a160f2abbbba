/**
 * A private Dovecot IMAP server for tests: its own config, users, maildirs, sockets and log in
 * a temporary directory, listening on loopback at a free port, no TLS. `stop()` ends it and
 * removes the directory; it is safe to call twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.ts';

export interface Dovecot {
  port: number;
  user: string;
  password: string;
  /** `imap://user:pass@127.0.0.1:<port>/INBOX`. */
  url: string;
  dir: string;
  /** Dovecot's own log (for a failing test's message). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** The uid and gid mail is stored as: Dovecot refuses root, so `nobody`. */
const MAIL_UID = 65534;

export async function startDovecot(opts: { user?: string; password?: string } = {}): Promise<Dovecot> {
  const user = opts.user ?? 'bounces';
  const password = opts.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-dovecot-'));
  const port = await freePort();
  for (const sub of ['run', 'state', 'mail', 'home']) await mkdir(join(dir, sub), { recursive: true });
  // The mail processes run as nobody and must write the maildirs.
  await chmod(dir, 0o755);
  await chmod(join(dir, 'mail'), 0o777);
  await chmod(join(dir, 'home'), 0o777);
  await writeFile(join(dir, 'users'), `${user}:{PLAIN}${password}::::::\n`);
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
first_valid_uid = ${MAIL_UID}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_UID} home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
  await writeFile(join(dir, 'dovecot.conf'), conf);
  const child: ChildProcess = spawn('dovecot', ['-c', join(dir, 'dovecot.conf'), '-F'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = async () => `${stderr}${await readFile(join(dir, 'dovecot.log'), 'utf8').catch(() => '')}`;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    await waitForGreeting(port, () => child.exitCode !== null, log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, user, password, url: `imap://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/INBOX`, dir, log, stop };
}

/** Resolves once the server greets with `* OK`; fails if the process exits or 10 s pass. */
async function waitForGreeting(port: number, exited: () => boolean, log: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited()) throw new Error(`dovecot exited at start:\n${await log()}`);
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString().startsWith('* OK'))));
      socket.once('error', () => resolve(false));
    });
    if (greeted) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not answer on ${port} within 10 s:\n${await log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
