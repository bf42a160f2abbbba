/**
 * The public endpoints subscribers reach from their inbox (docs/architecture.md, invariant 5):
 *
 * - `GET /u/:token` shows what the link would do and changes nothing (scanners prefetch links);
 * - `POST /u/:token` unsubscribes: RFC 8058 one-click (`List-Unsubscribe=One-Click` as a
 *   urlencoded or multipart form) or the page's own buttons. No cookie, no auth beyond the
 *   token, 200 and never a redirect, harmless to repeat, done before the answer is sent;
 * - `GET /v/:token` the personalized edition, never indexed, for VIEW_LINK_MAX_AGE_DAYS, naming no
 *   address; `GET`/`POST /v/:token/unsubscribe` its two-step unsubscribe from the campaign's lists;
 * - `GET /subscribe/<list>` a public list's sign-up page (a private one is a 404, like a missing one);
 * - `POST /subscribe` sign-up (form or JSON), one answer for every address, rate-limited per IP
 *   (IPv6 per /64) and per list, with a solved proof-of-work challenge (`GET /altcha/challenge`);
 * - `GET /confirm/:token` a confirm button, `POST /confirm/:token` the confirmation.
 *
 * A forged, altered, expired or wrong-purpose token gets the same bare 404 as an unknown one.
 */
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../app.ts';
import { NewsdeskError, ValidationError } from '../domain/errors.ts';
import { ListId, signUpNeedsConfirmation } from '../domain/list.schema.ts';
import { EmailAddress, SubscriberName } from '../domain/subscriber.schema.ts';
import { CONFIRM_TOKEN_MAX_AGE_MS } from '../domain/link-token.ts';
import { describeError } from './http-errors.ts';
import { type LinkSigner, TEST_SEND_TOKEN } from '../domain/links.ts';
import { PUBLIC_PAGE_HEADERS, sendNotFoundPage, sendPublicPage } from './public-page.ts';
import { MAX_PATH_PARAM_CHARS } from './validation.ts';
import type { ConfirmationMailer } from './subscriber/confirmation.mailer.ts';
import {
  type Page,
  SUBSCRIBE_ANSWER,
  confirmPage,
  confirmRefusedPage,
  confirmedPage,
  problemsPage,
  signUpPage,
  subscribeAnswerPage,
  testCopyPage,
  unsubscribePage,
  unsubscribedPage,
} from './subscriber/pages.ts';
import { ALTCHA_CHALLENGE_PATH, ALTCHA_PAGE_CSP, ALTCHA_SCRIPT_PATH, altchaScript } from './subscriber/altcha-widget.ts';
import { PROOF_OF_WORK_PROBLEMS, type ProofOfWork } from './subscriber/proof-of-work.ts';
import { VIEW_UNSUBSCRIBE_READER, readerCopy } from './subscriber/reader-copy.ts';
import { clientNetwork } from './client-network.ts';
import { unsubscribe, unsubscribeContext } from './subscriber/unsubscribe.ts';

export interface SubscriberRoutesOptions {
  app: App;
  links: LinkSigner;
  mailer: ConfirmationMailer;
  /** Sign-ups per IP address per minute. */
  subscribeRatePerMinute: number;
  /** View links older than this get a 404. Default: no limit. */
  viewLinkMaxAgeMs?: number | undefined;
  /** Sign-ups one list takes per hour from everyone (0: no cap). */
  listRatePerHour: number;
  /** The challenge every sign-up must solve; undefined: none asked (SUBSCRIBE_PROOF_OF_WORK=off). */
  proofOfWork: ProofOfWork | undefined;
}

const TokenParams = z.strictObject({ token: z.string().min(1).max(MAX_PATH_PARAM_CHARS) });

/**
 * What the unsubscribe page's buttons (and one-click clients) send. Deliberately forgiving: a
 * request to stop mail must not fail on a client's odd body, so anything else means one-click.
 */
