/**
 * How the bounce-mailbox poller reaches its server, decided from INBOUND_IMAP_URL alone:
 * `imaps://` is TLS from the first byte; `imap://` must upgrade with STARTTLS (the password
 * never crosses the network in clear), except to a loopback address, where a server without
 * TLS (a local Dovecot, a test) is allowed.
 */
import { isIP } from 'node:net';

export interface ImapConnection {
  host: string;
  port: number;
  /** TLS from the start (imaps). */
  secure: boolean;
  /** For imap://: `true` requires STARTTLS; `undefined` uses it when offered (loopback only). */
  doSTARTTLS: boolean | undefined;
  user: string;
  pass: string;
  /** The mailbox to poll, `INBOX` unless the URL's path names another. */
  mailbox: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Reads an `imap://` or `imaps://` URL (already checked by config). */
export function imapConnection(url: string): ImapConnection {
  const u = new URL(url);
  const secure = u.protocol === 'imaps:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = LOOPBACK.has(u.hostname) || (isIP(host) === 4 && host.startsWith('127.'));
  return {
    host,
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    doSTARTTLS: secure ? undefined : loopback ? undefined : true,
    user: decodeURIComponent(u.username),
    pass: decodeURIComponent(u.password),
    mailbox: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX',
  };
}
