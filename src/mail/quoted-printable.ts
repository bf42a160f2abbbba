/**
 * Quoted-printable (RFC 2045 §6.7) for text that is cut into pieces: each piece is encoded on
 * its own, starting on a fresh line, so a campaign's static template parts are encoded once
 * and only the small per-recipient values are encoded per message.
 */

const HEX = '0123456789ABCDEF';

/** Longest encoded line, without its CRLF (RFC 2045 allows 76). */
export const QP_LINE = 76;

/**
 * Encodes text (as UTF-8) to quoted-printable with CRLF line ends. `\n` and `\r\n` in the
 * input become hard line breaks; a lone `\r` is escaped.
 *
 * With `openEnd` the output always ends at the start of a line: a soft line break (`=\r\n`,
 * legal anywhere) is added unless the text ended with a hard break. That lets the next
 * separately encoded piece be concatenated as is, and keeps every line within 76 octets
 * whatever the pieces are.
 *
 * Whitespace before a hard line break or at the end of the output is escaped, so no line
 * ends in a space (which transports may strip).
 */
export function encodeQuotedPrintable(text: string, openEnd = false): string {
  const bytes = Buffer.from(text, 'utf8');
  const n = bytes.length;
  let out = '';
  let col = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] === 0x0a)) {
      if (b === 0x0d) i++;
      out += '\r\n';
      col = 0;
      continue;
    }
    let token: string;
    if (b === 0x20 || b === 0x09) {
      const next = bytes[i + 1];
      // At the very end of an open piece the `=` of the soft break follows, so a space may stay.
      const beforeBreak = next === undefined ? !openEnd : next === 0x0a || (next === 0x0d && bytes[i + 2] === 0x0a);
      token = beforeBreak ? (b === 0x20 ? '=20' : '=09') : String.fromCharCode(b);
    } else if (b >= 33 && b <= 126 && b !== 61) {
      token = String.fromCharCode(b);
    } else {
      token = '=' + HEX[b >> 4] + HEX[b & 15];
    }
    // Leave room for the `=` of a soft break: content plus `=` stays within 76.
    if (col + token.length > QP_LINE - 1) {
      out += '=\r\n';
      col = 0;
    }
    // A dot opening a line is escaped too: SMTP would have to dot-stuff it, and some relays get that wrong.
    if (col === 0 && b === 0x2e) token = '=2E';
    out += token;
    col += token.length;
  }
  if (openEnd && col > 0) out += '=\r\n';
  return out;
}
