import { describe, expect, it } from 'vitest';
import { createMarkdown } from '../../src/composer/markdown.ts';

const md = createMarkdown();

describe('editor Markdown', () => {
  it('renders paragraphs, emphasis and links, with safe link attributes', () => {
    expect(md.html('One *two* **three** [four](https://example.com/4).\n\nFive.')).toBe(
      '<p>One <em>two</em> <strong>three</strong> <a href="https://example.com/4" target="_blank" rel="noopener noreferrer">four</a>.</p>\n<p>Five.</p>\n',
    );
  });

  it('shows raw HTML as text', () => {
    expect(md.html('<script>alert(1)</script> <b onclick="x">b</b>')).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;b onclick=&quot;x&quot;&gt;b&lt;/b&gt;</p>\n',
    );
  });

  it('leaves headings, images and code blocks to the template (they stay text)', () => {
    const html = md.html('# Big\n\n![pic](https://x.example/p.png)\n\n    code');
    expect(html).not.toMatch(/<h1|<img|<pre/);
  });

  it('never turns a disallowed scheme into a link, and reports it', () => {
    const src = '[a](javascript:alert(1)) [b](data:text/html,x) <vbscript:x> [c](/relative) [d][r]\n\n[r]: file:///etc/passwd';
    expect(md.html(src)).not.toContain('<a ');
    expect(md.rejectedLinks(src)).toEqual(['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,x', 'vbscript:x', '/relative']);
    expect(md.rejectedLinks('[ok](https://example.com) [ok](mailto:a@example.com)')).toEqual([]);
  });

  it('renders inline Markdown without a paragraph', () => {
    expect(md.inlineHtml('a *b* [c](https://example.com)')).toBe(
      'a <em>b</em> <a href="https://example.com" target="_blank" rel="noopener noreferrer">c</a>',
    );
  });

  it('renders plain text for the text part: links in brackets, lists and quotes kept readable', () => {
    const src = 'See [the report](https://example.com/r), or <https://example.com/x>.\n\n- one\n- two\n\n1. first\n2. second\n\n> said\n> twice\n\nLast *word*.';
    expect(md.text(src)).toBe(
      'See the report (https://example.com/r), or https://example.com/x.\n\n- one\n- two\n\n1. first\n2. second\n\n> said\n> twice\n\nLast word.',
    );
  });
});
