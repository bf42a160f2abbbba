import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/composer/compile.ts';
import { parseEdition } from '../../src/composer/edition.loader.ts';
import { personalize } from '../../src/composer/personalize.ts';
import { createTemplateCache } from '../../src/composer/templates.ts';
import { CompiledEmail, type Recipient } from '../../src/domain/compiled-email.ts';
import { dailyNewsletter, exampleEdition, validEditionInput } from '../support/editions.ts';

const templates = createTemplateCache();
const newsletter = dailyNewsletter();

const recipient = (over: Partial<Recipient> = {}): Recipient => ({
  email: 'grace@example.com',
  name: 'Grace Hopper',
  unsubscribeUrl: 'https://news.example.com/u/t1?a=1&b=2',
  viewUrl: 'https://news.example.com/v/t1',
  ...over,
});

describe('personalize', () => {
  let compiled: CompiledEmail;
  beforeAll(async () => {
    compiled = await compile(exampleEdition(), newsletter, { templates });
  });

  it('produces a compiled email that matches the domain contract', () => {
    expect(CompiledEmail.safeParse(compiled).success).toBe(true);
    expect(compiled.html.slots).toEqual(expect.arrayContaining(['firstName', 'email', 'unsubscribeUrl', 'viewUrl']));
    expect(compiled.text.slots).toEqual(expect.arrayContaining(['firstName', 'email', 'unsubscribeUrl', 'viewUrl']));
  });

  it('fills every slot: no {{ and no sentinel survive in subject, HTML or text', () => {
    const copy = personalize(compiled, recipient());
    for (const part of [copy.subject, copy.html, copy.text]) {
      expect(part).not.toContain('{{');
      expect(part).not.toContain('}}');
      expect(part).not.toMatch(/ndslot[0-9a-f]{16}/);
    }
    expect(copy.html).toContain('Good morning, Grace.');
    expect(copy.text).toContain('Good morning, Grace.');
    expect(copy.text).toContain('grace@example.com is subscribed');
  });

  it('falls back to the newsletter greeting when the name is missing or blank', () => {
    for (const name of [undefined, '', '   ']) {
      const copy = personalize(compiled, recipient({ name }));
      expect(copy.html).toContain(`Good morning, ${newsletter.greetingFallback}.`);
      expect(copy.text).toContain(`Good morning, ${newsletter.greetingFallback}.`);
    }
  });

  it('HTML-escapes a hostile name and URL in the HTML, and keeps them raw in the text', () => {
    const copy = personalize(compiled, recipient({ name: '<img/src=x/onerror=alert(1)>"\'& Smith' }));
    expect(copy.html).not.toContain('<img/src=x');
    expect(copy.html).toContain('Good morning, &lt;img/src=x/onerror=alert(1)&gt;&quot;&#39;&amp;.');
    expect(copy.html).toContain('href="https://news.example.com/u/t1?a=1&amp;b=2"');
    expect(copy.text).toContain('Good morning, <img/src=x/onerror=alert(1)>"\'&.');
    expect(copy.text).toContain('Unsubscribe: https://news.example.com/u/t1?a=1&b=2');
  });

  it('fills tokens an editor wrote into the subject, preheader and body', async () => {
    const input = validEditionInput() as any;
    input.subject = '{{firstName}}, your briefing';
    input.preheader = 'Made for {{ firstName }}';
    input.watching[0].body = 'Sent to {{email}}. The web copy: {{viewUrl}}';
    const c = await compile(parseEdition(input), newsletter, { templates });
    const copy = personalize(c, recipient());
    expect(copy.subject).toBe('Grace, your briefing');
    expect(copy.html).toContain('Made for Grace');
    expect(copy.html).toContain('Sent to grace@example.com.');
    expect(copy.text).toContain('Sent to grace@example.com. The web copy: https://news.example.com/v/t1');
    expect(personalize(c, recipient({ name: undefined })).subject).toBe('there, your briefing');
    for (const part of [copy.subject, copy.html, copy.text]) expect(part).not.toContain('{{');
  });

  it('joins parts and slots in order for a hand-made template', () => {
    const c: CompiledEmail = {
      newsletterId: 'daily',
      editionDate: '2025-02-13',
      subject: { parts: ['Hi ', '!'], slots: ['firstName'] },
      preheader: '',
      html: { parts: ['<a href="', '">', '</a>'], slots: ['unsubscribeUrl', 'email'] },
      text: { parts: ['', ' ', ''], slots: ['email', 'viewUrl'] },
      greetingFallback: 'reader',
      compiledAt: '2025-02-13T00:00:00.000Z',
    };
    const copy = personalize(c, recipient({ name: undefined, email: 'a&b@example.com' }));
    expect(copy).toEqual({
      subject: 'Hi reader!',
      html: '<a href="https://news.example.com/u/t1?a=1&amp;b=2">a&amp;b@example.com</a>',
      text: 'a&b@example.com https://news.example.com/v/t1',
    });
  });
});

describe('personalize: the greeting of a "Last, First" name (issue 15, finding 5)', () => {
  it('greets "Doe, Jane" as Jane in the subject, HTML and text', async () => {
    const input = validEditionInput() as any;
    input.subject = '{{firstName}}, the bridge closes tonight';
    const c = await compile(parseEdition(input), newsletter, { templates });
    const copy = personalize(c, recipient({ name: 'Doe, Jane' }));
    expect(copy.subject).toBe('Jane, the bridge closes tonight');
    expect(copy.html).toContain('Good morning, Jane.');
    expect(copy.text).toContain('Good morning, Jane.');
  });
});
