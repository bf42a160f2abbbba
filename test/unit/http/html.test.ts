import { describe, expect, it } from 'vitest';
import { html, raw } from '../../../src/http/html.ts';
import { emailFrame } from '../../../src/http/admin/campaign.views.ts';

describe('html``', () => {
  it('escapes every value, joins arrays, drops null, undefined and false', () => {
    const name = `<img src=x onerror="alert('1')">&`;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p>',
    );
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${null}${undefined}${false}${0}`.value).toBe('0');
  });

  it('keeps markup built by html`` or marked raw', () => {
    expect(html`<div>${html`<b>${'x'}</b>`}${raw('<i>y</i>')}</div>`.value).toBe('<div><b>x</b><i>y</i></div>');
  });
});

describe('email preview frames', () => {
  it('carry the email only as an escaped srcdoc, in a sandbox that allows no script', () => {
    const email = '<html><head><title>t</title></head><body><script>alert(1)</script><a href="https://x.example/?a=1&b=2">x</a></body></html>';
    const frame = emailFrame(email, 'w600', 'Preview "600"').value;
    expect(frame).toMatch(/^<iframe class="w600" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="Preview &quot;600&quot;" srcdoc="[^"<>]*"><\/iframe>$/);
    expect(frame).toContain('&lt;head&gt;&lt;base target=&quot;_blank&quot;&gt;&lt;title&gt;');
    expect(frame).toContain('a=1&amp;b=2');
  });
});
