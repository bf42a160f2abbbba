/**
 * Whether a provider's bounce is a block about *us* (policy, spam content, reputation,
 * authentication) rather than about the reader's address: the same rules as for bounce mail
 * (bounce-classifier.ts), since ESPs file many such blocks as permanent bounces and such a block
 * must never remove a reader.
 */
import { classifyBounce } from '../bounce-classifier.ts';

/** True when the status code or the remote server's words say the block is about the sender. */
export function isBlockAboutSender(status: string | undefined, diagnostic: string | undefined): boolean {
  return classifyBounce({ status, diagnostic }).aboutSender;
}
