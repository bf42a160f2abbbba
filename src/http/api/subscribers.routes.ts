/**
 * `/api/subscribers` and list memberships: look a subscriber up (by address or id), add one to a
 * list (as `subscribers add`), take one off a list, unsubscribe from everything.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { NewsdeskError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { ListId } from '../../domain/list.schema.ts';
import { EmailAddress, InputAttributes, SubscriberId, SubscriberName, type Subscriber } from '../../domain/subscriber.schema.ts';
import { joinRefusal } from '../../store/subscriber.store.ts';
import { audit } from '../audit.ts';

const IdParams = z.strictObject({ id: z.coerce.number().pipe(SubscriberId) });
const MemberParams = z.strictObject({ id: ListId, subscriberId: z.coerce.number().pipe(SubscriberId) });
const LookupQuery = z.strictObject({ email: EmailAddress });
const RecentCampaigns = z.coerce.number().int().min(1).max(100).default(10).describe('how many of the newest campaigns to look in for deliveries (default 10)');
const ShowByEmailQuery = z.strictObject({ email: EmailAddress, campaigns: RecentCampaigns });
const ShowQuery = z.strictObject({ campaigns: RecentCampaigns });

/** An admin add: the CLI's `subscribers add`, with attributes and `update` (the import's --update). */
export const AddSubscriberBody = z.strictObject({
  email: EmailAddress,
  name: SubscriberName.optional(),
  attributes: InputAttributes.default({}),
  /** Let this name and these attributes replace an existing subscriber's. Default false. */
  update: z.boolean().default(false),
});

/** What an admin may change on a subscriber: the name (null removes it). */
const UpdateSubscriberBody = z.strictObject({ name: SubscriberName.nullable() });

const UnsubscribeBody = z
  .strictObject({
    /** Leave only this list; without it, unsubscribe from everything (and suppress the address). */
    list: ListId.optional(),
  })
  .default({});

