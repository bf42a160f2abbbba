/**
 * The double opt-in confirmation message: a short transactional email with one link, sent
 * through the same MailTransport as campaigns (so DKIM and the SMTP settings apply). It has no
 * List-Unsubscribe: it is not a newsletter, and ignoring it is the way to say no.
 */
import { randomBytes } from 'node:crypto';
import type { Newsletter } from '../../domain/newsletter.schema.ts';
import { foldHeader, headerAddress, mailbox, unstructuredHeader } from '../../mail/mime-header.ts';
import { encodeQuotedPrintable } from '../../mail/quoted-printable.ts';
import type { OutgoingMessage } from '../../mail/transport.ts';
import { html } from '../html.ts';

export interface ConfirmationEmailInput {
  newsletter: Newsletter;
  /** The list's display name. */
  listName: string;
  /** The address as typed. */
  to: string;
  confirmUrl: string;
  now?: Date;
}

const CRLF = '\r\n';

/** Builds the complete message. Throws HeaderValueError for an address unfit for a header. */
export function buildConfirmationEmail(input: ConfirmationEmailInput): OutgoingMessage {
  const { newsletter, listName, confirmUrl } = input;
  const from = headerAddress('newsletter.from.address', newsletter.from.address);
  const to = headerAddress('to', input.to);
  const domain = (from.split('@')[1] as string).toLowerCase();
  const messageId = `<c.${randomBytes(12).toString('hex')}@${domain}>`;
  const boundary = `=_ndc_${randomBytes(12).toString('hex')}`;
  const subject = `Confirm your subscription to ${newsletter.name}`;
  const what = listName === newsletter.name ? newsletter.name : `${newsletter.name} (${listName})`;

  const text = [
    `Please confirm that you want to receive ${what} at ${input.to}.`,
    '',
    `Confirm your subscription: ${confirmUrl}`,
    '',
    'If you did not ask for this, ignore this email: nothing will be sent to you.',
    '',
    '--',
    newsletter.name,
    newsletter.postalAddress,
    '',
  ].join('\n');
  const body = html`<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
<body style="margin:0;padding:24px;background:#f6f6f4;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f">
<div style="max-width:520px;margin:0 auto;background:#fff;border:1px solid #e2e2de;border-radius:10px;padding:28px">
<p style="font-size:18px;font-weight:600;margin:0 0 16px">${newsletter.name}</p>
<p style="font-size:16px;line-height:1.5">Please confirm that you want to receive ${what} at ${input.to}.</p>
<p style="margin:24px 0"><a href="${confirmUrl}" style="background:${newsletter.brand.accent};color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600">Confirm subscription</a></p>
<p style="font-size:14px;color:#5f6368;line-height:1.5">If you did not ask for this, ignore this email: nothing will be sent to you.</p>
<p style="font-size:12px;color:#5f6368">${newsletter.postalAddress}</p>
</div></body></html>`.value;

  const head = [
    foldHeader('From', mailbox('newsletter.from', newsletter.from)),
    ...(newsletter.replyTo ? [foldHeader('Reply-To', mailbox('newsletter.replyTo', newsletter.replyTo))] : []),
    `To: ${to}`,
    unstructuredHeader('Subject', subject),
    `Date: ${(input.now ?? new Date()).toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    // RFC 3834: a message sent by a program in answer to a request, so auto-replies stay quiet.
    'Auto-Submitted: auto-replied',
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
  ].join(CRLF);
  const part = (subtype: 'plain' | 'html', content: string) =>
    `--${boundary}${CRLF}Content-Type: text/${subtype}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}${encodeQuotedPrintable(content)}${CRLF}`;
  const raw = `${head}${CRLF}${CRLF}${part('plain', text)}${part('html', body)}--${boundary}--${CRLF}`;
  return { envelope: { from, to }, raw: Buffer.from(raw, 'latin1'), messageId };
}
