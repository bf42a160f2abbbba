/**
 * How a connection to the relay checks its certificate: a private CA (`SMTP_TLS_CA`), the name to
 * check when the URL gives an address (`SMTP_TLS_SERVERNAME`), and the explicit opt-out
 * (`SMTP_TLS_INSECURE=1`). Shared by newsdesk's SMTP client and the nodemailer fallback, so both
 * trust exactly the same certificates.
 */
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { type ConnectionOptions, checkServerIdentity } from 'node:tls';
import { NewsdeskError } from '../domain/errors.ts';
import { readPemSource } from './pem-source.ts';

/** Certificate checks for the SMTP relay. */
export interface SmtpTlsOptions {
  /** PEM bundle of the CAs to trust (in addition to Node's own, and NODE_EXTRA_CA_CERTS). Default: Node's. */
  ca?: string | undefined;
  /** Name the certificate must carry. Default: the URL's host (its address, when the URL gives one). */
  servername?: string | undefined;
  /** Accept a certificate that does not verify. Default false; only `SMTP_TLS_INSECURE=1` sets it. */
  insecure?: boolean | undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads `SMTP_TLS_CA`: PEM text, or the path of a file holding it. Every certificate in it must
 * parse. Returns the PEM text.
 * @throws NewsdeskError (`config_invalid`) naming SMTP_TLS_CA and what is wrong.
 */
export function loadTlsCa(caOrPath: string): string {
  const pem = readPemSource(caOrPath, 'SMTP_TLS_CA', 'config_invalid');
  const certificates = pem.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) throw new NewsdeskError('config_invalid', 'SMTP_TLS_CA: holds no "-----BEGIN CERTIFICATE-----" block');
  certificates.forEach((certificate, i) => {
    try {
      new X509Certificate(certificate);
    } catch (err) {
      throw new NewsdeskError('config_invalid', `SMTP_TLS_CA: certificate ${i + 1} does not parse (${(err as Error).message})`);
    }
  });
  return certificates.join('\n');
}

/**
 * The certificate options of `tls.connect` for the relay at `host` (the caller adds where to
 * connect). The certificate is checked against `servername`, else `host`, which may be an
 * address; SNI carries names only, so an address is never sent as `servername`.
 */
export function tlsConnectOptions(host: string, tls: SmtpTlsOptions = {}): ConnectionOptions {
  const name = tls.servername ?? host;
  const options: ConnectionOptions = {
    rejectUnauthorized: !tls.insecure,
    checkServerIdentity: (_given, certificate) => checkServerIdentity(name, certificate),
  };
  if (!isIP(name)) options.servername = name;
  if (tls.ca) options.ca = tls.ca;
  return options;
}
