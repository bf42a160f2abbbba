/**
 * MJML indents its HTML for people to read: about a sixth of an edition's bytes are spaces at the
 * start of lines, mailed to every reader and counted against Gmail's clipping limit. Outside
 * `<pre>` and `<textarea>` (where spaces show), HTML renders a line's leading spaces as the one
 * space the line break already is, so they go; everything else stays as MJML wrote it.
 *
 * A newsletter template of your own that shows text with CSS `white-space: pre` (or `pre-wrap`,
 * `break-spaces`) outside those two elements would lose that text's indentation: put it in `<pre>`.
 */

/** The elements whose text keeps its whitespace, with their contents. */
const KEEPS_SPACES = /<(pre|textarea)\b[\s\S]*?<\/\1\s*>/gi;

/** `html` without the spaces and tabs that start its lines, outside `<pre>` and `<textarea>`. */
export function trimIndentation(html: string): string {
  let out = '';
  let from = 0;
  for (const kept of html.matchAll(KEEPS_SPACES)) {
    out += trim(html.slice(from, kept.index)) + kept[0];
    from = kept.index + kept[0].length;
  }
  return out + trim(html.slice(from));
}

function trim(part: string): string {
  return part.replace(/\n[ \t]+/g, '\n');
}
