/**
 * Previews as a real subscriber or a reader with no name, in the editors' API and the dashboard
 * (issue 15, finding 5: previews only ever showed the sample reader "Alex").
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_EDITION_FILE } from '../../support/editions.ts';
import { type HttpHarness, dashboard, startHttp } from '../../support/http.ts';
import { row } from '../../support/store-fixtures.ts';

const PASSWORD = 'correct horse battery staple';
const bridge = readFileSync(EXAMPLE_EDITION_FILE, 'utf8').replace(/^subject: .*$/m, 'subject: "{{firstName}}, the bridge closes tonight"');

let h: HttpHarness;
beforeEach(async () => {
  h = await startHttp({ env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD } });
  await h.app.stores.lists.create({ id: 'metro' });
  await h.app.stores.subscribers.joinList('metro', [row('jane@example.com', 'Doe, Jane')], { via: 'admin' });
});
afterEach(async () => {
  await h.close();
});

describe('POST /api/editions/preview?as=…', () => {
  const preview = async (query: string) =>
    h.api(await h.token(), { method: 'POST', url: `/api/editions/preview${query}`, payload: bridge, headers: { 'content-type': 'text/plain' } });

  it('renders as a subscriber, as a reader with no name, and as the sample reader by default', async () => {
    const jane = (await preview('?as=jane@example.com')).json();
    expect(jane).toMatchObject({ subject: 'Jane, the bridge closes tonight', reader: { email: 'jane@example.com', name: 'Doe, Jane' } });
    expect(jane.html).toContain('Good morning, Jane.');
    const noName = (await preview('?as=no-name')).json();
    expect(noName).toMatchObject({ subject: 'there, the bridge closes tonight', reader: { name: null, label: 'a reader with no name' } });
    expect(noName.lint.warnings).toContainEqual(expect.objectContaining({ code: 'personalization_fallback', path: 'subject' }));
    expect((await preview('')).json()).toMatchObject({ subject: 'Alex, the bridge closes tonight' });
  });

  it('answers 400 naming an address no subscriber has', async () => {
    const res = await preview('?as=nobody@example.com');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'preview_reader_unknown', error: 'no subscriber has the address nobody@example.com: preview as one who does, or as "no-name"' });
  });
});

describe('dashboard preview as', () => {
  it('shows the copy of the reader chosen in "Preview as", and says whose it is', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const sample = await d.post('/admin/campaigns/preview', { edition: bridge }, { from: '/admin/campaigns/new' });
    expect(sample.body).toContain('<h1>Alex, the bridge closes tonight</h1>');
    expect(sample.body).toContain('name="as"');

    const noName = await d.post('/admin/campaigns/preview', { edition: bridge, as: 'no-name' }, { from: '/admin/campaigns/new' });
    expect(noName.statusCode).toBe(200);
    expect(noName.body).toContain('<h1>there, the bridge closes tonight</h1>');
    expect(noName.body).toContain('<span data-field="reader">a reader with no name</span>');

    const jane = await d.post('/admin/campaigns/preview', { edition: bridge, as: 'jane@example.com' }, { from: '/admin/campaigns/new' });
    expect(jane.body).toContain('<h1>Jane, the bridge closes tonight</h1>');
    expect(jane.body).toMatch(/<span data-field="reader">subscriber \d+ \(jane@example.com\)<\/span>/);

    const typo = await d.post('/admin/campaigns/preview', { edition: bridge, as: 'jnae@example.com' }, { from: '/admin/campaigns/new' });
    expect(typo.body).toContain('no subscriber has the address jnae@example.com');
    expect(typo.body).toContain('<h1>Alex, the bridge closes tonight</h1>');
  });
});
