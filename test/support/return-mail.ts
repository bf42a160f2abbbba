/** Return mail for the tests: real bounce samples, a sent campaign's return addresses, SMTP delivery to the listener. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Pipeline } from './pipeline.ts';
import { repoPath } from './editions.ts';

/** A real sample from test/fixtures/bounces/. */
export function bounceSample(name: string): Buffer {
  return readFileSync(join(repoPath('test/fixtures/bounces'), name));
}

/** One message of a sent campaign, as the SMTP server got it. */
export interface SentCopy {
  subscriberId: number;
  email: string;
  /** The envelope sender: `bounces+<token>@…`. */
  mailFrom: string;
  /** The List-Unsubscribe mailto address: `unsubscribe+<token>@…`. */
  unsubscribeAddress: string;
  /** The message's header block, as a feedback report would quote it. */
  headers: string;
}

/** Sends a campaign of the example edition to `n` new subscribers on `list` and returns each copy. */
export async function sendCampaign(p: Pipeline, list: string, n: number): Promise<{ campaignId: string; copies: SentCopy[] }> {
  const ids = await p.addSubscribers(list, n);
  const before = p.smtp.messages.length;
  const campaign = await p.createCampaign([list]);
  await p.waitForStatus(campaign.id, 'sent');
  const copies = p.smtp.messages.slice(before).map((m) => {
    const email = m.to[0] as string;
    const n = Number(/^reader(\d+)@/.exec(email)?.[1]);
    const text = m.raw.toString('latin1');
    const headers = text.slice(0, text.indexOf('\r\n\r\n'));
    const mailto = /<mailto:([^?>]+)\?subject=unsubscribe>/.exec(headers.replace(/\r\n /g, ' '))?.[1] ?? '';
    return { subscriberId: ids[n - 1] as number, email, mailFrom: m.from, unsubscribeAddress: mailto, headers };
  });
  return { campaignId: campaign.id, copies };
}

/**
 * An ARF abuse report (RFC 5965) as a mailbox provider's feedback loop sends it, the recipient
 * redacted: the structure of sisimai's arf-03 sample with our message's headers inside.
 */
export function abuseReport(copy: SentCopy, opts: { feedbackType?: string; messageId?: string } = {}): Buffer {
  const redacted = copy.headers.replace(/^To: .*$/m, 'To: redacted@example.org');
  return Buffer.from(
    [
      'From: feedbackloop@feedback.example.net',
      'To: feedback@news.example.com',
      'Subject: Abuse Report',
      `Message-Id: ${opts.messageId ?? `<fbl-${copy.subscriberId}-${Math.random().toString(36).slice(2)}@feedback.example.net>`}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; boundary="_fbl_"; report-type="feedback-report"',
      '',
      '--_fbl_',
      'Content-Type: text/plain',
      '',
      'This is an email abuse report for an email message received from IP 192.0.2.8',
      '',
      '--_fbl_',
      'Content-Type: message/feedback-report',
      '',
      `Feedback-Type: ${opts.feedbackType ?? 'abuse'}`,
      'User-Agent: ReturnPathFBL/1.0',
      'Version: 1',
      'Source-IP: 192.0.2.8',
      '',
      '--_fbl_',
      'Content-Type: message/rfc822',
      '',
      redacted,
      '',
      'body removed',
      '--_fbl_--',
      '',
    ].join('\r\n'),
  );
}

/** A reader's mail client answering the List-Unsubscribe mailto. */
export function unsubscribeMail(copy: SentCopy): Buffer {
  return Buffer.from(
    [`From: ${copy.email}`, `To: ${copy.unsubscribeAddress}`, 'Subject: unsubscribe', `Message-ID: <u-${copy.subscriberId}@example.org>`, '', 'unsubscribe', ''].join('\r\n'),
  );
}

/** Delivers `raw` to an SMTP listener with a null sender, as a bouncing MTA does; the server's reply (or refusal). */
export async function deliverSmtp(port: number, rcpt: string, raw: Buffer): Promise<{ code: number; response: string }> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 10_000 });
  try {
    const info = await transport.sendMail({ envelope: { from: '', to: [rcpt] }, raw });
    return { code: Number(info.response.slice(0, 3)), response: info.response };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { code: e.responseCode ?? 0, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}
