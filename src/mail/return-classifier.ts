/**
 * What a piece of returned mail is — a bounce (hard, soft, about the sender), a feedback report,
 * an unsubscribe, an auto-reply — decided from its structure and words alone. Pure: who it is
 * about is not decided here (only a signed token says that, see return-identity.ts).
 *
 * Order of the checks, most specific first: an ARF feedback report (RFC 5965); an RFC 3464
 * delivery-status report; a bounce that is not RFC 3464 (Exim, qmail, Postfix, Sendmail,
 * Exchange, Domino, provider free text), recognised by its sender, subject, headers or text;
 * an auto-reply (RFC 3834 `Auto-Submitted`, vacation headers and subjects); then, for mail to
 * an unsubscribe address, the unsubscribe itself. Bounces are checked before auto-replies
 * because many MTAs mark their bounces `Auto-Submitted: auto-replied`.
 */
import type { ReturnEvent, ReturnKind } from '../domain/return-event.ts';
import { type BounceClass, classifyBounce, findStatus } from './bounce-classifier.ts';
import { type ReturnMessage, reportFields } from './return-message.ts';

export interface ReturnClass {
  kind: ReturnKind;
  bounce?: ReturnEvent['bounce'];
  feedbackType?: string | undefined;
  /** Why, in a sentence. */
  note: string;
}

/** What the envelope recipient said the mail is for. */
export type AddressedAs = 'bounce' | 'unsubscribe' | 'feedback' | 'unknown';

const BOUNCE_SENDER = /^(mailer-daemon|postmaster|mail-daemon|maildaemon|mailer_daemon|mmdf|double-bounce|bounce|bounces|nobody|microsoftexchange[0-9a-f]*)@/i;
const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (status notification|failure|failed|has failed|problem|notification)|returned mail|return(ed)? to sender|failure notice|mail delivery (failed|failure|system|subsystem)|non[- ]?delivery|could not be delivered|not delivered|delivery report|mail system error|permanent (error|failure)|message not delivered|rejected:|nicht zustellbar|unzustellbar|non remis|no entregado|warning: could not send|mail failure/i;
const BOUNCE_TEXT =
  /this is the mail system at host|i'm afraid i wasn't able to deliver|this is the qmail-send program|could not be delivered to one or more|a message that you sent could not be delivered|the following (message|address|recipient)\(?e?s?\)? (could not|failed|was undeliverable)|delivery to the following recipient(s)? (failed|has been delayed)|your message (wasn't|was not|could not be) delivered|delivery has failed to these recipients|message could not be delivered|the original message was received at|----- transcript of session follows -----|unable to deliver|permanent fatal errors|delivery to the following recipients failed|this message was created automatically by mail delivery software|smtp error from remote (mail )?server|your message did not reach some or all|couldn't be delivered|returned to sender/i;
const AUTO_REPLY_SUBJECT = /^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|vacation|abwesenheit|absence|réponse automatique|autoreply|automatische antwort|on leave|away from)/i;

/** Classifies a message; `addressedAs` is what its envelope recipient (or delivered-to header) was. */
export function classifyReturnMessage(msg: ReturnMessage, addressedAs: AddressedAs): ReturnClass {
  if (msg.unparsed && !BOUNCE_TEXT.test(msg.searchText.slice(0, 64 * 1024))) {
    return { kind: 'ignored', note: 'not a mail message (no MIME structure or header could be read)' };
  }
  const arf = feedbackReport(msg);
  if (arf) return arf;
  const dsn = deliveryStatusReport(msg);
  if (dsn) return dsn;
  const free = freeTextBounce(msg);
  if (free) return free;
  if (isAutoReply(msg)) return { kind: 'auto-reply', note: `an auto-reply (${autoReplyWhy(msg)}): ignored` };
  if (addressedAs === 'unsubscribe') return { kind: 'unsubscribe', note: 'mail to the unsubscribe address' };
  return { kind: 'ignored', note: 'not a bounce, feedback report or unsubscribe that could be recognised' };
}

