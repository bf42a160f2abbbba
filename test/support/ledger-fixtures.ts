/**
 * Delivery records as the send path writes them (campaign.store.ts, `parseDelivery`), for filling
 * a campaign's in-flight ledger directly: compaction tests and bench/ledger.ts.
 */
import type { Keys, RedisClient } from '../../src/store/redis.ts';

/**
 * The reply styles of common SMTP servers, each with the part that differs per message, for
 * recipient `n` sent at `at` (ms): SES's message id starts with `01000` and the ms it took the
 * message, then a UUID; Gmail's reply has the unix second it took the message, then its
 * server's id (one of a few), a hex serial, `si` and a number with a short suffix, and a count.
 */
export const REPLY_STYLES = {
  postfix: (n: number, _at?: number) => `250 2.0.0 Ok: queued as ${postfixQueueId(n)}`,
  exim: (n: number, _at?: number) => `250 OK id=1t${b62(n, 4)}-00${b62(n * 7, 4)}-${b62(n * 13, 2)}`,
  ses: (n: number, at = defaultAt(n)) =>
    `250 Ok 01000${(at - (n % 40)).toString(16).padStart(11, '0')}-${hex(n * 31, 8)}-${hex(n * 7, 4)}-4${hex(n * 3, 3)}-${'89ab'[n % 4]}${hex(n * 5, 3)}-${hex(n * 11, 12)}-000000`,
  gmail: (n: number, at = defaultAt(n)) =>
    `250 2.0.0 OK  ${Math.floor((at - (n % 40)) / 1000)} ${GMAIL_SERVERS[n % GMAIL_SERVERS.length]}-${hex(n * 17, 11)}si${(n * 2_654_435_761) % 1_000_000_000}${GMAIL_SUFFIXES[n % GMAIL_SUFFIXES.length]}.${n % 500} - gsmtp`,
} as const;
const GMAIL_SERVERS = ['d9443c01a7336', 'a640c23a62f3a', '41be03b00d2f7', 'ffacd0b85a97d'];
const GMAIL_SUFFIXES = ['a12', 'ad', 'pfb', 'a91', 'f8f', 'pgl'];
const defaultAt = (n: number) => 1_764_000_000_000 + Math.floor(n * 3.3);
export type ReplyStyle = keyof typeof REPLY_STYLES;

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function b62(n: number, width: number): string {
  let s = '';
  let x = Math.abs(Math.floor(n * 2_654_435_761)) % 62 ** width;
  for (let i = 0; i < width; i++) {
    s = B62[x % 62] + s;
    x = Math.floor(x / 62);
  }
  return s;
}
function hex(n: number, width: number): string {
  return (Math.abs(Math.floor(n * 2_654_435_761)) % 16 ** Math.min(width, 12)).toString(16).padStart(width, '0').slice(-width);
}
/** Postfix's long queue ids: 10+ characters of base-52 time and inode, with a `z` in between. */
function postfixQueueId(n: number): string {
  return `4Z${b62(n, 5)}z${b62(n * 3, 5)}`;
}

export interface LedgerMix {
  /** Share of failed deliveries (0–1). Default 0.01. */
  failed?: number;
  /** Share of skipped deliveries. Default 0.02. */
  skipped?: number;
  style?: ReplyStyle;
  /** Message-ID domain. Default `news.example.com`. */
  domain?: string;
  /** Send time of the first, ms; later ones follow at about 300 a second. */
  start?: number;
}

/** The record of recipient `id` (its `n`th in send order) as the send path would have left it. */
export function realisticRecord(campaignId: string, id: number, n: number, mix: LedgerMix = {}): string {
  const at = (mix.start ?? 1_764_000_000_000) + Math.floor(n * 3.3) + (id % 7);
  const r = ((id * 2_654_435_761) % 10_000) / 10_000;
  if (r < (mix.failed ?? 0.01)) return `f|${at}|550 5.1.1 <reader${id}@example.org>: Recipient address rejected: User unknown in virtual mailbox table`;
  if (r < (mix.failed ?? 0.01) + (mix.skipped ?? 0.02)) return `k|${at}|${['unsubscribed', 'bounced', 'suppressed'][id % 3]}`;
  return `s|${at}|<${campaignId}.${id}@${mix.domain ?? 'news.example.com'}>|${REPLY_STYLES[mix.style ?? 'postfix'](id, at)}`;
}

/** Writes records for `ids` into the campaign's in-flight hash, in pipelined chunks. */
export async function fillLedger(redis: RedisClient, keys: Keys, campaignId: string, ids: readonly number[], record: (id: number, n: number) => string): Promise<void> {
  for (let i = 0; i < ids.length; i += 5000) {
    const args: string[] = [];
    ids.slice(i, i + 5000).forEach((id, j) => args.push(String(id), record(id, i + j)));
    await redis.hset(keys.campaignDeliveries(campaignId), ...args);
  }
}
