/** DKIM verification for tests: mailauth's verifier with the key's DNS record answered from memory. */
import type { KeyObject } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

export async function verifyDkim(raw: Buffer, key: { publicKey: KeyObject; selector: string; domain: string }) {
  const record = `v=DKIM1; k=rsa; p=${key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  const result = await dkimVerify(raw, {
    resolver: async (name: string, type: string) => {
      if (type === 'TXT' && name === `${key.selector}._domainkey.${key.domain}`) return [[record]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    },
  });
  return result.results;
}

/** The header names in the (first) DKIM-Signature's h= tag, lower-case, in order. */
export function signedHeaderNames(raw: Buffer): string[] {
  const head = raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
  const field = /^DKIM-Signature:((?:.*)(?:\r\n[ \t].*)*)/im.exec(head)?.[1] ?? '';
  const h = /(?:^|;)\s*h=([^;]+)/.exec(field.replace(/\r\n[ \t]/g, ' '))?.[1] ?? '';
  return h.split(':').map((n) => n.trim().toLowerCase()).filter(Boolean);
}
