/**
 * Editions and newsletters for tests: the golden example, the daily newsletter, and a small
 * valid edition to vary one field at a time.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEditionText } from '../../src/composer/edition.loader.ts';
import { parseNewsletterText } from '../../src/composer/newsletter.loader.ts';
import type { Edition } from '../../src/domain/edition.schema.ts';
import type { Newsletter } from '../../src/domain/newsletter.schema.ts';

export const repoPath = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

export const EXAMPLE_EDITION_FILE = repoPath('examples/editions/2025-02-13.yaml');

/** The golden example: every section of the briefing. */
export function exampleEdition(): Edition {
  return parseEditionText(readFileSync(EXAMPLE_EDITION_FILE, 'utf8'), EXAMPLE_EDITION_FILE);
}

export function dailyNewsletter(): Newsletter {
  const file = repoPath('newsletters/daily.yaml');
  return parseNewsletterText(readFileSync(file, 'utf8'), file, 'daily');
}

/** A plain-object edition that passes validation; tests override one field to break one rule. */
export function validEditionInput(): Record<string, unknown> {
  return {
    newsletter: 'daily',
    date: '2025-02-13',
    subject: 'A quiet day',
    preheader: 'Nothing much happened, and here it is.',
    watching: [
      {
        headline: 'Lead story',
        image: { src: 'https://images.example.com/lead.jpg', alt: 'A photo', caption: 'A caption', credit: 'A credit' },
        body: 'A paragraph with a [link](https://example.com/a).',
        link: 'https://example.com/lead',
      },
    ],
    moreForYou: [
      { headline: 'Second story', teaser: 'Short teaser.', link: 'https://example.com/second' },
      { figure: '10,000', teaser: 'Things counted today.' },
    ],
    sponsor: { label: 'Presented by Acme', body: 'Acme makes things.', link: 'https://acme.example.com' },
  };
}
