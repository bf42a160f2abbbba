/**
 * A message's bytes as they must travel after DATA (RFC 5321 §4.5.2, §2.3.8): CR and LF only
 * as CRLF pairs, a line that starts with `.` sent as `..`, and a CRLF at the end so the
 * terminating `.` stands on a line of its own.
 *
 * Messages from `campaign-message.ts` are built that way and say so (`OutgoingMessage.smtpReady`),
 * so the client sends them without coming here. Other messages (confirmations, nodemailer's
 * path) are checked — with native `indexOf` searches, not a JavaScript loop over every byte —
 * and sent as given when they pass; anything else is repaired by a slower copy.
 *
 * The check costs two native calls per line. MJML output has many short lines (a 48 KB message
 * has ~1,500), so it is ~80–100 µs a message: skipping it for campaign messages took the
 * client from 199–220 to 94–108 µs of CPU per message (`bench/message.ts --send`, same run).
 * A per-byte JS loop, a word-at-a-time loop and one whole-message regex were all measured and
 * none is much cheaper (the regex also overflows V8's stack on a large message).
 */

const CR = 13;
const LF = 10;
const DOT = 46;

/**
 * True when `raw` can be written after DATA unchanged: every CR and LF is part of a CRLF, no
 * line starts with `.`, and it ends with CRLF (or is empty).
 */
export function isSmtpReady(raw: Buffer): boolean {
  if (raw.length === 0) return true;
  if (raw[0] === DOT || raw[raw.length - 1] !== LF) return false;
  // Walk the line ends: each LF must have a CR just before it and no other CR before that
  // since the last LF (that would be a bare CR); a `.` right after it opens a line.
  let cr = raw.indexOf(CR);
  for (let lf = raw.indexOf(LF); lf !== -1; lf = raw.indexOf(LF, lf + 1)) {
    if (cr !== lf - 1 || raw[lf + 1] === DOT) return false;
    cr = raw.indexOf(CR, lf + 1);
  }
  return cr === -1;
}

/**
 * The bytes to write after the server's 354, before the final `.\r\n`: `raw` itself when it is
 * ready ({@link isSmtpReady}), otherwise a copy with bare CR and bare LF turned into CRLF,
 * leading dots doubled, and a CRLF added at the end.
 */
export function toSmtpData(raw: Buffer): Buffer {
  if (isSmtpReady(raw)) return raw;
  // Worst case every byte is a line end that grows to two bytes and starts a dotted line.
  const out = Buffer.allocUnsafe(raw.length * 2 + 2);
  let o = 0;
  let lineStart = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (c === CR || c === LF) {
      if (c === CR && raw[i + 1] === LF) i++;
      out[o++] = CR;
      out[o++] = LF;
      lineStart = true;
      continue;
    }
    if (lineStart && c === DOT) out[o++] = DOT;
    out[o++] = c;
    lineStart = false;
  }
  if (!lineStart) {
    out[o++] = CR;
    out[o++] = LF;
  }
  return out.subarray(0, o);
}
