/**
 * When the dev outbox may stand in for real mail. It saves messages as files, so a worker of a
 * production install that falls back to it "sends" a campaign nobody receives, and the campaign
 * says `sent`. A worker refuses to start instead.
 */
import { isLoopbackUrl } from '../domain/loopback.ts';

/**
 * Why a worker must not send into the dev outbox, or undefined when it may: with SMTP_URL unset,
 * only a development install (NODE_ENV not production, PUBLIC_URL on loopback) may.
 */
export function devOutboxRefusal(config: { env: string; publicUrl: string; smtp: { url: string | undefined } }): string | undefined {
  if (config.smtp.url) return undefined;
  if (config.env === 'production') {
    return 'SMTP_URL is not set and NODE_ENV is production: a worker will not send real readers\' mail into the dev outbox; set SMTP_URL to your mail server';
  }
  if (!isLoopbackUrl(config.publicUrl)) {
    return `SMTP_URL is not set but PUBLIC_URL (${config.publicUrl}) is not this machine: a worker will not send real readers' mail into the dev outbox; set SMTP_URL to your mail server`;
  }
  return undefined;
}
