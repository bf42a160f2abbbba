/**
 * Keys made by the test, and requests signed with them the way each provider signs its own:
 * SNS (RSA over the canonical string, certificate served by an injected fetcher), SendGrid
 * (ECDSA P-256 over timestamp + body), Mailgun (HMAC-SHA256 of timestamp + token).
 */
import { execFile } from 'node:child_process';
import { createHmac, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { snsStringToSign, type SnsMessage } from '../../src/mail/esp/sns-message.ts';

const run = promisify(execFile);

export const SNS_CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem';
export const SNS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-bounces';

/** A self-signed certificate and its RSA key, made with openssl in a temporary folder. */
export async function makeSnsCertificate(): Promise<{ certPem: string; keyPem: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-sns-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=sns.amazonaws.com']);
    return { certPem: await readFile(cert, 'utf8'), keyPem: await readFile(key, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An SNS envelope around `fields`, signed with `keyPem` (version 1: SHA1, 2: SHA256). */
export function signedSnsMessage(
  keyPem: string,
  fields: Partial<SnsMessage> & Pick<SnsMessage, 'Type' | 'Message'>,
  version: '1' | '2' = '2',
): SnsMessage {
  const unsigned: SnsMessage = {
    MessageId: `msg-${randomBytes(6).toString('hex')}`,
    TopicArn: SNS_TOPIC,
    Timestamp: new Date().toISOString(),
    SignatureVersion: version,
    Signature: '',
    SigningCertURL: SNS_CERT_URL,
    ...fields,
  };
  const signer = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
  signer.update(snsStringToSign(unsigned), 'utf8');
  return { ...unsigned, Signature: signer.sign(keyPem, 'base64') };
}

/** A SendGrid-style key pair: the public key as SendGrid shows it (base64 DER SPKI). */
export function makeSendGridKeys(): { publicKeyBase64: string; sign(timestamp: string, body: string | Buffer): string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    sign(timestamp, body) {
      const signer = createSign('sha256');
      signer.update(timestamp);
      signer.update(body);
      return signer.sign({ key: privateKey, dsaEncoding: 'der' }, 'base64');
    },
  };
}

/** Mailgun's signature object for `signingKey`, with a fresh token. */
export function mailgunSignature(signingKey: string, timestampSeconds: number, token = randomBytes(25).toString('hex')) {
  const timestamp = String(timestampSeconds);
  return { timestamp, token, signature: createHmac('sha256', signingKey).update(timestamp + token).digest('hex') };
}
