/**
 * The dashboard's edition editor through `inject` on real Redis and a loopback SMTP server: the
 * form ↔ YAML round trip, messages beside their fields, CSRF, autosave revisions, send test to
 * the editors, approve (lint and the two-person rule) and a campaign from an approved edition.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Edition } from '../../../src/domain/edition.schema.ts';
import { editionFromFields, editionYaml, fieldsFromEdition } from '../../../src/http/admin/edition-form.ts';
import { EXAMPLE_EDITION_FILE, repoPath } from '../../support/editions.ts';
import { decodeEntities } from '../../support/html.ts';
import { type HttpHarness, csrfIn, dashboard, startHttp } from '../../support/http.ts';
import { FIRST_SENT_DATE, storeSentEditions } from '../../support/sent-editions.ts';

const PASSWORD = 'correct horse battery staple';
const exampleYaml = readFileSync(EXAMPLE_EDITION_FILE, 'utf8');
const exampleFields = fieldsFromEdition(parse(exampleYaml));
const EDITORS = ['editor@example.com', 'desk@example.com'];
const editionYamlOf = (fields: Record<string, string>) => editionYaml(editionFromFields(fields));

let h: HttpHarness;
let newsletters: string;

beforeEach(async () => {
  // The daily newsletter with two editors and the two-person rule.
  newsletters = await mkdtemp(join(tmpdir(), 'newsdesk-newsletters-'));
  const daily = readFileSync(repoPath('newsletters/daily.yaml'), 'utf8').replace(/^editors:\n(\s+- .*\n)+/m, '');
  await writeFile(join(newsletters, 'daily.yaml'), `${daily}\neditors: [${EDITORS.join(', ')}]\napproval: { twoPerson: true }\n`);
  h = await startHttp({ env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD, NEWSLETTERS_DIR: newsletters } });
});
afterEach(async () => {
  await h.close();
  await rm(newsletters, { recursive: true, force: true });
});

/** The edition form's fields as the page shows them (the blank item templates left out). */
function formFields(page: string): Record<string, string> {
  const form = /<form id="edition-form"[\s\S]*?<\/form>/.exec(page)?.[0] ?? '';
  const live = form.replace(/<template[\s\S]*?<\/template>/g, '');
  const fields: Record<string, string> = {};
  for (const m of live.matchAll(/<input\b([^>]*)>/g)) {
    const attrs = m[1] as string;
    const name = /\sname="([^"]*)"/.exec(attrs)?.[1];
    if (!name || name.startsWith('_')) continue;
    fields[decodeEntities(name)] = decodeEntities(/\svalue="([^"]*)"/.exec(attrs)?.[1] ?? '');
  }
  for (const m of live.matchAll(/<textarea\b[^>]*\sname="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[decodeEntities(m[1] as string)] = decodeEntities(m[2] as string);
  for (const m of live.matchAll(/<select\b[^>]*\sname="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    fields[decodeEntities(m[1] as string)] = decodeEntities(/<option value="([^"]*)" selected>/.exec(m[2] as string)?.[1] ?? '');
  }
  return fields;
}

/** The messages the page shows beside the field at `path`. */
function messagesBeside(page: string, path: string): string[] {
  const ul = new RegExp(`<ul class="field-msgs"[^>]*data-msgs-for="${path.replace(/[[\].]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</ul>`).exec(page)?.[1] ?? '';
  return [...ul.matchAll(/<li class="(error|warning)">([\s\S]*?)<\/li>/g)].map((m) => `${m[1]}: ${decodeEntities(m[2] as string)}`);
}

async function signedIn(secret = PASSWORD) {
  const d = dashboard(h.server);
  expect((await d.signIn(secret)).statusCode).toBe(303);
  return d;
}

describe('the form and its YAML view', () => {
  it('round-trips: form → YAML → form gives the same edition, and the YAML is tidy', async () => {
    const d = await signedIn();
    const yamlPage = await d.post('/admin/editions/yaml', exampleFields, { from: '/admin/editions/new' });
    expect(yamlPage.statusCode).toBe(200);
    const yaml = decodeEntities(/<textarea id="yaml" name="yaml"[^>]*>([\s\S]*?)<\/textarea>/.exec(yamlPage.body)?.[1] ?? '');
    expect(yaml.startsWith('newsletter: daily\ndate: 2025-02-13\n')).toBe(true);
    expect(yaml).toContain('    body: |-\n      Donald Trump');
    expect(Edition.parse(parse(yaml))).toEqual(Edition.parse(parse(exampleYaml)));

    const formPage = await d.post('/admin/editions/form', { yaml }, { from: '/admin/editions/new' });
    expect(formPage.statusCode).toBe(200);
    const back = formFields(formPage.body);
    expect(editionFromFields(back)).toEqual(editionFromFields(exampleFields));
    // Three More For You items, the number of the day among them; the preview rendered on the server.
    expect(back['moreForYou[2].figure']).toBe('10,000');
    expect(formPage.body).toContain('data-frame="light"');
    expect(formPage.body).toMatch(/srcdoc="[^"]*Good morning/);
  });

  it('keeps YAML the form cannot hold in the YAML view, saying what and where', async () => {
    const d = await signedIn();
    const res = await d.post('/admin/editions/form', { yaml: `${exampleYaml}\ncolour: red\n` }, { from: '/admin/editions/new' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<code>colour</code> is not a field of the edition');
    expect(res.body).toContain('colour: red');
    const broken = await d.post('/admin/editions/form', { yaml: 'subject: "unclosed\n' }, { from: '/admin/editions/new' });
    expect(broken.statusCode).toBe(400);
    expect(broken.body).toMatch(/line 1/);
  });

  it('generates the form from the schema: every field labelled, lists with add, remove and reorder', async () => {
    const d = await signedIn();
    const page = (await d.get('/admin/editions/new')).body;
    for (const id of ['f-subject', 'f-preheader', 'f-date', 'f-watching-0-headline', 'f-watching-0-image-src', 'f-watching-0-image-alt', 'f-watching-0-body', 'f-sponsor-label', 'f-sponsor-body']) {
      expect(page, id).toContain(`<label for="${id}">`);
      expect(page, id).toContain(`id="${id}"`);
    }
    // A More For You item exists as a template until one is added; every image address has an upload.
    expect(page).toContain('name="moreForYou[__i__].figure"');
    expect(page).toContain('data-upload-for="f-watching-0-image-src"');
    expect(page).toMatch(/<fieldset class="list" data-path="moreForYou" data-list="moreForYou" data-min="0" data-max="50">/);
    expect(page).toContain('<script src="/admin/assets/editor.js" defer></script>');
    expect(page).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\ssrc=)[^>]*>/);
    const js = await d.get('/admin/assets/editor.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
  });
});

describe('messages beside their fields', () => {
  it('the live preview names each problem by its field path; lint findings come with the render', async () => {
    const d = await signedIn();
    const csrf = csrfIn((await d.get('/admin/editions/new')).body);
    const bad = await d.post('/admin/editions/preview', { ...exampleFields, 'watching[0].headline': '', 'moreForYou[1].image.alt': '' }, { csrf });
    expect(bad.statusCode).toBe(200);
    const b = bad.json();
    expect(b.ok).toBe(false);
    expect(b.messages).toEqual(
      expect.arrayContaining([
        { path: 'watching[0].headline', level: 'error', message: expect.stringContaining('required') },
        { path: 'moreForYou[1].image.alt', level: 'error', message: expect.any(String) },
      ]),
    );

    const linted = await d.post('/admin/editions/preview', { ...exampleFields, 'watching[0].image.src': 'http://images.example.com/a.jpg', preheader: '' }, { csrf });
    const l = linted.json();
    expect(l.ok).toBe(true);
    expect(l.messages).toEqual(
      expect.arrayContaining([
        { path: 'watching[0].image.src', level: 'warning', message: expect.stringContaining('https') },
        { path: 'preheader', level: 'warning', message: expect.stringContaining('no preheader') },
      ]),
    );
    expect(l.html).toContain('http://images.example.com/a.jpg');
    expect(l.text).toContain('After a long Putin');
    expect(l.htmlBytes).toBeGreaterThan(10_000);
    expect(l.dark).not.toMatch(/prefers-color-scheme:\s*dark/);
  });

  it('a save that is refused shows each problem beside its field, and stores nothing', async () => {
    const d = await signedIn();
    const res = await d.post('/admin/editions/save', { ...exampleFields, 'moreForYou[0].link': 'javascript:alert(1)', subject: '' }, { from: '/admin/editions/new' });
    expect(res.statusCode).toBe(400);
    expect(messagesBeside(res.body, 'subject')).toEqual(['error: required']);
    expect(messagesBeside(res.body, 'moreForYou[0].link').join()).toMatch(/^error: .*https/);
    expect(res.body).toMatch(/id="f-subject"[^>]*aria-invalid="true"/);
    expect(await h.app.editions.list()).toEqual({ editions: [], total: 0 });
  });
});

describe('autosave', () => {
  it('stores the form as a draft, one revision per change, by the dashboard user', async () => {
    const d = await signedIn();
    const csrf = csrfIn((await d.get('/admin/editions/new')).body);
    const first = await d.post('/admin/editions/autosave', exampleFields, { csrf });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ saved: true, changed: true, id: 'daily-2025-02-13', revision: 1, state: 'draft', savedBy: 'dashboard:admin' });

    const same = await d.post('/admin/editions/autosave', exampleFields, { csrf });
    expect(same.json()).toMatchObject({ saved: true, changed: false, revision: 1 });

    const second = await d.post('/admin/editions/autosave', { ...exampleFields, subject: 'A second subject' }, { csrf });
    expect(second.json()).toMatchObject({ saved: true, changed: true, revision: 2 });
    const stored = await h.app.editions.get('daily-2025-02-13');
    expect(stored).toMatchObject({ revision: 2, state: 'draft', savedBy: 'dashboard:admin' });
    expect(parse(stored?.source ?? '').subject).toBe('A second subject');
    expect(parse((await h.app.editions.get('daily-2025-02-13', { revision: 1 }))?.source ?? '').subject).toBe(parse(exampleYaml).subject);

    // An incomplete edition is not saved; the answer names what is missing.
    const incomplete = await d.post('/admin/editions/autosave', { ...exampleFields, 'watching[0].body': '' }, { csrf });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().messages).toEqual([{ path: 'watching[0].body', level: 'error', message: expect.stringContaining('required') }]);
    expect((await h.app.editions.get('daily-2025-02-13'))?.revision).toBe(2);

    // The stored edition opens in the form.
    const page = await d.get('/admin/editions/daily-2025-02-13');
    expect(page.statusCode).toBe(200);
    expect(formFields(page.body).subject).toBe('A second subject');
    expect(page.body).toContain('Revision 2, saved by dashboard:admin');
  });

  it('says why a sent edition is not saved, and keeps it as it was', async () => {
    const { edition } = await h.app.editions.save(editionYamlOf(exampleFields), 'cli:ana');
    await h.app.editions.markSent(edition.id, 'daily-2025-02-13-abcdef');
    const d = await signedIn();
    const res = await d.post('/admin/editions/autosave', { ...exampleFields, subject: 'Too late' }, { from: '/admin/editions/new' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ saved: false, messages: [{ path: '', level: 'error', message: expect.stringContaining('was sent') }] });
    expect(await h.app.editions.get(edition.id)).toMatchObject({ state: 'sent', revision: 1 });
  });

  it('refuses a post without its CSRF token, or with another session\'s, and stores nothing', async () => {
    const alice = await signedIn();
    const bob = await signedIn(await h.token('bob', 'editor'));
    const none = await alice.post('/admin/editions/autosave', exampleFields, { csrf: null });
    expect(none.statusCode).toBe(403);
    const bobs = csrfIn((await bob.get('/admin/editions/new')).body);
    expect((await alice.post('/admin/editions/autosave', exampleFields, { csrf: bobs })).statusCode).toBe(403);
    expect((await alice.post('/admin/editions/save', exampleFields, { csrf: null })).statusCode).toBe(403);
    expect((await alice.post('/admin/editions/preview', exampleFields, { csrf: null })).statusCode).toBe(403);
    expect(await h.app.editions.list()).toEqual({ editions: [], total: 0 });
  });

  it('a read-only sign-in may look but not save', async () => {
    const reader = await signedIn(await h.token('viewer', 'read'));
    const page = await reader.get('/admin/editions/new');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-edition-form');
    expect(page.body).not.toContain('data-autosave-url');
    expect(page.body).not.toContain('>Save draft</button>');
    const res = await reader.post('/admin/editions/autosave', exampleFields, { from: '/admin/editions/new' });
    expect(res.statusCode).toBe(403);
    expect(await h.app.editions.list()).toEqual({ editions: [], total: 0 });
  });
});

