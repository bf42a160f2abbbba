/**
 * The composed example edition through SpamAssassin (Debian's `spamassassin`, local tests only):
 * the hidden preheader must not read as hidden text. A copy with the preheader coloured like
 * its background (what MJML's mj-preview emits) is scored too, so the test proves this
 * SpamAssassin would have caught the trick. Skipped where `spamassassin` is not installed
 * (`apt-get install spamassassin`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { EXAMPLE_EDITION_FILE } from '../support/editions.ts';

const hasSpamAssassin = (() => {
  try {
    execFileSync('spamassassin', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The names of the rules SpamAssassin's local tests hit for `message`. */
function rulesHit(message: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('spamassassin', ['-t', '-L'], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout) => {
      if (err && !stdout) return reject(err);
      const report = stdout.slice(stdout.indexOf('Content analysis details'));
      resolve([...report.matchAll(/^\s*-?\d+\.\d+\s+([A-Z][A-Z0-9_]+)/gm)].map((m) => m[1] as string));
    });
    child.stdin?.end(message);
  });
}

describe.skipIf(!hasSpamAssassin)('SpamAssassin on the example edition', () => {
  let dir: string;
  let eml: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'newsdesk-spam-'));
    const r = await runNewsdesk(['compose', EXAMPLE_EDITION_FILE, '--out', dir], { env: { PATH: process.env.PATH ?? '' } });
    expect(r.code).toBe(0);
    // Soft line breaks joined (still valid quoted-printable), so the preheader's style is one string.
    eml = (await readFile(join(dir, '2025-02-13.eml'), 'utf8')).replace(/=\r?\n/g, '');
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('scores no hidden text: HTML_FONT_LOW_CONTRAST does not fire (and would on the colour trick)', async () => {
    const hiddenStyle = 'display:none;mso-hide:all;max-height:0;max-width:0;overflow:hidden;opacity:0;';
    expect(eml).toContain(hiddenStyle);
    const colourTrick = eml.replace(hiddenStyle, 'display:none;font-size:1px;color:#eeebe5;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;');
    const [ours, trick] = await Promise.all([rulesHit(eml), rulesHit(colourTrick)]);
    expect(ours).toContain('HTML_MESSAGE');
    expect(trick).toContain('HTML_FONT_LOW_CONTRAST');
    expect(ours).not.toContain('HTML_FONT_LOW_CONTRAST');
  }, 180_000);
});
