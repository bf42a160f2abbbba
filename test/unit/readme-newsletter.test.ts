/** The README's "Your own newsletter" example is a newsletter file newsdesk accepts. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNewsletterText } from '../../src/composer/newsletter.loader.ts';
import { repoPath } from '../support/editions.ts';

describe('README: your own newsletter', () => {
  it('shows a newsletter file that parses as written', () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Your own newsletter'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const newsletter = parseNewsletterText(example, 'README.md', 'metro');
    expect(newsletter).toMatchObject({ id: 'metro', name: 'Metro Morning', template: 'briefing', greetingFallback: 'there' });
  });
});
