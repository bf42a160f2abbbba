/**
 * Turns a campaign's frozen content into per-recipient messages: the MIME message is built once
 * per campaign and list (mail layer), each copy gets its own signed unsubscribe and view links.
 */
import type { Campaign } from '../domain/campaign.schema.ts';
import { signToken } from '../domain/token.ts';
import { type CampaignMessage, prepareCampaignMessage } from '../mail/campaign-message.ts';
import type { CampaignContent } from '../store/campaign.store.ts';
import type { MessagePreparer, PreparedCampaign } from './send-batch.job.ts';

export interface MessagePreparerOptions {
  /** `PUBLIC_URL`: where `newsdesk serve` answers `/u/<token>` and `/v/<token>`. */
  publicUrl: string;
  /** The signing secret (the first of `config.secrets`). */
  secret: string;
}

export function createMessagePreparer(opts: MessagePreparerOptions): MessagePreparer {
  return {
    prepare(campaign: Campaign, content: CampaignContent): PreparedCampaign {
      const byList = new Map<string, CampaignMessage>();
      const build = (listId: string, subjectPrefix?: string) =>
        prepareCampaignMessage({ compiled: content.compiled, newsletter: content.newsletter, campaign: { id: campaign.id, listId }, subjectPrefix });
      const scope = { kind: 'campaign', id: campaign.id } as const;
      const defaultList = campaign.lists[0] as string;

      return {
        render(addressee, renderOpts) {
          const listId = addressee.listId ?? defaultList;
          const link = (path: 'u' | 'v', purpose: 'unsubscribe' | 'view') =>
            addressee.subscriberId > 0
              ? `${opts.publicUrl}/${path}/${signToken({ subscriberId: addressee.subscriberId, purpose, scope }, opts.secret)}`
              : // A test send goes to someone who may not be a subscriber: the links are inert.
                `${opts.publicUrl}/${path}/test-send`;
          const recipient = { email: addressee.email, name: addressee.name, unsubscribeUrl: link('u', 'unsubscribe'), viewUrl: link('v', 'view') };
          if (renderOpts?.subjectPrefix) return build(listId, renderOpts.subjectPrefix).render(recipient);
          let message = byList.get(listId);
          if (!message) byList.set(listId, (message = build(listId)));
          // The same Message-ID for every attempt at this delivery: a copy re-sent after a crash
          // can be recognised (and dropped) by providers that de-duplicate on it.
          return message.render(recipient, { messageIdLocal: `${campaign.id}.${addressee.subscriberId}` });
        },
      };
    },
  };
}
