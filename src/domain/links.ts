/**
 * The links newsdesk puts in front of subscribers: the one place they are signed (campaign
 * messages, confirmation emails) and the one place tokens from a URL are checked.
 */
import type { Recipient } from './compiled-email.ts';
import { keyIdOf } from './signing-secret.ts';
import { type LinkTokenPayload, type LinkPurpose, type LinkScope, signLinkToken, verifyLinkToken } from './link-token.ts';

/** The path segment of links in test and sample copies: not a token, answered with a harmless page. */
export const TEST_SEND_TOKEN = 'test-send';

const PATH: Record<LinkPurpose, string> = { unsubscribe: 'u', view: 'v', confirm: 'confirm' };

/**
 * A reader of a copy that is no subscriber's (a test send, a preview, `compose`'s sample): their
 * unsubscribe and view links lead to the harmless test-copy page.
 */
export function inertRecipient(publicUrl: string, reader: { email: string; name?: string | undefined }): Recipient {
  return { ...reader, unsubscribeUrl: `${publicUrl}/u/${TEST_SEND_TOKEN}`, viewUrl: `${publicUrl}/v/${TEST_SEND_TOKEN}` };
}

/** The sample reader of previews and `compose`. */
export const SAMPLE_READER = { email: 'reader@example.com', name: 'Alex Reader' } as const;

export interface LinkSigner {
  /** `${PUBLIC_URL}/<u|v|confirm>/<token>` for one subscriber and scope. */
  link(purpose: LinkPurpose, subscriberId: number, scope: LinkScope): string;
  /**
   * The payload of a token from a URL when it is genuine, of `purpose`, and (with `maxAgeMs`)
   * fresh enough; null for anything else, which callers answer with a bare 404.
   */
  read(token: string, purpose: LinkPurpose, opts?: { maxAgeMs?: number }): LinkTokenPayload | null;
}

/** Signs with the first secret, accepts all (a secret rotation keeps old links working); each new link names its key. */
export function createLinkSigner(opts: { publicUrl: string; secrets: readonly string[] }): LinkSigner {
  const secret = opts.secrets[0];
  if (!secret) throw new Error('createLinkSigner: no secret');
  // Once here: signing a link costs one MAC (not two), reading one costs one, not one per key.
  const keyIds = opts.secrets.map(keyIdOf);
  const keyId = keyIds[0] as string;
  return {
    link(purpose, subscriberId, scope) {
      return `${opts.publicUrl}/${PATH[purpose]}/${signLinkToken({ subscriberId, purpose, scope }, secret, keyId)}`;
    },
    read(token, purpose, readOpts = {}) {
      if (token.length > 200) return null;
      const payload = verifyLinkToken(token, opts.secrets, { keyIds, ...(readOpts.maxAgeMs === undefined ? {} : { maxAgeMs: readOpts.maxAgeMs }) });
      return payload && payload.purpose === purpose ? payload : null;
    },
  };
}
