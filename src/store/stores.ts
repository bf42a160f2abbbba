/** Builds the stores (subscribers, lists, suppression, API tokens, sessions, sends in progress, audit log) over one connection and one key prefix. */
import type { Config } from '../config.ts';
import { createApiTokenStore, type ApiTokenStore } from './api-token.store.ts';
import { type AuditLog, createAuditLog } from './audit.store.ts';
import { type CampaignPaces, createCampaignPaces } from './campaign-pace.store.ts';
import { createListStore, type ListStore } from './list.store.ts';
import { createKeys, type Keys, type RedisClient } from './redis.ts';
import { createSendLimitsStore, type SendLimitsStore } from './send-limits.store.ts';
import { createSendsInProgress, type SendsInProgress } from './sends-in-progress.store.ts';
import { createSessionStore, type SessionStore } from './session.store.ts';
import { createSignInThrottle, type SignInThrottle } from './signin-throttle.store.ts';
import { createSignUpCap, type SignUpCap } from './sign-up-cap.store.ts';
import { createSubscriberStore, type SubscriberStore } from './subscriber.store.ts';
import { createSuppressionStore, type SuppressionStore } from './suppression.store.ts';
import { createWorkerHeartbeats, type WorkerHeartbeats } from './worker-heartbeat.store.ts';

export interface StoresOptions {
  redis: RedisClient;
  /** `config.redis.prefix`; every key lives under `{prefix}`. */
  prefix: string;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
  /** How long audit entries are kept, ms (AUDIT_RETENTION_DAYS). Default 365 days. */
  auditRetentionMs?: number;
  /** Dashboard sessions end after this long without a request, ms (ADMIN_SESSION_IDLE_MINUTES). Default 2 hours. */
  sessionIdleMs?: number;
  /** Unconfirmed sign-ups are deleted after this long, ms (UNCONFIRMED_EXPIRY_DAYS). Default 7 days. */
  unconfirmedExpiryMs?: number;
}

export interface Stores {
  keys: Keys;
  subscribers: SubscriberStore;
  lists: ListStore;
  suppression: SuppressionStore;
  apiTokens: ApiTokenStore;
  /** Dashboard sessions. */
  sessions: SessionStore;
  /** Sends past their eligibility check, for unsubscribes to wait on. */
  sendsInProgress: SendsInProgress;
  /** The send limits every worker obeys (`newsdesk limits`). */
  sendLimits: SendLimitsStore;
  /** Which workers are alive. */
  workerHeartbeats: WorkerHeartbeats;
  /** Sending campaigns' recent pace, for the ETA. */
  campaignPaces: CampaignPaces;
  /** Who did what, when. */
  audit: AuditLog;
  /** Failed dashboard sign-ins per account. */
  signInThrottle: SignInThrottle;
  /** The per-list hourly cap on public sign-ups. */
  signUpCap: SignUpCap;
}

/** The stores' settings from the config: prefix, audit retention, session idle time, sign-up expiry. */
export function storesSettings(config: Pick<Config, 'redis' | 'audit' | 'http' | 'signUp'>): Omit<StoresOptions, 'redis'> {
  return {
    prefix: config.redis.prefix,
    auditRetentionMs: config.audit.retentionDays * 86_400_000,
    sessionIdleMs: config.http.sessionIdleMs,
    unconfirmedExpiryMs: config.signUp.unconfirmedExpiryDays * 86_400_000,
  };
}

export function createStores(options: StoresOptions): Stores {
  const keys = createKeys(options.prefix);
  const deps = { redis: options.redis, keys, ...(options.now ? { now: options.now } : {}) };
  const sendsInProgress = createSendsInProgress(deps);
  return {
    keys,
    subscribers: createSubscriberStore({
      ...deps,
      sendsInProgress,
      ...(options.unconfirmedExpiryMs !== undefined ? { unconfirmedExpiryMs: options.unconfirmedExpiryMs } : {}),
    }),
    lists: createListStore(deps),
    suppression: createSuppressionStore(deps),
    apiTokens: createApiTokenStore(deps),
    sessions: createSessionStore({ ...deps, ...(options.sessionIdleMs ? { idleMs: options.sessionIdleMs } : {}) }),
    sendsInProgress,
    sendLimits: createSendLimitsStore(deps),
    workerHeartbeats: createWorkerHeartbeats(deps),
    campaignPaces: createCampaignPaces(deps),
    signInThrottle: createSignInThrottle(deps),
    audit: createAuditLog({ ...deps, ...(options.auditRetentionMs ? { retentionMs: options.auditRetentionMs } : {}) }),
    signUpCap: createSignUpCap(deps),
  };
}
