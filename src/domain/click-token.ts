/**
 * Tokens of tracked links (`/c/<token>`) and open images (`/o/<token>`), signed with the app's
 * key so a changed campaign, link number or reader fails (docs/architecture.md, invariant 11: a tracked link
 * redirects only to the URL compiled into its campaign).
 *
 * Forms (every character URL-safe):
 * - link, aggregate: `<campaign id>.<link number, base 36>.<mac>` — written once into the compiled
 *   email, identical in every copy;
 * - open, aggregate: `<campaign id>.<mac>`;
 * - per-reader: either of the above followed by a **reader mark** `.<subscriber id, base 36>.<mac>`,
 *   the one value personalization fills after every tracked link of a copy. Its MAC covers the
 *   campaign and the reader, the first MAC the campaign and the link: changing any part fails, and
 *   a reader mark moved onto another link of the same campaign only says what that reader could
 *   have clicked anyway.
 *
 * The MACs are HMAC-SHA256 truncated to 96 bits (16 base64url characters): forging one means
 * guessing online against the server, and links stay short.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAC_BYTES = 12;
const MAC_CHARS = 16;
/** Domain separation from every other use of the key (see token.ts). */
const CONTEXT = 'newsdesk-click-v1\n';
const CAMPAIGN = /^[a-z0-9][a-z0-9-]{2,80}$/;
const BASE36 = /^[0-9a-z]{1,11}$/;
const MAC_TEXT = /^[A-Za-z0-9_-]{16}$/;

/** Longer than any token newsdesk writes (81-character campaign id, link 9999, any reader); longer ones are refused unread. */
export const MAX_CLICK_TOKEN_CHARS = 140;

/** What a verified link or open token names. `subscriberId` only in per-reader mode. */
export interface ClickTokenPayload {
  campaignId: string;
  /** The link number; undefined for an open token. */
  link?: number | undefined;
  subscriberId?: number | undefined;
}

function mac(kind: 'l' | 'o' | 'r', body: string, secret: string): string {
  return createHmac('sha256', secret).update(CONTEXT).update(kind).update(body).digest().subarray(0, MAC_BYTES).toString('base64url');
}

function macMatches(kind: 'l' | 'o' | 'r', body: string, given: string, secrets: readonly string[]): boolean {
  if (!MAC_TEXT.test(given)) return false;
  const givenBytes = Buffer.from(given);
  let valid = false;
  for (const secret of secrets) if (timingSafeEqual(givenBytes, Buffer.from(mac(kind, body, secret)))) valid = true;
  return valid;
}

/** The aggregate token of link `link` of campaign `campaignId`. */
export function signLinkToken(campaignId: string, link: number, secret: string): string {
  if (!CAMPAIGN.test(campaignId) || !Number.isInteger(link) || link < 0) throw new Error(`signLinkToken: bad campaign or link (${campaignId}, ${link})`);
  const body = `${campaignId}.${link.toString(36)}`;
  return `${body}.${mac('l', body, secret)}`;
}

/** The aggregate token of campaign `campaignId`'s open image. */
export function signOpenToken(campaignId: string, secret: string): string {
  if (!CAMPAIGN.test(campaignId)) throw new Error(`signOpenToken: bad campaign id ${campaignId}`);
  return `${campaignId}.${mac('o', campaignId, secret)}`;
}

/** The reader mark appended to every tracked link of one copy (per-reader mode), leading dot included. */
export function signReaderMark(campaignId: string, subscriberId: number, secret: string): string {
  const sid = subscriberId.toString(36);
  return `.${sid}.${mac('r', `${campaignId}.${sid}`, secret)}`;
}

function readerOf(campaignId: string, sid36: string, given: string, secrets: readonly string[]): number | null {
  if (!BASE36.test(sid36) || !macMatches('r', `${campaignId}.${sid36}`, given, secrets)) return null;
  const id = parseInt(sid36, 36);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * Verifies a `/c/` token against every accepted secret.
 * @returns what it names, or null for anything altered, forged, malformed or over-long.
 */
export function readLinkToken(token: string, secrets: readonly string[]): ClickTokenPayload | null {
  if (token.length > MAX_CLICK_TOKEN_CHARS) return null;
  const parts = token.split('.');
  if (parts.length !== 3 && parts.length !== 5) return null;
  const [campaignId, link36, given, sid36, readerMac] = parts as [string, string, string, string?, string?];
  if (!CAMPAIGN.test(campaignId) || !/^[0-9a-z]{1,4}$/.test(link36)) return null;
  if (!macMatches('l', `${campaignId}.${link36}`, given, secrets)) return null;
  const link = parseInt(link36, 36);
  if (sid36 === undefined) return { campaignId, link };
  const subscriberId = readerOf(campaignId, sid36, readerMac as string, secrets);
  return subscriberId === null ? null : { campaignId, link, subscriberId };
}

/**
 * Verifies an `/o/` token.
 * @returns the campaign (and reader), or null for anything altered, forged, malformed or over-long.
 */
export function readOpenToken(token: string, secrets: readonly string[]): ClickTokenPayload | null {
  if (token.length > MAX_CLICK_TOKEN_CHARS) return null;
  const parts = token.split('.');
  if (parts.length !== 2 && parts.length !== 4) return null;
  const [campaignId, given, sid36, readerMac] = parts as [string, string, string?, string?];
  if (!CAMPAIGN.test(campaignId) || !macMatches('o', campaignId, given, secrets)) return null;
  if (sid36 === undefined) return { campaignId };
  const subscriberId = readerOf(campaignId, sid36, readerMac as string, secrets);
  return subscriberId === null ? null : { campaignId, subscriberId };
}
