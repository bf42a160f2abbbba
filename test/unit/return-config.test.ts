import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { campaignReturns } from '../../src/domain/return-report.ts';

describe('return-mail settings', () => {
  it('defaults: the newsletter domain, feedback@ at any domain, 5 soft bounces in 15 days', () => {
    const c = loadConfig({});
    expect(c.inbound).toMatchObject({ bounceDomain: undefined, feedbackAddresses: [], softBounce: { count: 5, windowDays: 15 }, tls: undefined, senderAlertThreshold: 10 });
  });

  it('BOUNCE_DOMAIN sets the feedback address too, unless INBOUND_FEEDBACK_ADDRESSES names others', () => {
    expect(loadConfig({ BOUNCE_DOMAIN: 'Bounces.Example.COM' }).inbound).toMatchObject({ bounceDomain: 'bounces.example.com', feedbackAddresses: ['feedback@bounces.example.com'] });
    expect(loadConfig({ BOUNCE_DOMAIN: 'b.example.com', INBOUND_FEEDBACK_ADDRESSES: 'FBL@b.example.com, jmrp@b.example.com' }).inbound.feedbackAddresses).toEqual([
      'fbl@b.example.com',
      'jmrp@b.example.com',
    ]);
  });

  it('names each bad one', () => {
    let err: unknown;
    try {
      loadConfig({ BOUNCE_DOMAIN: 'not a domain', INBOUND_FEEDBACK_ADDRESSES: 'fbl@x.example, nope', SOFT_BOUNCE_LIMIT: '0', INBOUND_TLS_KEY: '/etc/key.pem' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^BOUNCE_DOMAIN: /m);
    expect(problems).toMatch(/^INBOUND_FEEDBACK_ADDRESSES: "nope" is not an address/m);
    expect(problems).toMatch(/^SOFT_BOUNCE_LIMIT: /m);
    expect(problems).toMatch(/^INBOUND_TLS_CERT: required when the other INBOUND_TLS_\* variable is set/m);
  });
});

describe('campaignReturns', () => {
  const totals = (blocks: Record<string, number>) => ({ counts: { hard: 30, soft: 4, complaint: 2, unsubscribe: 7, blocked: 12 }, blocksByProvider: blocks, breaker: undefined });

  it('rates are per message sent, and zero before anything was sent', () => {
    expect(campaignReturns(1000, totals({}), 10)).toMatchObject({ hardBounceRate: 0.03, complaintRate: 0.002, unsubscribeRate: 0.007, breaker: null });
    expect(campaignReturns(0, totals({}), 10).hardBounceRate).toBe(0);
  });

  it('warns about each provider whose blocks about the sender reached the threshold, most first', () => {
    const r = campaignReturns(1000, totals({ yahoo: 9, gmail: 12, outlook: 10 }), 10);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/^gmail blocked 12 messages as about the sender/);
    expect(r.warnings[1]).toMatch(/^outlook blocked 10 messages/);
  });
});
