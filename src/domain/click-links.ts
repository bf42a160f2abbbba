/**
 * The tracked-link and open-image URLs of campaigns, signed with the app's key (the same secrets
 * as {@link LinkSigner}); the one place `/c/` and `/o/` tokens are made and read.
 */
import { type ClickTokenPayload, readLinkToken, readOpenToken, signLinkToken, signOpenToken, signReaderMark } from './click-token.ts';

export interface ClickSigner {
  /** `${PUBLIC_URL}/c/<token>` for link `link` of a campaign (no reader). */
  linkUrl(campaignId: string, link: number): string;
  /** `${PUBLIC_URL}/o/<token>` for a campaign's open image (no reader). */
  openUrl(campaignId: string): string;
  /** The per-reader suffix personalization puts after every tracked URL of one copy. */
  readerMark(campaignId: string, subscriberId: number): string;
  /** A `/c/` token's payload when genuine, else null (answered with a bare 404). */
  readLink(token: string): ClickTokenPayload | null;
  /** An `/o/` token's payload when genuine, else null. */
  readOpen(token: string): ClickTokenPayload | null;
}

/** Signs with the first secret, accepts all (a rotation keeps links of earlier editions working). */
export function createClickSigner(opts: { publicUrl: string; secrets: readonly string[] }): ClickSigner {
  const secret = opts.secrets[0];
  if (!secret) throw new Error('createClickSigner: no secret');
  return {
    linkUrl: (campaignId, link) => `${opts.publicUrl}/c/${signLinkToken(campaignId, link, secret)}`,
    openUrl: (campaignId) => `${opts.publicUrl}/o/${signOpenToken(campaignId, secret)}`,
    readerMark: (campaignId, subscriberId) => signReaderMark(campaignId, subscriberId, secret),
    readLink: (token) => readLinkToken(token, opts.secrets),
    readOpen: (token) => readOpenToken(token, opts.secrets),
  };
}
