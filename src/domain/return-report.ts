/**
 * What came back for one campaign, as `campaign status` (CLI, API, dashboard) and `/metrics`
 * show it: counts, rates per message sent, blocks about the sender by mailbox provider with a
 * warning above the threshold, and why the reputation breaker paused the campaign, if it did.
 */
export interface CampaignReturns {
  hardBounces: number;
  softBounces: number;
  complaints: number;
  unsubscribes: number;
  /** Blocks about the sender (policy, reputation, authentication): never a reader's fault. */
  senderBlocks: number;
  /** Per message sent (accepted with a 250), 0 to 1. */
  hardBounceRate: number;
  softBounceRate: number;
  complaintRate: number;
  unsubscribeRate: number;
  /** Mailbox provider → blocks about the sender from it. */
  senderBlocksByProvider: Record<string, number>;
  /** Why the reputation breaker paused this campaign, once it did. */
  breaker: string | null;
  /** One line per provider whose blocks about the sender reached the threshold. */
  warnings: string[];
}

export interface ReturnTotals {
  counts: { hard: number; soft: number; complaint: number; unsubscribe: number; blocked: number };
  blocksByProvider: Record<string, number>;
  breaker: string | undefined;
}

/** Builds the report from the stored counters. Pure. */
export function campaignReturns(sent: number, totals: ReturnTotals, senderAlertThreshold: number): CampaignReturns {
  const rate = (n: number) => (sent > 0 ? n / sent : 0);
  const c = totals.counts;
  return {
    hardBounces: c.hard,
    softBounces: c.soft,
    complaints: c.complaint,
    unsubscribes: c.unsubscribe,
    senderBlocks: c.blocked,
    hardBounceRate: rate(c.hard),
    softBounceRate: rate(c.soft),
    complaintRate: rate(c.complaint),
    unsubscribeRate: rate(c.unsubscribe),
    senderBlocksByProvider: totals.blocksByProvider,
    breaker: totals.breaker ?? null,
    warnings: Object.entries(totals.blocksByProvider)
      .filter(([, n]) => n >= senderAlertThreshold)
      .sort((a, b) => b[1] - a[1])
      .map(([provider, n]) => `${provider} blocked ${n} message${n === 1 ? '' : 's'} as about the sender (policy, reputation or authentication): see 'newsdesk inbound ls --kind bounce' for its replies`),
  };
}
