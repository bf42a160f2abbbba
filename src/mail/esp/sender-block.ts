/**
 * Whether a rejection is about *us* (policy, spam content, reputation, authentication) rather
 * than about the reader's address. Such a block must never remove a reader (it is an alert for
 * the sender), however the provider labels it: ESPs file many of them as permanent bounces.
 */

/** RFC 3463 5.7.x (security or policy status) and the words remote servers use for such blocks. */
const ABOUT_SENDER =
  /\b[45]\.7\.\d{1,3}\b|\bspam\b|\bblock(ed|list(ed)?)?\b|\bblacklist|\bdenylist|\breputation\b|\bpolicy\b|\bspf\b|\bdkim\b|\bdmarc\b|\bptr\b|reverse dns|\brbl\b|spamhaus|barracuda|\bcontent rejected\b|\bmessage content\b|\bnot authorized\b|\bunauthenticated\b|\btoo many\b|\brate limit|\bthrottl/i;

/** True when the status or the remote server's words say the block is about the sender. */
export function isBlockAboutSender(status: string | undefined, diagnostic: string | undefined): boolean {
  if (status && /^[45]\.7\./.test(status.trim())) return true;
  return ABOUT_SENDER.test(diagnostic ?? '');
}
