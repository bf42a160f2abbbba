/**
 * Turns a campaign's frozen content into per-recipient messages: the MIME message is built once
 * per campaign and list (mail layer), each copy gets its own signed unsubscribe and view links.
 */
import type { Campaign } from '../domain/campaign.schema.ts';
import type { ClickSigner } from '../domain/click-links.ts';
import { inertRecipient, type LinkSigner } from '../domain/links.ts';
import type { ReturnAddresser } from '../domain/return-token.ts';
import { type CampaignMessage, prepareCampaignMessage } from '../mail/campaign-message.ts';
import type { OutgoingMessage } from '../mail/transport.ts';
import type { CampaignContent } from '../store/campaign.store.ts';
import type { MessagePreparer, PreparedCampaign } from './send-batch.job.ts';

export interface MessagePreparerOptions {
  /** Signs the unsubscribe and view links (`PUBLIC_URL` and the first secret). */
  links: LinkSigner;
  /** `PUBLIC_URL`, for the inert links of test copies. */
  publicUrl: string;
  /** Signs the reader mark of per-reader click tracking. Default none (copies carry no mark). */
  clicks?: Pick<ClickSigner, 'readerMark'> | undefined;
  /**
   * Per-delivery return addresses (VERP envelope sender, List-Unsubscribe mailto). Unset: the
   * newsletter's From address and `unsubscribe@<From domain>`, as before return mail was read.
   */
  returns?: ReturnAddresser | undefined;
  /** See `messageIdEchoHeader` of the campaign message (set when the Postmark webhook is). */
  messageIdEchoHeader?: string | undefined;
}

export function createMessagePreparer(opts: MessagePreparerOptions): MessagePreparer {
  const build = (content: CampaignContent, campaign: { id: string; listId: string }, subjectPrefix?: string) =>
    prepareCampaignMessage({ compiled: content.compiled, newsletter: content.newsletter, campaign, subjectPrefix, messageIdEchoHeader: opts.messageIdEchoHeader });
  return {
    prepare(campaign: Campaign, content: CampaignContent): PreparedCampaign {
      const byList = new Map<string, CampaignMessage>();
      const scope = { kind: 'campaign', id: campaign.id } as const;
      const defaultList = campaign.lists[0] as string;
      const perReader = content.tracking?.clicks === 'per-reader' && opts.clicks;
      const fromDomain = (content.newsletter.from.address.split('@')[1] ?? '').toLowerCase();
      const returns = opts.returns?.forCampaign(campaign.id, fromDomain);

      return {
        render(addressee) {
          const listId = addressee.listId ?? defaultList;
          const id = addressee.subscriberId;
          const recipient = {
            email: addressee.email,
            name: addressee.name,
            unsubscribeUrl: opts.links.link('unsubscribe', id, scope),
            viewUrl: opts.links.link('view', id, scope),
            ...(perReader ? { readerMark: perReader.readerMark(campaign.id, id) } : {}),
          };
          let message = byList.get(listId);
          if (!message) byList.set(listId, (message = build(content, { id: campaign.id, listId })));
          // The same Message-ID for every attempt at this delivery: a copy re-sent after a crash
          // can be recognised (and dropped) by providers that de-duplicate on it.
          return message.render(recipient, {
            messageIdLocal: `${campaign.id}.${id}`,
            returnPath: returns?.bounceAddress(id),
            unsubscribeAddress: returns?.unsubscribeAddress(id),
          });
        },
      };
    },
    testCopy(campaign, content, to): OutgoingMessage {
      // A test send goes to someone who may not be a subscriber: the links are inert.
      return build(content, campaign, '[TEST]').render(inertRecipient(opts.publicUrl, { email: to }));
    },
  };
}
