/**
 * DKIM's relaxed body (RFC 6376 §3.4.4) and its hash, the `bh=` tag both signatures share.
 *
 * Canonicalizing is a byte loop over the whole body (~60 KB for a campaign message), the largest
 * cost of a signature after RSA itself (`bench/dkim.ts`). The rules work line by line and forget
 * everything at each CRLF but one thing, empty lines at the very end, so a body cut into pieces
 * at line starts canonicalizes piece by piece: `relaxedLines` of each, concatenated, is the
 * relaxed body as long as the last piece ends on a line with content. `campaign-message.ts` uses
 * that to canonicalize a campaign's static parts once and only the per-reader values per message.
 */
import { createHash } from 'node:crypto';

/**
 * Relaxed body: no whitespace at line ends, runs of whitespace as one space, no empty lines at
 * the end, and a CRLF after the last line of a non-empty body. Written into `into` when it has
 * room (a buffer reused from message to message).
 */
export function relaxedBody(body: Buffer, into?: Buffer): Buffer {
  const out = into && into.length >= body.length + 2 ? into : Buffer.allocUnsafe(body.length + 2);
  return out.subarray(0, relax(body, out, false));
}

/**
 * The relaxed form of whole lines: each line as `relaxedBody` writes it, empty lines included
 * (whether they are the body's last is not known here). Undefined unless `bytes` is whole lines:
 * empty, or ending with CRLF.
 */
export function relaxedLines(bytes: Buffer): Buffer | undefined {
  const n = bytes.length;
  if (n === 0) return bytes;
  if (bytes[n - 2] !== 13 || bytes[n - 1] !== 10) return undefined;
  const out = Buffer.allocUnsafe(n);
  return out.subarray(0, relax(bytes, out, true));
}

/** `bh=`: SHA-256 of the relaxed body given as consecutive pieces, base64. */
export function relaxedBodyHash(pieces: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const piece of pieces) hash.update(piece);
  return hash.digest('base64');
}

/**
 * One pass over the bytes into `out` (room for `body.length + 2`); returns the output's length:
 * with `keepEnd`, everything written (the input ends with CRLF); without, up to the last line
 * with content, a CRLF added if that line had none.
 */
function relax(body: Buffer, out: Buffer, keepEnd: boolean): number {
  let o = 0;
  // Where the current output line starts: a line has content when anything was written since.
  let lineStart = 0;
  // Where the output ends if nothing but empty lines follows.
  let contentEnd = 0;
  const n = body.length;
  let i = 0;
  while (i < n) {
    let c = body[i] as number;
    // Printable bytes first: by far the most common, one comparison.
    if (c > 32) {
      out[o++] = c;
      i++;
    } else if (c === 32 || c === 9) {
      // A run of whitespace: one space, or nothing at a line end or the end of the body.
      let j = i + 1;
      while (j < n && ((c = body[j] as number) === 32 || c === 9)) j++;
      if (j < n && !(c === 13 && body[j + 1] === 10)) out[o++] = 32;
      i = j;
    } else if (c === 13 && body[i + 1] === 10) {
      const hadContent = o > lineStart;
      out[o++] = 13;
      out[o++] = 10;
      i += 2;
      if (hadContent) contentEnd = o;
      lineStart = o;
    } else {
      // Other controls, a bare CR or LF: content, kept as they are.
      out[o++] = c;
      i++;
    }
  }
  if (keepEnd) return o;
  if (o > lineStart) {
    out[o++] = 13;
    out[o++] = 10;
    contentEnd = o;
  }
  return contentEnd;
}
