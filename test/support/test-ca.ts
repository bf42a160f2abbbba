/**
 * A private certificate authority for TLS tests, made with openssl as an operator would: a CA
 * and a server certificate it signs for the names given (addresses become IP entries). Real
 * files in a temporary folder, so tests can hand them to SMTP_TLS_CA and to real servers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM) and its file. */
  caPem: string;
  caFile: string;
  /** The server's key and certificate (PEM) and their files. */
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
  /** Deletes the folder. */
  remove(): void;
}

/** Makes a CA and a server certificate for `names` (default 127.0.0.1 and localhost). */
export function makeTestCa(names: string[] = ['127.0.0.1', 'localhost']): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'newsdesk-ca-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=newsdesk test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${names[0] ?? 'localhost'}`, '-keyout', file('server.key'), '-out', file('server.csr'));
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(file('server.ext'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', file('server.ext'), '-out', file('server.pem'));
  return {
    dir,
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.pem'), 'utf8'),
    keyFile: file('server.key'),
    certFile: file('server.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