function feedbackReport(msg: ReturnMessage): ReturnClass | undefined {
  let fields = msg.feedbackReport ? reportFields(msg.feedbackReport)[0] : undefined;
  if (!fields && (msg.reportType === 'feedback-report' || /^feedback-type:/im.test(msg.searchText.slice(0, 256 * 1024)))) {
    // Some reporters send the fields inline, or as text/plain: read them from the text.
    const m = /^feedback-type:\s*([A-Za-z-]+)/im.exec(msg.searchText);
    if (m) fields = new Map([['feedback-type', m[1] as string]]);
  }
  if (!fields) {
    // Non-ARF complaint formats (Yahoo/AOL/Hotmail/Outlook JMRP style subjects).
    if (/^(complaint about message|abuse report|spam report|email feedback report|\[?jmrp\]?)/i.test(msg.subject) && msg.contentType !== 'multipart/report') {
      return { kind: 'complaint', feedbackType: 'abuse', note: 'a complaint (non-ARF report)' };
    }
    return undefined;
  }
  const type = (fields.get('feedback-type') ?? 'abuse').toLowerCase();
  const note =
    type === 'abuse' ? 'ARF abuse report: a complaint'
    : type === 'opt-out' ? 'ARF opt-out report: an unsubscribe'
    : `ARF ${type} report: for the sender`;
  return { kind: 'complaint', feedbackType: type, note };
}

function deliveryStatusReport(msg: ReturnMessage): ReturnClass | undefined {
  if (!msg.deliveryStatus) return undefined;
  const blocks = reportFields(msg.deliveryStatus);
  const perMessage = blocks.find((b) => b.has('reporting-mta') || b.has('arrival-date')) ?? new Map<string, string>();
  const recipients = blocks.filter((b) => b.has('action') || b.has('status') || b.has('final-recipient'));
  if (!recipients.length) return undefined;
  const failed = recipients.filter((r) => /failed/i.test(r.get('action') ?? '') || (r.get('status') ?? '').trim().startsWith('5'));
  if (!failed.length) {
    const action = (recipients[0]?.get('action') ?? 'delayed').toLowerCase();
    return { kind: 'ignored', note: `a delivery-status report with action "${action}": not a failure` };
  }
  // The worst of several recipients decides: hard beats soft; about us beats about the reader.
  const classes = failed.map((r) => {
    const diagnostic = stripType(r.get('diagnostic-code')) ?? '';
    const text = diagnostic || msg.text;
    return { r, diagnostic, c: classifyBounce({ status: r.get('status'), diagnostic: text }) };
  });
  const pick = classes.find((x) => x.c.aboutSender) ?? classes.find((x) => x.c.severity === 'hard') ?? (classes[0] as (typeof classes)[number]);
  return bounceClass(pick.c, pick.diagnostic || excerpt(msg.text), provider(pick.r.get('final-recipient') ?? pick.r.get('original-recipient'), pick.r.get('remote-mta') ?? perMessage.get('reporting-mta')), 'RFC 3464 report');
}

function freeTextBounce(msg: ReturnMessage): ReturnClass | undefined {
  const fromDaemon = BOUNCE_SENDER.test(msg.from);
  const bySubject = BOUNCE_SUBJECT.test(msg.subject);
  const failedHeader = msg.headers.has('x-failed-recipients');
  const body = msg.text || msg.searchText.slice(0, 64 * 1024);
  const byText = BOUNCE_TEXT.test(body);
  if (!(failedHeader || byText || (fromDaemon && bySubject) || (msg.contentType === 'multipart/report' && msg.reportType === 'delivery-status'))) return undefined;
  const diagnostic = diagnosticLines(body);
  const c = classifyBounce({ status: findStatus(diagnostic) ?? findStatus(body.slice(0, 16 * 1024)), diagnostic: diagnostic || body.slice(0, 4000) });
  const recipient = msg.headers.get('x-failed-recipients') ?? /<([^<>\s@]+@[^<>\s]+)>/.exec(diagnostic)?.[1] ?? /\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b/.exec(diagnostic)?.[0];
  return bounceClass(c, diagnostic || excerpt(body), provider(recipient, undefined), 'bounce (non-RFC 3464)');
}

