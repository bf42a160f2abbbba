/**
 * The missed-slot alert (README.md, "The daily schedule"): a slot that sent nothing is logged as
 * an error, shown as a dashboard banner, counted for /metrics (`newsdesk_schedule_missed_total`)
 * and mailed to the newsletter's `editors`, through the app's mail transport. A failing email
 * never hides the rest.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import type { MissedSlot } from '../domain/schedule.schema.ts';
import { foldHeader, headerAddress, mailbox, unstructuredHeader } from '../mail/mime-header.ts';
import { encodeQuotedPrintable } from '../mail/quoted-printable.ts';
import type { MailTransport, OutgoingMessage } from '../mail/transport.ts';
import type { ScheduleStore } from '../store/schedule.store.ts';

export interface ScheduleAlertOptions {
  store: ScheduleStore;
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
  /** The app's transport, opened on first use. */
  transport: () => Promise<MailTransport>;
  /** Reads `newsletters/<id>.yaml` (From, editors). */
  newsletter: (id: string) => Promise<Newsletter>;
}

const REASON_TEXT: Record<MissedSlot['reason'], string> = {
  no_edition: 'no approved edition',
  too_late: 'missed while no worker ran',
  failed: 'the campaign could not be created',
};

/** The alert function the slot runner calls. */
export function createScheduleAlerts(opts: ScheduleAlertOptions): (missed: MissedSlot) => Promise<void> {
  return async (missed) => {
    opts.logger.error({ newsletter: missed.newsletter, date: missed.date, slot: missed.slot, reason: missed.reason }, `schedule slot missed: ${missed.message}`);
    await opts.store.recordMissed(missed);
    let newsletter: Newsletter;
    try {
      newsletter = await opts.newsletter(missed.newsletter);
    } catch (err) {
      opts.logger.warn({ newsletter: missed.newsletter, err: String(err) }, 'missed-slot email not sent: the newsletter file could not be read');
      return;
    }
    const editors = newsletter.editors ?? [];
    if (!editors.length) return;
    const transport = await opts.transport();
    for (const to of editors) {
      try {
        const outcome = await transport.send(buildMissedSlotEmail(newsletter, missed, to));
        if (outcome.status !== 'sent') opts.logger.warn({ newsletter: missed.newsletter, to, reply: outcome.response }, 'missed-slot email not taken');
      } catch (err) {
        opts.logger.warn({ newsletter: missed.newsletter, to, err: String(err) }, 'missed-slot email failed');
      }
    }
  };
}

const CRLF = '\r\n';

/** A short plain-text message to one editor. */
export function buildMissedSlotEmail(newsletter: Newsletter, missed: MissedSlot, to: string, now = new Date()): OutgoingMessage {
  const from = headerAddress('newsletter.from.address', newsletter.from.address);
  const rcpt = headerAddress('editors', to);
  const domain = (from.split('@')[1] as string).toLowerCase();
  const messageId = `<s.${randomBytes(12).toString('hex')}@${domain}>`;
  const subject = `[newsdesk] ${newsletter.name} ${missed.date} not sent: ${REASON_TEXT[missed.reason]}`;
  const text = [missed.message, '', `Slot: ${missed.slot}`, `Reason: ${missed.reason}`, '', '--', 'newsdesk, the daily schedule', ''].join('\n');
  const head = [
    foldHeader('From', mailbox('newsletter.from', newsletter.from)),
    `To: ${rcpt}`,
    unstructuredHeader('Subject', subject),
    `Date: ${now.toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    // RFC 3834: sent by a program, so auto-replies stay quiet.
    'Auto-Submitted: auto-generated',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
  ].join(CRLF);
  const raw = `${head}${CRLF}${CRLF}${encodeQuotedPrintable(text)}${CRLF}`;
  return { envelope: { from, to: rcpt }, raw: Buffer.from(raw, 'latin1'), messageId };
}
