/**
 * Hard or soft, and about the reader or about us: the decision for one failed delivery, from
 * its enhanced status code (RFC 3463), its SMTP reply code and the remote server's words.
 *
 * The rules, in order (docs/return-path.md):
 * 1. A block **about the sender** — policy, spam content, reputation, block lists, PTR, SPF,
 *    DKIM, DMARC, authentication — whatever its code: it never removes a reader (soft, alert).
 * 2. **Hard** only on positive evidence that the address or its domain takes no mail: 5.1.1,
 *    5.1.2, 5.1.3, 5.1.6, 5.1.10, 5.2.1, 5.4.4 … or words such as "user unknown", "no such
 *    mailbox", "does not exist", NXDOMAIN or a null MX.
 * 3. **Soft** for everything else: mailbox full, quotas, timeouts and expiries, greylisting,
 *    rate limits, 4.x.x — and any permanent failure whose reason cannot be told (the soft-bounce
 *    rule removes an address that keeps failing).
 */
import type { BounceSeverity } from '../domain/return-event.ts';

export interface BounceInput {
  /** Enhanced status code, `5.1.1`. */
  status?: string | undefined;
  /** The remote server's reply (Diagnostic-Code) or the bounce's explanation text. */
  diagnostic?: string | undefined;
}

export interface BounceClass {
  severity: BounceSeverity;
  /** True when the failure is about us (the sender), not the reader's address. */
  aboutSender: boolean;
  /** The enhanced status code found (given or read from the text). */
  status: string | undefined;
  /** Which rule decided, for the record. */
  reason: string;
}

const ABOUT_SENDER: ReadonlyArray<[RegExp, string]> = [
  [/\b(dmarc|dkim|spf)\b|sender policy framework|domainkeys/i, 'authentication (SPF/DKIM/DMARC)'],
  [/unauthenticated|not authenticated|authentication (failed|required)|5\.7\.(2[3-9]|30)\b/i, 'authentication'],
  [/\bptr\b|reverse (dns|lookup)|\brdns\b|no reverse|hostname does not resolve|not resolve to your ip/i, 'PTR / reverse DNS'],
  [/\bspam\b|spamhaus|spamcop|junk mail|bulk mail|unsolicited|\bubl\b|content (rejected|filter)|message content|looks like spam|likely (spam|unsolicited)/i, 'spam content'],
  [/black ?list|block ?list|blocklisted|blacklisted|\bdnsbls?\b|\brbls?\b|listed (at|in|on|by)|\bbarracuda(central)?\b|sorbs|\bsurbl\b|abuseat|senderscore/i, 'block list'],
  [/reputation|poor sender|sender (is )?(blocked|rejected|banned)|ip (address )?(is )?(blocked|banned|rejected|listed)|your ip|\bbanned\b|has been blocked|(messages|mail) from .{0,60} (temporarily |permanently )?(deferred|blocked|rejected)|blocked using|bad sender|not allowed to send/i, 'reputation'],
  [/\bpolicy\b|prohibited|not permitted|access denied.*(ip|sender|policy)|administrative(ly)? prohibited|security reasons|\bvirus\b|malware|infected/i, 'policy'],
];

const HARD_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/user(name)? unknown|unknown (user|recipient|mailbox|local ?part|address)|no such (user|mailbox|recipient|address|account|person)|user not found|recipient not found|mailbox not found|address not found|no mailbox|not our customer|unrouteable address|user (does not|doesn't) exist|(address|mailbox|account|recipient|user) (does not|doesn't|did not) exist|(does not|doesn't) have an? .{0,30}account|account (that you tried to reach )?(does not|doesn't) exist|invalid (recipient|mailbox|address|user)|recipient address rejected|bad destination mailbox|mailbox (is )?(unavailable|disabled|inactive|deleted|not available)|account (has been |is )?(disabled|deleted|closed|inactive|suspended|expired)|not a (valid|known) (user|mailbox|recipient)|no valid recipients|address (is )?(invalid|rejected|unknown)|unknown or illegal alias|not listed in .{0,40}(directory|address book)|no longer (available|valid|in use|active)|user invalid|recipient (is )?(invalid|unknown|rejected)|no mailbox here by that name|this user doesn't have|doesn't have a .{0,20} account|undeliverable address|invalid address|relaying denied|relay access denied|not allowed to relay|unable to relay/i, 'no such address'],
  [/host (or domain name )?not found|domain (not found|does not exist|unknown)|nxdomain|name service error|no (mx|mail exchanger)|null mx|does not accept mail|no route to (host|domain)|unrouteable|unroutable|mail for .{0,60} loops back|domain (has|with) no (mx|mail)|host unknown|dns (error|failure).{0,40}(not exist|nxdomain|no such)/i, 'domain takes no mail'],
];