export const subscriberApiRoutes: FastifyPluginAsync<{ app: App }> = async (instance, { app }) => {
  const { subscribers, lists, suppression } = app.stores;
  const server = instance.withTypeProvider<ZodTypeProvider>();

  async function describe(subscriber: Subscriber) {
    const [memberships, suppressed] = await Promise.all([lists.membershipsOf(subscriber.id), suppression.get(subscriber.email)]);
    return {
      subscriber,
      lists: memberships.member,
      left: memberships.left.map((l) => ({ list: l.list, at: l.at.toISOString() })),
      suppression: suppressed,
    };
  }

  /** As {@link describe}, with the deliveries in the newest `campaigns` campaigns (`subscribers show`). */
  async function show(subscriber: Subscriber, campaigns: number) {
    const [described, deliveries] = await Promise.all([describe(subscriber), app.campaigns.deliveriesOf(subscriber.id, { campaigns })]);
    return { ...described, deliveries };
  }

  server.get(
    '/subscribers',
    {
      schema: {
        tags: ['subscribers'],
        summary: 'Find a subscriber by address: record, lists, departures, suppression, and deliveries in the newest campaigns (with what the server said)',
        querystring: ShowByEmailQuery,
      },
    },
    async (req) => {
      const [subscriber, suppressed] = await Promise.all([subscribers.findByEmail(req.query.email), suppression.get(req.query.email)]);
      if (subscriber) return show(subscriber, req.query.campaigns);
      if (suppressed) return { subscriber: null, lists: [], left: [], suppression: suppressed, deliveries: [] };
      throw new NotFoundError('subscriber', req.query.email);
    },
  );

  server.get(
    '/subscribers/data',
    {
      schema: {
        tags: ['subscribers'],
        summary: 'Everything held about a reader: record, lists, suppression, delivery records, click and open events',
        querystring: LookupQuery,
      },
    },
    async (req) => {
      const data = await app.readerData.export(req.query.email);
      await audit(app, req, { action: 'subscriber.export', target: String(data.subscriber.id) });
      return data;
    },
  );

  server.post(
    '/subscribers/erase',
    {
      schema: {
        tags: ['subscribers'],
        summary: "Erase a reader: record, memberships, click and open events and the delivery records' personal parts; the suppression keeps only a hash of the address",
        body: z.strictObject({ email: EmailAddress }),
      },
    },
    async (req) => {
      const result = await app.readerData.erase(req.body.email);
      await audit(app, req, { action: 'subscriber.erase', target: String(result.subscriberId), detail: { deliveries: result.deliveries } });
      return result;
    },
  );

  server.get(
    '/subscribers/:id',
    { schema: { tags: ['subscribers'], summary: 'One subscriber by id, as the lookup by address gives it', params: IdParams, querystring: ShowQuery } },
    async (req) => {
      const subscriber = await subscribers.get(req.params.id);
      if (!subscriber) throw new NotFoundError('subscriber', String(req.params.id));
      return show(subscriber, req.query.campaigns);
    },
  );

  server.patch(
    '/subscribers/:id',
    {
      schema: {
        tags: ['subscribers'],
        summary: 'Change a subscriber\'s name ({ "name": null } removes it); as `newsdesk subscribers update --name`',
        params: IdParams,
        body: UpdateSubscriberBody,
      },
    },
    async (req) => {
      const { changed, subscriber } = await subscribers.setName(req.params.id, req.body.name ?? undefined);
      // The name itself stays out of the log, like addresses: it identifies a reader.
      if (changed) await audit(app, req, { action: 'subscriber.rename', target: String(subscriber.id) });
      return describe(subscriber);
    },
  );

  server.post(
    '/lists/:id/subscribers',
    {
      schema: {
        tags: ['subscribers'],
        summary: 'Add one address to a list',
        description: '201 when the address joined, 200 when it was already on the list, 409 when it may not be added (suppressed, ended, left).',
        params: z.strictObject({ id: ListId }),
        body: AddSubscriberBody,
      },
    },
    async (req, reply) => {
      await lists.require(req.params.id);
      const { update, ...row } = req.body;
      const [outcome] = await subscribers.joinList(req.params.id, [row], { via: 'admin', update });
      if (!outcome) throw new NewsdeskError('store_error', 'the store answered nothing');
      const refused = joinRefusal(outcome);
      if (refused) throw new NewsdeskError('not_added', `${row.email} was not added to ${req.params.id}: ${refused}`);
      await audit(app, req, { action: 'subscriber.add', target: 'id' in outcome ? String(outcome.id) : undefined, detail: { list: req.params.id, outcome: outcome.kind } });
      return reply.code(outcome.kind === 'created' || outcome.kind === 'joined' ? 201 : 200).send(outcome);
    },
  );

  server.delete(
    '/lists/:id/subscribers/:subscriberId',
    { schema: { tags: ['subscribers'], summary: 'Take a subscriber off a list (later imports of it skip them)', params: MemberParams } },
    async (req) => {
      await lists.require(req.params.id);
      const result = await subscribers.unsubscribe(req.params.subscriberId, { listId: req.params.id, reason: 'removed by admin' });
      await audit(app, req, { action: 'subscriber.remove', target: String(req.params.subscriberId), detail: { list: req.params.id, outcome: result.kind } });
      return result;
    },
  );

  server.post(
    '/subscribers/:id/unsubscribe',
    {
      schema: {
        tags: ['subscribers'],
        summary: 'Unsubscribe from everything (suppressing the address), or from one list with { "list": … }',
        params: IdParams,
        body: UnsubscribeBody,
      },
    },
    async (req) => {
      if (req.body.list !== undefined && !(await lists.get(req.body.list))) {
        throw new ValidationError('request_invalid', 'body', [{ path: 'list', message: 'no such list' }]);
      }
      const result = await subscribers.unsubscribe(req.params.id, {
        reason: 'unsubscribed by admin',
        ...(req.body.list !== undefined ? { listId: req.body.list } : {}),
      });
      await audit(app, req, { action: 'subscriber.unsubscribe', target: String(req.params.id), detail: { list: req.body.list ?? null, outcome: result.kind } });
      return result;
    },
  );
};
