import { describe, expect, it } from 'vitest';
import { withoutTokens } from '../../../src/http/server.ts';

describe('request log lines', () => {
  it('leave out click and open tokens (a per-reader token names its reader), as they do unsubscribe tokens', () => {
    expect(withoutTokens('/c/daily-2025-02-13-abc123.1.AAAAAAAAAAAAAAAA.2n.BBBBBBBBBBBBBBBB')).toBe('/c/…');
    expect(withoutTokens('/o/daily-2025-02-13-abc123.AAAAAAAAAAAAAAAA?x=1')).toBe('/o/…?x=1');
    expect(withoutTokens('/u/ul.2n9c.daily.m5x8k0ab.Q2hlY2tzdW0tZXhhbXBsZQ')).toBe('/u/…');
    expect(withoutTokens('/admin/campaigns/daily-2025-02-13-abc123/report')).toBe('/admin/campaigns/daily-2025-02-13-abc123/report');
  });
});
