import { describe, expect, it } from 'vitest';
import { compile } from '../../src/composer/compile.ts';
import { trimIndentation } from '../../src/composer/html-indentation.ts';
import { dailyNewsletter, exampleEdition } from '../support/editions.ts';

describe('trimIndentation', () => {
  it("drops the spaces and tabs that start lines, keeping the line breaks and every line's text", () => {
    const html = '<table>\n    <tr>\n\t\t<td style="color: red">Transit\n        fares</td>  \n    </tr>\n</table>';
    expect(trimIndentation(html)).toBe('<table>\n<tr>\n<td style="color: red">Transit\nfares</td>  \n</tr>\n</table>');
  });

  it('keeps the contents of <pre> and <textarea> as they are, in any case, several times', () => {
    const html = '<div>\n  <PRE class="x">\n    a\n      b\n</PRE>\n  <p>\n    c</p>\n  <textarea>\n  d\n</textarea >\n  <pre>\n e</pre>\n</div>';
    expect(trimIndentation(html)).toBe('<div>\n<PRE class="x">\n    a\n      b\n</PRE>\n<p>\nc</p>\n<textarea>\n  d\n</textarea >\n<pre>\n e</pre>\n</div>');
  });

  it('leaves HTML without indentation unchanged', () => {
    const html = '<p>one</p>\n<p>two</p>';
    expect(trimIndentation(html)).toBe(html);
  });
});

describe('compile', () => {
  it('mails the HTML without indentation', async () => {
    const compiled = await compile(exampleEdition(), dailyNewsletter());
    const html = compiled.html.parts.join('');
    expect(html.length).toBeGreaterThan(20_000);
    expect(html).not.toMatch(/\n[ \t]/);
  });
});