const UnsubscribeBody = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) ? v : {}),
  z.object({
    /** `lists` (the default, and what one-click means) or `all`. */
    scope: z.enum(['lists', 'all']).optional().catch(undefined),
    'List-Unsubscribe': z.string().max(100).optional().catch(undefined),
  }),
);

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** A sign-up: the form's fields or a JSON body. Unknown fields (a submit button's name) are ignored. */
export const SubscribeBody = z.object({
  email: EmailAddress,
  list: ListId,
  name: z.preprocess(blankToUndefined, SubscriberName.optional()),
  /** The solved proof-of-work challenge: the ALTCHA widget's payload (base64 JSON). */
  altcha: z.string().max(8192).optional(),
});

const isJson = (req: FastifyRequest) => /^application\/json\b/i.test(req.headers['content-type'] ?? '');

const page = (reply: FastifyReply, p: Page, status = 200) => sendPublicPage(reply, status, p.title, p.body);

export const subscriberRoutes: FastifyPluginAsync<SubscriberRoutesOptions> = async (instance, opts) => {
  const { app, links, mailer } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  await server.register(formbody, { bodyLimit: 16 * 1024 });
  // One-click clients may post multipart/form-data (RFC 8058 allows both); no files are taken.
  await server.register(multipart, { attachFieldsToBody: 'keyValues', limits: { files: 0, fields: 20, fieldSize: 4096 } });
  // Any other type still reaches the handlers (as text): an unsubscribe must not fail with a 415.
  server.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));

  // Subscribers get a page; scripts that posted JSON get JSON.
  server.setErrorHandler((err, req, reply) => {
    const known = describeError(err);
    if (!known) {
      req.log.error({ err }, 'unexpected error');
      return sendPublicPage(reply, 500, 'Something went wrong', problemsPage([{ path: '', message: 'something went wrong on our side; please try again' }]).body);
    }
    if (isJson(req)) return reply.code(known.status).send(known.body);
    const problems = known.body.problems ?? [{ path: '', message: known.body.error }];
    return page(reply, problemsPage(problems), known.status);
  });

  // Unsubscribe ------------------------------------------------------------------------------

  server.get('/u/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    if (req.params.token === TEST_SEND_TOKEN) return page(reply, testCopyPage());
    const payload = links.read(req.params.token, 'unsubscribe');
    const ctx = payload && (await unsubscribeContext(app, payload));
    if (!ctx) return sendNotFoundPage(reply);
    return page(reply, unsubscribePage(ctx, `/u/${req.params.token}`));
  });

  server.post('/u/:token', { schema: { params: TokenParams, body: UnsubscribeBody, hide: true } }, async (req, reply) => {
    if (req.params.token === TEST_SEND_TOKEN) return page(reply, testCopyPage());
    const payload = links.read(req.params.token, 'unsubscribe');
    const ctx = payload && (await unsubscribeContext(app, payload));
    if (!ctx) return sendNotFoundPage(reply);
    const scope = req.body.scope ?? 'lists';
    const via = req.body['List-Unsubscribe'] === 'One-Click' ? 'one-click unsubscribe' : 'unsubscribe page';
    const outcome = await unsubscribe(app, ctx, scope, via);
    req.log.info({ subscriber: ctx.subscriber.id, scope, via, outcome: outcome.kind }, 'unsubscribed');
    // The campaign's report counts unsubscribes by way; a repeat that changed nothing is not one.
    const changed = outcome.kind === 'everything' ? !outcome.already : outcome.lists.length > 0;
    if (changed && payload.scope.kind === 'campaign' && !ctx.scopeGone) {
      await app.clickStore.countUnsubscribe(payload.scope.id, via === 'one-click unsubscribe' ? 'oneClick' : 'page').catch((err: unknown) => req.log.error({ err: String(err) }, 'unsubscribe not counted'));
    }
    return page(reply, unsubscribedPage(ctx, outcome, `/u/${req.params.token}`));
  });

  // View in browser ----------------------------------------------------------------------------

  const readView = (token: string) =>
    links.read(token, 'view', opts.viewLinkMaxAgeMs === undefined ? {} : { maxAgeMs: opts.viewLinkMaxAgeMs });

  server.get('/v/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    if (req.params.token === TEST_SEND_TOKEN) return page(reply, testCopyPage());
    const payload = readView(req.params.token);
    const copy = payload && (await readerCopy(app, payload, `${app.config.publicUrl}/v/${req.params.token}`));
    if (!copy) return sendNotFoundPage(reply);
    return reply
      .headers({
        ...PUBLIC_PAGE_HEADERS,
        // The edition's own markup and images; never script, never a form.
        'content-security-policy': "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; font-src https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      })
      .type('text/html; charset=utf-8')
      .send(withNoindex(copy));
  });

  // The view page's unsubscribe: the same two steps as /u/, for the campaign's lists only. A copy
  // can be forwarded, so whoever holds it may take the reader off this newsletter, no more.
  const viewOnly = { reader: VIEW_UNSUBSCRIBE_READER, everything: false } as const;

  const viewUnsubscribeContext = async (token: string) => {
    const payload = readView(token);
    const ctx = payload?.scope.kind === 'campaign' ? await unsubscribeContext(app, payload) : null;
    // Without the campaign its lists are unknown, and "everything" is not this page's to offer.
    return ctx && !ctx.scopeGone ? ctx : null;
  };

  server.get('/v/:token/unsubscribe', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    if (req.params.token === TEST_SEND_TOKEN) return page(reply, testCopyPage());
    const ctx = await viewUnsubscribeContext(req.params.token);
    if (!ctx) return sendNotFoundPage(reply);
    return page(reply, unsubscribePage(ctx, `/v/${req.params.token}/unsubscribe`, viewOnly));
  });

  server.post('/v/:token/unsubscribe', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    if (req.params.token === TEST_SEND_TOKEN) return page(reply, testCopyPage());
    const ctx = await viewUnsubscribeContext(req.params.token);
    if (!ctx) return sendNotFoundPage(reply);
    // Whatever the body asks for: this page acts on the campaign's lists and nothing else.
    const outcome = await unsubscribe(app, ctx, 'lists', 'view page unsubscribe');
    req.log.info({ subscriber: ctx.subscriber.id, scope: 'lists', via: 'view page', outcome: outcome.kind }, 'unsubscribed');
    return page(reply, unsubscribedPage(ctx, outcome, `/v/${req.params.token}/unsubscribe`, viewOnly));
  });

  // Sign-up and confirmation -------------------------------------------------------------------

  // A public list's hosted sign-up page. A private list answers exactly like a missing one (the
  // same 404 page as a bad link), so list ids cannot be found by trying. With the proof-of-work
  // challenge on, the form carries its widget and the page the CSP the widget needs.
  server.get('/subscribe/:list', { schema: { params: z.strictObject({ list: z.string().max(MAX_PATH_PARAM_CHARS) }), hide: true } }, async (req, reply) => {
    const id = ListId.safeParse(req.params.list);
    const list = id.success ? await app.stores.lists.get(id.data) : null;
    if (!list?.public) return sendNotFoundPage(reply);
    const p = signUpPage(list, { challenge: opts.proofOfWork !== undefined });
    return sendPublicPage(reply, 200, p.title, p.body, opts.proofOfWork ? { 'content-security-policy': ALTCHA_PAGE_CSP } : {});
  });

  // Counted per client: an IPv6 client per /64, since one line is given a whole /64.
  const perClient = (max: number) => ({ rateLimit: { max, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => clientNetwork(req.ip) } });

  server.post('/subscribe', { schema: { body: SubscribeBody, hide: true }, config: perClient(opts.subscribeRatePerMinute) }, async (req, reply) => {
    // The work is checked first: without it nothing else is looked up or counted.
    if (opts.proofOfWork) {
      const verdict = await opts.proofOfWork.verify(req.body.altcha);
      if (verdict !== 'solved') throw new ValidationError('request_invalid', 'form', [{ path: 'altcha', message: PROOF_OF_WORK_PROBLEMS[verdict] }]);
    }
    const list = await app.stores.lists.get(req.body.list);
    // Public lists are no secret (they are in every sign-up form), so a typo should say so; a
    // private list answers exactly like a missing one, so its id cannot be found by trying.
    if (!list?.public) throw new ValidationError('request_invalid', 'form', [{ path: 'list', message: 'no list by this id takes sign-ups' }]);
    if (!(await app.stores.signUpCap.take(list.id, opts.listRatePerHour))) {
      throw new NewsdeskError('rate_limited', `${list.name} takes no more sign-ups this hour; please try again later`);
    }
    const result = await app.stores.subscribers.subscribe(
      // A public list confirms every sign-up unless single opt-in was explicitly allowed.
      { ...list, doubleOptIn: signUpNeedsConfirmation(list) },
      { email: req.body.email, attributes: {}, ...(req.body.name !== undefined ? { name: req.body.name } : {}) },
    );
    let outcome: string = result.kind;
    if (result.kind === 'confirmation-needed') {
      // The answer is the same either way.
      if (await app.stores.subscribers.mayMailConfirmation(result.subscriber.id, list.id)) mailer.send(list, result.subscriber);
      else outcome = 'confirmation-recently-sent';
    }
    req.log.info({ list: list.id, outcome }, 'sign-up');
    // The same bytes whatever happened: a stranger cannot tell known addresses from new ones.
    if (isJson(req)) return reply.code(200).send({ ok: true, message: SUBSCRIBE_ANSWER });
    return page(reply, subscribeAnswerPage());
  });

  // The proof-of-work challenge and the widget that solves it, both from this server.
  if (opts.proofOfWork) {
    const pow = opts.proofOfWork;
    // A challenge costs us one key derivation: as many per client as sign-ups, and a few over.
    server.get(ALTCHA_CHALLENGE_PATH, { schema: { hide: true }, config: perClient(opts.subscribeRatePerMinute * 3) }, async (_req, reply) =>
      reply.header('cache-control', 'no-store').send(await pow.challenge()),
    );
  }
  server.get(ALTCHA_SCRIPT_PATH, { schema: { hide: true } }, async (_req, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .headers({ 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' })
      .send(await altchaScript()),
  );

  server.get('/confirm/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    const found = await confirmTarget(req.params.token);
    if (!found) return sendNotFoundPage(reply);
    const member = await app.stores.lists.isMember(found.list.id, found.subscriber.id);
    return page(reply, confirmPage(found.list, found.subscriber, `/confirm/${req.params.token}`, member));
  });

  server.post('/confirm/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
    const found = await confirmTarget(req.params.token);
    if (!found) return sendNotFoundPage(reply);
    const result = await app.stores.subscribers.confirm(found.subscriber.id, found.list, new Date(found.issuedAt));
    req.log.info({ list: found.list.id, subscriber: found.subscriber.id, outcome: result.kind }, 'confirmation');
    if (result.kind === 'confirmed') return page(reply, confirmedPage(found.list, result.subscriber));
    return page(reply, confirmRefusedPage());
  });

  async function confirmTarget(token: string) {
    const payload = links.read(token, 'confirm', { maxAgeMs: CONFIRM_TOKEN_MAX_AGE_MS });
    if (!payload || payload.scope.kind !== 'list') return null;
    const [list, subscriber] = await Promise.all([app.stores.lists.get(payload.scope.id), app.stores.subscribers.get(payload.subscriberId)]);
    return list && subscriber ? { list, subscriber, issuedAt: payload.issuedAt } : null;
  }
};

/** Adds `noindex` to the edition's head, so "view in browser" pages stay out of search engines. */
function withNoindex(document: string): string {
  const meta = '<meta name="robots" content="noindex, nofollow">';
  return /<head[^>]*>/i.test(document) ? document.replace(/<head[^>]*>/i, (h) => h + meta) : meta + document;
}
