/**
 * Hand-built inputs for the mail layer's tests (there is no composer on this branch): a
 * CompiledEmail with non-ASCII text, long lines, `=` signs and slots in awkward places.
 */
import type { CompiledEmail, Recipient, Template, Slot } from '../../src/domain/compiled-email.ts';
import { Newsletter } from '../../src/domain/newsletter.schema.ts';

/** Splits `Hello {{firstName}}!` into a Template. */
export function template(source: string): Template {
  const parts: string[] = [];
  const slots: Slot[] = [];
  let rest = source;
  for (let m = /\{\{(\w+)\}\}/.exec(rest); m; m = /\{\{(\w+)\}\}/.exec(rest)) {
    parts.push(rest.slice(0, m.index));
    slots.push(m[1] as Slot);
    rest = rest.slice(m.index + m[0].length);
  }
  parts.push(rest);
  return { parts, slots };
}

export const newsletter: Newsletter = Newsletter.parse({
  id: 'daily',
  name: 'The Daily Briefing',
  from: { name: 'The Daily Briefing', address: 'news@briefing.example.com' },
  replyTo: { name: 'Newsroom', address: 'desk@briefing.example.com' },
  postalAddress: '1 Press Row, Springfield',
  website: 'https://briefing.example.com',
});

const longLine = 'Sixty-four characters of prose, then more, then a lot more = and '.repeat(8);

export const compiled: CompiledEmail = {
  newsletterId: 'daily',
  editionDate: '2025-02-13',
  subject: template('Good morning, {{firstName}}: café prices = up 10%'),
  preheader: 'What we are watching',
  html: template(
    [
      '<!doctype html><html><body style="margin:0">',
      '<p class="greeting">Good morning, {{firstName}},</p>',
      `<p>${longLine}</p>`,
      '<p>Crème brûlée — naïve “quotes” ünïcödé 🎉 end</p>   ',
      '<a href="{{viewUrl}}">View in browser</a><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      '<p>Sent to {{email}}</p>{{firstName}}{{firstName}}',
      '    <table>\t<tr><td>=3D stays literal</td></tr></table>',
      '</body></html>{{email}}',
    ].join('\n'),
  ),
  text: template(
    [
      '{{firstName}}, good morning!',
      '',
      longLine,
      'Crème brûlée — 🎉   ',
      'View: {{viewUrl}}',
      'Unsubscribe: {{unsubscribeUrl}}',
      '',
      '',
    ].join('\n'),
  ),
  greetingFallback: 'there',
  compiledAt: '2025-02-13T05:00:00.000Z',
};

export function recipient(n: number, name?: string): Recipient {
  return {
    email: `reader${n}@inbox.example.org`,
    name,
    unsubscribeUrl: `https://briefing.example.com/u/${'t'.repeat(40)}.${n}?x=1&y=2`,
    viewUrl: `https://briefing.example.com/v/${n}?a=1&b="q"`,
  };
}
