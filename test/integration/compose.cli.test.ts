/**
 * `newsdesk compose` run the way users run it: the real bin, a real temp folder, real files.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { EXAMPLE_EDITION_FILE, repoPath } from '../support/editions.ts';


/** Runs the command in `cwd` with a clean environment: the developer's own settings do not leak in. */
const newsdesk = (cwd: string, args: string[]) => runNewsdesk(args, { cwd, env: { PATH: process.env.PATH ?? '', PUBLIC_URL: 'https://news.example.org' } });

describe('newsdesk compose', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'newsdesk-compose-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('composes the example from any folder: report, files, summary, exit 0', async () => {
    const r = await newsdesk(dir, ['compose', EXAMPLE_EDITION_FILE, '--out', 'out', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, errors: [], warnings: [], files: ['out/2025-02-13.html', 'out/2025-02-13.txt', 'out/2025-02-13.eml'] });
    expect(report.htmlBytes).toBeGreaterThan(20_000);
    expect(r.stderr).toMatch(/^compose: ok, 0 errors, 0 warnings, HTML [\d.]+ KB of Gmail's 100 KB, 3 files in out\n$/);

    const html = await readFile(join(dir, 'out/2025-02-13.html'), 'utf8');
    const text = await readFile(join(dir, 'out/2025-02-13.txt'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('href="https://news.example.org/u/test-send"');
    expect(html).toContain('Good morning, Alex.');
    expect(text).toContain('Unsubscribe: https://news.example.org/u/test-send');
    expect(text).toContain('After a long Putin–Trump call');

    // The .eml is the whole message: it parses into the same text and HTML, with the list headers.
    const raw = await readFile(join(dir, 'out/2025-02-13.eml'));
    const mail = await simpleParser(raw);
    expect(mail.html).toBe(html);
    expect(mail.text).toBe(text);
    expect(mail.subject).toBe('Putin and Trump talk peace terms, and Ukraine waits by the phone');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('reader@example.com');
    const head = raw.toString('latin1').split('\r\n\r\n')[0] as string;
    expect(head.match(/^List-Unsubscribe:/gm)).toHaveLength(1);
    expect(head).toMatch(/^List-Unsubscribe: <https:\/\/news\.example\.org\/u\/test-send>,\r\n <mailto:unsubscribe@news\.example\.com\?subject=unsubscribe>\r\n/m);
    expect(head).toContain('\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
    expect(head).toMatch(/\r\nList-Id: "Newsdesk Daily" <daily\.daily\.news\.example\.com>\r\n/);
  });

  it('prints a readable report and summary without --json, into out/ by default', async () => {
    const r = await newsdesk(dir, ['compose', EXAMPLE_EDITION_FILE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote   ${join('out', '2025-02-13.html')}`);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^compose: ok, /);
    expect(existsSync(join(dir, 'out/2025-02-13.txt'))).toBe(true);
  });

  it('writes nothing for an invalid edition, names each field and line, exits 1', async () => {
    const r = await newsdesk(dir, ['compose', repoPath('test/fixtures/editions/invalid.yaml'), '--out', 'out']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('invalid.yaml: 4 problems');
    expect(r.stderr).toContain('line 7: watching[0].image.alt: required');
    expect(r.stderr).toContain('line 13: watching[0].body: link "javascript:alert(1)": only https, http and mailto links are allowed');
    expect(r.stderr).toContain('line 19: moreForYou[2].link: only https, http and mailto links are allowed');
    expect(r.stderr).toContain('line 23: sponsor.colour: unknown field');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('names the line of a YAML syntax error and of an unknown newsletter', async () => {
    const broken = await newsdesk(dir, ['compose', repoPath('test/fixtures/editions/broken-syntax.yaml'), '--out', 'out']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/line \d+: YAML: /);
    await writeFile(join(dir, 'weekly.yaml'), 'newsletter: weekly\ndate: 2025-02-13\nsubject: s\nwatching: [{headline: h, body: b}]\n');
    const unknown = await newsdesk(dir, ['compose', 'weekly.yaml', '--out', 'out']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('line 1: newsletter: unknown newsletter "weekly": no weekly.yaml in');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('says clearly when the output folder cannot be written', async () => {
    await writeFile(join(dir, 'out'), 'a file where the folder should be');
    const r = await newsdesk(dir, ['compose', EXAMPLE_EDITION_FILE, '--out', 'out']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot write to out: /);
  });

  it('exits 1 on a lint error but still writes the files to look at', async () => {
    const source = await readFile(EXAMPLE_EDITION_FILE, 'utf8');
    await writeFile(join(dir, 'unlabelled.yaml'), source.replace(/^ {2}label: Presented by Walmart\n/m, ''));
    const r = await newsdesk(dir, ['compose', 'unlabelled.yaml', '--out', 'out', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([expect.objectContaining({ code: 'sponsor_label_missing', path: 'sponsor.label' })]);
    expect(r.stderr).toMatch(/^compose: FAILED, 1 error, /);
    expect(existsSync(join(dir, 'out/2025-02-13.html'))).toBe(true);
  });
});
