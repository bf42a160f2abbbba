/** DKIM verification for tests: mailauth's verifier with the keys' DNS records answered from memory. */
import type { KeyObject } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dkimPublicKeyRecord } from '../../src/mail/dkim.ts';

export interface PublishedKey {
  /** The public (or private) key: its record is `dkimPublicKeyRecord`'s (k=rsa or k=ed25519). */
  publicKey: KeyObject;
  selector: string;
  domain: string;
}

/** One result per DKIM-Signature field, top first. */
export async function verifyDkim(raw: Buffer, keys: PublishedKey | PublishedKey[]) {
  const records = new Map((Array.isArray(keys) ? keys : [keys]).map((k) => [`${k.selector}._domainkey.${k.domain}`, dkimPublicKeyRecord(k.publicKey)]));
  const result = await dkimVerify(raw, {
    resolver: async (name: string, type: string) => {
      const record = records.get(name);
      if (type === 'TXT' && record) return [[record]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    },
  });
  return result.results;
}

/** `[result, algorithm]` per signature, e.g. `['pass', 'ed25519-sha256']` (mailauth's types leave `algo` out). */
export function outcomes(results: Awaited<ReturnType<typeof verifyDkim>>): [string, string][] {
  return results.map((r) => [r.status.result, (r as unknown as { algo: string }).algo]);
}

/** The header names in the (first) DKIM-Signature's h= tag, lower-case, in order. */
export function signedHeaderNames(raw: Buffer): string[] {
  const head = raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
  const field = /^DKIM-Signature:((?:.*)(?:\r\n[ \t].*)*)/im.exec(head)?.[1] ?? '';
  const h = /(?:^|;)\s*h=([^;]+)/.exec(field.replace(/\r\n[ \t]/g, ' '))?.[1] ?? '';
  return h.split(':').map((n) => n.trim().toLowerCase()).filter(Boolean);
}
