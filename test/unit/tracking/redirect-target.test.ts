import { describe, expect, it } from 'vitest';
import { redirectTarget } from '../../../src/domain/redirect-target.ts';

const fill = { campaign: 'daily-2025-02-13-abc123', date: '2025-02-13' };
const utm = { source: 'newsdesk', medium: 'email', campaign: '{campaign}-{date}' };

describe('redirect target', () => {
  it('is the stored URL exactly when no UTM is asked for', () => {
    for (const url of ['https://a.example/x?q=1&r=%20two#frag', 'http://a.example', 'https://a.example/p?#', 'https://a.example/x?q=1#top']) {
      expect(redirectTarget(url, undefined, fill)).toBe(url);
    }
    // Only what a header cannot carry is percent-encoded.
    expect(redirectTarget('https://a.example/ü?x=ß', undefined, fill)).toBe('https://a.example/%C3%BC?x=%C3%9F');
  });

  it('adds UTM before the fragment, after an existing query, and never repeats a parameter already there', () => {
    expect(redirectTarget('https://a.example/x?q=1#top', utm, fill)).toBe(
      'https://a.example/x?q=1&utm_source=newsdesk&utm_medium=email&utm_campaign=daily-2025-02-13-abc123-2025-02-13#top',
    );
    expect(redirectTarget('https://a.example/x', utm, fill)).toBe('https://a.example/x?utm_source=newsdesk&utm_medium=email&utm_campaign=daily-2025-02-13-abc123-2025-02-13');
    expect(redirectTarget('https://a.example/x?utm_source=partner', utm, fill)).toBe(
      'https://a.example/x?utm_source=partner&utm_medium=email&utm_campaign=daily-2025-02-13-abc123-2025-02-13',
    );
  });

  it('refuses every scheme but http and https', () => {
    for (const url of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,x', 'mailto:a@b.example', 'ftp://a.example/', '//evil.example/', 'https:evil', ' javascript:alert(1)']) {
      expect(redirectTarget(url, undefined, fill), url).toBeNull();
    }
  });
});