describe('send test, approve, campaign', () => {
  it('sends a [TEST] copy of the form to each of the newsletter\'s editors', async () => {
    const d = await signedIn();
    const res = await d.post('/admin/editions/test', exampleFields, { from: '/admin/editions/new' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`Test copy sent to ${EDITORS.join(', ')}.`);
    const messages = await h.smtp.waitForMessages(2);
    expect(messages.flatMap((m) => m.to).sort()).toEqual([...EDITORS].sort());
    expect(messages[0]?.raw.toString()).toMatch(/^Subject: \[TEST\] /m);
  });

  it('approves only with lint clean and a second person; the list shows every edition with its state', async () => {
    const ada = await signedIn(await h.token('ada', 'editor'));
    const bea = await signedIn(await h.token('bea', 'editor'));
    const csrf = csrfIn((await ada.get('/admin/editions/new')).body);
    // A sponsor without a label is a lint error: approval refused, the message beside the field.
    const unlabelled = { ...exampleFields, 'sponsor.label': '' };
    expect((await ada.post('/admin/editions/autosave', unlabelled, { csrf })).json()).toMatchObject({ saved: true, revision: 1 });
    const refused = await bea.post('/admin/editions/daily-2025-02-13/approve', {}, { from: '/admin/editions/daily-2025-02-13' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Not approved: the lint found errors');
    expect(messagesBeside(refused.body, 'sponsor.label').join()).toContain('sponsor has no label');
    expect((await h.app.editions.get('daily-2025-02-13'))?.state).toBe('draft');

    // Fixed by ada: ada may not approve her own revision (twoPerson), bea may.
    expect((await ada.post('/admin/editions/autosave', exampleFields, { csrf })).json()).toMatchObject({ saved: true, revision: 2 });
    const own = await ada.post('/admin/editions/daily-2025-02-13/approve', {}, { from: '/admin/editions/daily-2025-02-13' });
    expect(own.statusCode).toBe(409);
    expect(own.body).toContain('needs two people');
    expect((await h.app.editions.get('daily-2025-02-13'))?.state).toBe('draft');
    const ok = await bea.post('/admin/editions/daily-2025-02-13/approve', {}, { from: '/admin/editions/daily-2025-02-13' });
    expect(ok.statusCode).toBe(303);
    expect(await h.app.editions.get('daily-2025-02-13')).toMatchObject({ state: 'approved', approvedBy: 'dashboard:bea' });

    // Another, later edition: newest date first on the list page.
    await ada.post('/admin/editions/autosave', { ...exampleFields, date: '2025-02-14' }, { csrf });
    const list = (await ada.get('/admin/editions')).body;
    const rows = [...list.matchAll(/<tr data-edition="([^"]+)" data-state="([^"]+)">/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows).toEqual(['daily-2025-02-14 draft', 'daily-2025-02-13 approved']);
    expect(list).toContain('href="/admin/editions/daily-2025-02-13/campaign">Create campaign</a>');
  });

  it('creates a campaign from an approved edition with the campaign form', async () => {
    await h.addSubscribers('daily', 3);
    const ada = await signedIn(await h.token('ada', 'editor'));
    const bea = await signedIn(await h.token('bea', 'editor'));
    await ada.post('/admin/editions/autosave', exampleFields, { from: '/admin/editions/new' });
    await bea.post('/admin/editions/daily-2025-02-13/approve', {}, { from: '/admin/editions/daily-2025-02-13' });
    const form = await ada.get('/admin/editions/daily-2025-02-13/campaign');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('action="/admin/editions/daily-2025-02-13/campaign"');
    expect(form.body).toMatch(/<input type="checkbox" name="lists" value="daily" checked>/);
    const res = await ada.post('/admin/editions/daily-2025-02-13/campaign', { lists: 'daily', when: 'draft' }, { from: '/admin/editions/daily-2025-02-13/campaign' });
    expect(res.statusCode).toBe(303);
    const id = /^\/admin\/campaigns\/(.+)$/.exec(String(res.headers.location))?.[1] as string;
    expect(await h.app.campaigns.get(id)).toMatchObject({ status: 'draft', lists: ['daily'], editionId: 'daily-2025-02-13', editionRevision: 1 });

    const none = await ada.post('/admin/editions/daily-2025-02-13/campaign', { when: 'draft' }, { from: '/admin/editions/daily-2025-02-13/campaign' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('pick at least one list');
  });
});

describe('the list', () => {
  it('shows 50 editions a page, newest first, with links to newer and older pages; past the last is a 404', async () => {
    await storeSentEditions(h.app, 55);
    const ada = await signedIn(await h.token('ada', 'editor'));
    const rows = (body: string) => [...body.matchAll(/<tr data-edition="([^"]+)"/g)].map((m) => m[1]);
    const first = (await ada.get('/admin/editions')).body;
    expect(rows(first)).toHaveLength(50);
    expect(rows(first)[0]).toBe('daily-2020-02-24');
    expect(first).toContain('Page 1 of 2 (55 editions)');
    expect(first).toContain('<a href="/admin/editions?page=2" rel="next">Older</a>');
    const second = (await ada.get('/admin/editions?page=2')).body;
    expect(rows(second)).toEqual(['daily-2020-01-05', 'daily-2020-01-04', 'daily-2020-01-03', 'daily-2020-01-02', `daily-${FIRST_SENT_DATE}`]);
    expect(second).toContain('<a href="/admin/editions" rel="prev">Newer</a>');
    expect((await ada.get('/admin/editions?page=3')).statusCode).toBe(404);
    for (const bad of ['0', 'abc', '0x2', '1e1', '']) expect((await ada.get(`/admin/editions?page=${bad}`)).statusCode).toBe(400);
  });
});

describe('delete', () => {
  it('offers Delete (asking first) on editions never sent; refuses one with a draft campaign, saying why; deletes once it is cancelled', async () => {
    const ada = await signedIn(await h.token('ada', 'editor'));
    await ada.post('/admin/editions/autosave', exampleFields, { from: '/admin/editions/new' });
    const page = (await ada.get('/admin/editions/daily-2025-02-13')).body;
    expect(page).toContain('action="/admin/editions/daily-2025-02-13/delete" data-confirm="Delete edition daily-2025-02-13 and its revision?"');
    expect((await ada.get('/admin/editions')).body).toContain('action="/admin/editions/daily-2025-02-13/delete"');
    const reader = await signedIn(await h.token('viewer', 'read'));
    expect((await reader.get('/admin/editions')).body).not.toContain('/delete"');
    expect((await reader.post('/admin/editions/daily-2025-02-13/delete', {}, { from: '/admin/editions' })).statusCode).toBe(403);

    await h.addSubscribers('daily', 1);
    const { campaign } = await h.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'draft', by: 'dashboard:ada' });
    const refused = await ada.post('/admin/editions/daily-2025-02-13/delete', {}, { from: '/admin/editions/daily-2025-02-13' });
    expect(refused.statusCode).toBe(409);
    expect(decodeEntities(refused.body)).toContain(`Not deleted: edition daily-2025-02-13 has draft campaign ${campaign.id}`);
    expect(await h.app.editions.get('daily-2025-02-13')).not.toBeNull();

    await h.app.service.cancel(campaign.id);
    const deleted = await ada.post('/admin/editions/daily-2025-02-13/delete', {}, { from: '/admin/editions/daily-2025-02-13' });
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe('/admin/editions?deleted=daily-2025-02-13');
    expect(await h.app.editions.get('daily-2025-02-13')).toBeNull();
    expect((await ada.get(String(deleted.headers.location))).body).toContain('Deleted edition daily-2025-02-13.');
    expect((await h.app.stores.audit.list()).at(-1)).toMatchObject({ action: 'edition.delete', actor: 'dashboard:ada' });

    // A save the editor page still had waiting (or on its way) lands after the delete: refused, not re-created.
    const late = await ada.post('/admin/editions/autosave', { ...exampleFields, _id: 'daily-2025-02-13' }, { from: '/admin/editions/daily-2025-02-13' });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ saved: false, messages: [{ message: expect.stringContaining('was deleted while it was being edited') }] });
    expect(await h.app.editions.get('daily-2025-02-13')).toBeNull();
    // A page rebuilt for the deleted edition (a refused save, the YAML view back to the form) keeps
    // its id, so the autosave that follows stays refused instead of making the edition again.
    const refusedSave = await ada.post('/admin/editions/save', { ...exampleFields, _id: 'daily-2025-02-13' }, { from: '/admin/editions/daily-2025-02-13' });
    expect(refusedSave.statusCode).toBe(400);
    expect(refusedSave.body).toContain('name="_id" value="daily-2025-02-13"');
    const backToForm = await ada.post('/admin/editions/form', { yaml: exampleYaml, _id: 'daily-2025-02-13' }, { from: '/admin/editions/daily-2025-02-13' });
    expect(backToForm.body).toContain('name="_id" value="daily-2025-02-13"');
    expect(await h.app.editions.get('daily-2025-02-13')).toBeNull();
  });

  it('offers no Delete on a sent edition', async () => {
    const ada = await signedIn(await h.token('ada', 'editor'));
    await ada.post('/admin/editions/autosave', exampleFields, { from: '/admin/editions/new' });
    await h.app.editions.approve('daily-2025-02-13', 'cli:bea');
    await h.addSubscribers('daily', 1);
    await h.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:bea', yes: true });
    expect((await ada.get('/admin/editions/daily-2025-02-13')).body).not.toContain('/delete"');
    expect((await ada.get('/admin/editions')).body).not.toContain('/delete"');
  });
});