const SOFT_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/mailbox (is )?full|over ?quota|quota exceeded|exceed(ed|s) .{0,30}(quota|storage|size)|insufficient (storage|system storage|disk)|out of storage|storage (space|limit)|mailbox size limit|too much mail|full mailbox/i, 'mailbox full'],
  [/time[ -]?d? ?out|timed out|expired|retry time|too long|delivery (time|attempts) (expired|exceeded)|could not be delivered within|gave up|delayed/i, 'timeout or expiry'],
  [/greylist|graylist|try (again )?later|temporar(il)?y|please retry|deferred/i, 'temporary'],
  [/rate limit|too many|throttl|slow down|limit exceeded|exceeded .{0,20}(rate|limit)/i, 'rate limit'],
  [/message (is )?too (big|large)|size exceeds|message size/i, 'message size'],
];

/** Hard by enhanced status code alone (the address or domain takes no mail). */
const HARD_STATUS = new Set(['5.1.0', '5.1.1', '5.1.2', '5.1.3', '5.1.6', '5.1.10', '5.2.1', '5.4.4', '5.4.1', '5.4.6']);

/** An enhanced status code in text (`5.1.1`, also `550-5.1.1`), or undefined. */
export function findStatus(text: string): string | undefined {
  const m = /(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/.exec(text);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}

/** The 3-digit SMTP reply code in text (`550`), or undefined. */
export function findReplyCode(text: string): string | undefined {
  return /(?:^|[\s:;(])([45][0-5]\d)(?=[\s-])/.exec(text)?.[1];
}

/** Classifies one failed delivery (see the rules above). Pure. */
export function classifyBounce(input: BounceInput): BounceClass {
  const diagnostic = (input.diagnostic ?? '').replace(/\s+/g, ' ').slice(0, 4000);
  const status = normalizeStatus(input.status) ?? findStatus(diagnostic);
  const code = findReplyCode(diagnostic);
  const temporary = status?.startsWith('4.') || (status === undefined && code?.startsWith('4'));

  // A 5.7.x with words naming the address ("mailbox unavailable", "user unknown") is about the
  // reader (some servers answer 5.7.1 for an unknown recipient); without such words it is about us.
  const hardWords = HARD_WORDS.find(([re]) => re.test(diagnostic));
  for (const [re, reason] of ABOUT_SENDER) {
    if (re.test(diagnostic) && !(hardWords && !/\b(spam|dmarc|dkim|spf|reputation|block ?list|black ?list|blocked|banned)\b/i.test(diagnostic))) {
      return { severity: 'soft', aboutSender: true, status, reason: `about the sender: ${reason}` };
    }
  }
  if (status?.startsWith('5.7.') || status?.startsWith('4.7.')) {
    if (!hardWords) return { severity: 'soft', aboutSender: true, status, reason: `about the sender: policy (${status})` };
  }
  if (temporary) return { severity: 'soft', aboutSender: false, status, reason: 'temporary failure (4xx)' };
  const softWords = SOFT_WORDS.find(([re]) => re.test(diagnostic));
  if (status === '5.2.2' || status === '5.3.4' || status === '5.4.7' || (softWords && !hardWords)) {
    return { severity: 'soft', aboutSender: false, status, reason: softWords?.[1] ?? `status ${status}` };
  }
  if (hardWords) return { severity: 'hard', aboutSender: false, status, reason: hardWords[1] };
  if (status !== undefined && HARD_STATUS.has(status)) return { severity: 'hard', aboutSender: false, status, reason: `status ${status}` };
  return { severity: 'soft', aboutSender: false, status, reason: 'permanent failure of unknown cause (counted as soft)' };
}

function normalizeStatus(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const m = /([245])\.(\d{1,3})\.(\d{1,3})/.exec(s);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}