function bounceClass(c: BounceClass, diagnostic: string, prov: string | undefined, what: string): ReturnClass {
  const kind: ReturnKind = c.aboutSender ? 'sender-alert' : 'bounce';
  return {
    kind,
    bounce: {
      severity: c.severity,
      aboutSender: c.aboutSender,
      ...(c.status ? { status: c.status } : {}),
      ...(diagnostic ? { diagnostic: diagnostic.replace(/\s+/g, ' ').trim().slice(0, 2000) } : {}),
      ...(prov ? { provider: prov } : {}),
    },
    note: `${what}: ${c.aboutSender ? 'a block about the sender' : `${c.severity} bounce`} (${c.reason})`,
  };
}

/** The lines of a free-text bounce that carry the remote server's words. */
function diagnosticLines(body: string): string {
  const lines = body.split(/\r?\n/).slice(0, 400);
  const hits: string[] = [];
  for (let i = 0; i < lines.length && hits.length < 6; i++) {
    const line = (lines[i] as string).trim();
    if (/^(return-path|received|message-id|date|from|to|subject|content-|mime-version):/i.test(line)) continue;
    if (/\b[45]\d\d[\s-][^\n]{3,}|\b[245]\.\d{1,3}\.\d{1,3}\b|unknown|no such|does not exist|not found|quota|full|denied|rejected|refused|blocked|spam|invalid|disabled|expired|timed? ?out/i.test(line)) {
      hits.push(line + (lines[i + 1] && /^\s/.test(lines[i + 1] as string) ? ` ${(lines[i + 1] as string).trim()}` : ''));
    }
  }
  return hits.join(' | ');
}

function isAutoReply(msg: ReturnMessage): boolean {
  return autoReplyWhy(msg) !== undefined;
}

function autoReplyWhy(msg: ReturnMessage): string | undefined {
  const auto = msg.headers.get('auto-submitted');
  if (auto && !/^\s*no\b/i.test(auto)) return `Auto-Submitted: ${auto}`;
  for (const h of ['x-autoreply', 'x-autorespond', 'x-auto-response-suppress', 'x-autogenerated']) if (msg.headers.has(h) && h !== 'x-auto-response-suppress') return h;
  if (/auto[_-]?reply/i.test(msg.headers.get('precedence') ?? '')) return 'Precedence: auto_reply';
  if (AUTO_REPLY_SUBJECT.test(msg.subject)) return `subject "${msg.subject.slice(0, 60)}"`;
  return undefined;
}

/** `smtp; 550 5.1.1 …` → `550 5.1.1 …` */
function stripType(v: string | undefined): string | undefined {
  return v?.replace(/^\s*[A-Za-z-]+\s*;\s*/, '').trim() || undefined;
}

function excerpt(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/**
 * The mailbox provider, for sender alerts: the big ones by name (their many domains and MX
 * hosts), otherwise the recipient's domain or the remote server.
 */
export function provider(recipient: string | undefined, remoteMta: string | undefined): string | undefined {
  const domain = recipient ? /@([A-Za-z0-9.-]+)/.exec(recipient)?.[1]?.toLowerCase() : undefined;
  const host = (stripType(remoteMta) ?? '').toLowerCase();
  const both = `${domain ?? ''} ${host}`;
  if (/gmail|googlemail|google\.com/.test(both)) return 'gmail';
  if (/outlook|hotmail|live\.|msn\.com|protection\.outlook/.test(both)) return 'outlook';
  if (/yahoo|ymail|aol\.|yahoodns/.test(both)) return 'yahoo';
  if (/icloud|me\.com|mac\.com|apple/.test(both)) return 'icloud';
  return domain ?? (host.replace(/^.*?([a-z0-9-]+\.[a-z]{2,})\.?$/, '$1') || undefined);
}
